/**
 * Request/answer over IPC between a test or benchmark and the processes it forks (the node
 * under test and the load generators of bench/load, the hostile peers of
 * test/reliability/stranger-peer-child.ts). Structured-clone serialization, so bytes and
 * bigints travel as they are. Children are SIGKILLed when this process exits, and exit by
 * themselves when it goes away (their IPC channel closes).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { setPriority, tmpdir } from 'node:os'
import { join } from 'node:path'

interface Request {
  id: number
  type: string
  body: unknown
}

type Answer =
  | { type: 'loaded' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }

const LOAD_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000

const running = new Set<ChildProcess>()

/** SIGKILLs every child still running (a failed run, the watchdog). */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

process.on('exit', killChildren)

export interface ForkOptions {
  /** Extra Node flags (e.g. --expose-gc). */
  execArgv?: string[]
  /**
   * CPU niceness (19: lowest priority). A load generator at 19 on a small shared machine
   * uses the CPU the node under test leaves idle, instead of taking it from that node.
   */
  nice?: number
}

export class IpcChild {
  readonly name: string
  readonly #child: ChildProcess
  readonly #pending = new Map<number, PromiseWithResolvers<unknown> & { type: string }>()
  readonly #loaded = Promise.withResolvers<void>()
  readonly #exited: Promise<void>
  #nextId = 1

  private constructor(name: string, child: ChildProcess) {
    this.name = name
    this.#child = child
    running.add(child)
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child)
        const error = new Error(`${name} exited (code ${code}, signal ${signal})`)
        for (const waiting of this.#pending.values()) waiting.reject(error)
        this.#pending.clear()
        this.#loaded.reject(error)
        resolve()
      })
    })
    // Rejections of #loaded after a normal start are nobody's concern.
    this.#loaded.promise.catch(() => undefined)
    child.on('message', (answer: Answer) => this.#onAnswer(answer))
  }

  /** Forks `script` and waits until it listens for requests. */
  static async fork(script: URL, name: string, options: ForkOptions = {}): Promise<IpcChild> {
    const child = fork(script, [name], {
      execPath: process.execPath,
      execArgv: options.execArgv ?? [],
      // Node's on-disk compile cache: less start-up CPU for every child after the first.
      env: { NODE_COMPILE_CACHE: join(tmpdir(), 'node-compile-cache'), ...process.env },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const bench = new IpcChild(name, child)
    try {
      if (options.nice !== undefined && child.pid !== undefined) setPriority(child.pid, options.nice)
      const timer = setTimeout(
        () => bench.#loaded.reject(new Error(`${name} did not load in ${LOAD_TIMEOUT_MS} ms`)),
        LOAD_TIMEOUT_MS,
      )
      await bench.#loaded.promise.finally(() => clearTimeout(timer))
      return bench
    } catch (error) {
      child.kill('SIGKILL')
      throw error
    }
  }

  request<T>(type: string, body: unknown = undefined, timeoutMs = 60_000): Promise<T> {
    const id = this.#nextId++
    const waiting = { ...Promise.withResolvers<unknown>(), type }
    this.#pending.set(id, waiting)
    const timer = setTimeout(() => {
      this.#pending.delete(id)
      waiting.reject(new Error(`${this.name}: ${type} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    try {
      this.#child.send({ id, type, body } satisfies Request)
    } catch (error) {
      this.#pending.delete(id)
      clearTimeout(timer)
      return Promise.reject(error)
    }
    return waiting.promise.finally(() => clearTimeout(timer)) as Promise<T>
  }

  /** Asks the child to stop its nodes and exit; kills it if it takes too long. Never rejects. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    try {
      await this.request('stop', undefined, STOP_TIMEOUT_MS).catch(() => this.#child.kill('SIGKILL'))
      await this.#exited
    } finally {
      clearTimeout(timer)
    }
  }

  #onAnswer(answer: Answer): void {
    if (answer.type === 'loaded') {
      this.#loaded.resolve()
      return
    }
    const waiting = this.#pending.get(answer.id)
    if (waiting === undefined) return
    this.#pending.delete(answer.id)
    if (answer.type === 'result') waiting.resolve(answer.value)
    else waiting.reject(new Error(`${this.name} (${waiting.type}): ${answer.message}`))
  }
}

export type Handlers = Record<string, (body: never) => unknown>

function send(answer: Answer): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve()
    else process.send(answer, () => resolve())
  })
}

/**
 * The child side: answers each request with its handler's value. `stop` runs `shutdown`,
 * answers, then exits; so does the parent going away.
 */
export function serveRequests(handlers: Handlers, shutdown: () => Promise<void>): void {
  if (process.send === undefined) {
    console.error('a forked child process: needs an IPC channel')
    process.exit(2)
  }
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= shutdown().catch(() => undefined)
    return stopping
  }
  process.on('disconnect', () => {
    void stop().finally(() => process.exit(0))
  })
  process.on('message', (request: Request) => {
    void (async () => {
      try {
        if (request.type === 'stop') {
          await stop()
          await send({ type: 'result', id: request.id, value: undefined })
          process.exit(0)
        }
        const handler = handlers[request.type]
        if (handler === undefined) throw new Error(`unknown request ${request.type}`)
        const value = await handler(request.body as never)
        await send({ type: 'result', id: request.id, value })
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
        await send({ type: 'error', id: request.id, message })
      }
    })()
  })
  void send({ type: 'loaded' })
}
