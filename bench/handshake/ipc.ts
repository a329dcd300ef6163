/**
 * The IPC between bench/handshake/index.ts and the paw-node it runs in a child process
 * (server.ts): the child announces its address, then answers requests by id.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { NodeStats } from '../../src/api/index.ts'

/** process.memoryUsage() of the server, read after a full GC when --expose-gc is on. */
export interface MemoryReading {
  rss: number
  heapUsed: number
  external: number
  /** Whether a GC ran before the reading. */
  gc: boolean
}

export interface ServerStats extends NodeStats {
  /** Open libp2p connections, handshaken or not. */
  connections: number
}

export type Request =
  | { id: number; type: 'memory' }
  | { id: number; type: 'stats' }
  | { id: number; type: 'stop' }

export type ServerMessage =
  | { type: 'ready'; address: string; peerId: string }
  | { type: 'result'; id: number; memory?: MemoryReading; stats?: ServerStats }
  | { type: 'error'; id: number | undefined; message: string }

const SERVER_SCRIPT = fileURLToPath(new URL('./server.ts', import.meta.url))
const START_TIMEOUT_MS = 15_000
const REQUEST_TIMEOUT_MS = 10_000

/** Every child this process started, so an exit or a failure can end them. */
const running = new Set<ChildProcess>()

export function killServers(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

process.on('exit', killServers)

/** A paw-node in a child process of its own, run with this process's Node and --expose-gc. */
export class ServerProcess {
  readonly address: string
  readonly peerId: string
  readonly #child: ChildProcess
  readonly #pending = new Map<number, PromiseWithResolvers<ServerMessage & { type: 'result' }>>()
  #nextId = 1
  #exited: Promise<void>

  private constructor(
    child: ChildProcess,
    ready: { address: string; peerId: string },
    exited: Promise<void>,
  ) {
    this.#child = child
    this.address = ready.address
    this.peerId = ready.peerId
    this.#exited = exited
    child.on('message', (message: ServerMessage) => {
      if (message.type === 'ready' || message.id === undefined) return
      const waiting = this.#pending.get(message.id)
      if (waiting === undefined) return
      this.#pending.delete(message.id)
      if (message.type === 'result') waiting.resolve(message)
      else waiting.reject(new Error(`server: ${message.message}`))
    })
    void exited.then(() => {
      for (const waiting of this.#pending.values()) waiting.reject(new Error('the server process exited'))
      this.#pending.clear()
    })
  }

  static async start(chainId: string): Promise<ServerProcess> {
    const execArgv = [...new Set([...process.execArgv, '--expose-gc'])]
    const child = fork(SERVER_SCRIPT, [chainId], {
      execPath: process.execPath,
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    running.add(child)
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        running.delete(child)
        resolve()
      })
    })
    const { promise, resolve, reject } = Promise.withResolvers<{ address: string; peerId: string }>()
    const timer = setTimeout(() => reject(new Error('the server did not start in time')), START_TIMEOUT_MS)
    child.on('message', (message: ServerMessage) => {
      if (message.type === 'ready') resolve(message)
      else if (message.type === 'error' && message.id === undefined)
        reject(new Error(`server: ${message.message}`))
    })
    void exited.then(() => reject(new Error(`the server process exited (code ${child.exitCode})`)))
    try {
      return new ServerProcess(child, await promise, exited)
    } catch (error) {
      child.kill('SIGKILL')
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  async #request(type: Request['type']): Promise<ServerMessage & { type: 'result' }> {
    const id = this.#nextId++
    const waiting = Promise.withResolvers<ServerMessage & { type: 'result' }>()
    this.#pending.set(id, waiting)
    const timer = setTimeout(() => {
      this.#pending.delete(id)
      waiting.reject(new Error(`server request ${type} timed out`))
    }, REQUEST_TIMEOUT_MS)
    try {
      this.#child.send({ id, type } satisfies Request)
      return await waiting.promise
    } finally {
      clearTimeout(timer)
    }
  }

  async memory(): Promise<MemoryReading> {
    const { memory } = await this.#request('memory')
    if (memory === undefined) throw new Error('server answered without a memory reading')
    return memory
  }

  async stats(): Promise<ServerStats> {
    const { stats } = await this.#request('stats')
    if (stats === undefined) throw new Error('server answered without stats')
    return stats
  }

  /** Stops the node gracefully; kills the process if that takes more than a few seconds. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000)
    try {
      await this.#request('stop').catch(() => this.#child.kill('SIGKILL'))
      await this.#exited
    } finally {
      clearTimeout(timer)
    }
  }
}
