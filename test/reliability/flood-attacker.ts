/**
 * The parent side of flood-attacker-child.ts: a child process that floods a node with
 * connection attempts from many loopback source addresses, and reports what each attempt
 * got. Killed when this process exits, like test/support/node-process.ts's children.
 *
 *   const attacker = await AttackerProcess.start()
 *   const report = await attacker.attack({ target, chainId, host, port, attempts: 1_000, durationMs: 10_000, lastHost: 250 })
 *   await attacker.stop()
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface AttackPlan {
  /** The node's TCP multiaddr, with /p2p/<id>. */
  target: string
  /** Its host and port, for the raw TCP attempts. */
  host: string
  port: number
  chainId: string
  attempts: number
  /** The attempts are spread evenly over this time. */
  durationMs: number
  /** Source addresses 127.0.0.2 … 127.0.0.<lastHost>, used in turn. */
  lastHost: number
}

export interface AttackReport {
  attempts: number
  full: number
  raw: number
  /** From the first attempt started to the last. */
  launchMs: number
  /** From the first attempt started until every attempt had its answer. */
  settledMs: number
  /** Distinct source addresses the attempts bound. */
  sourceAddresses: number
  /** Full attempts the node answered with its handshake. */
  admitted: number
  /** Full attempts the node answered with a reject frame, by code ("0x06"). */
  rejected: Record<string, number>
  /** Full attempts whose dial (TCP, Noise, yamux) failed, by error name. */
  dialFailed: Record<string, number>
  /** Full attempts connected but given no handshake answer (the stream or connection closed). */
  noAnswer: number
  /** Admitted, then closed by the node (evicted or dropped) before the report. */
  closedAfterAdmission: number
  /** Admitted and still connected at the report. */
  held: number
  rawOpened: number
  /** Raw connections the node hung up on before the scanner did. */
  rawClosedByNode: number
  rawFailed: number
  /** One message per kind of error seen. */
  errorSamples: Record<string, string>
}

export type AttackerRequest =
  | { id: number; type: 'attack'; plan: AttackPlan }
  | { id: number; type: 'release' }

export type AttackerMessage =
  | { type: 'loaded' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }

const CHILD_SCRIPT = fileURLToPath(new URL('./flood-attacker-child.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000
const ATTACK_TIMEOUT_MS = 45_000
const STOP_TIMEOUT_MS = 5_000

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export class AttackerProcess {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, PromiseWithResolvers<unknown>>()
  readonly #loaded = Promise.withResolvers<void>()
  readonly #exited: Promise<void>
  #nextId = 1

  private constructor(child: ChildProcess) {
    this.#child = child
    running.add(child)
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child)
        const error = new Error(`attacker exited (code ${code}, signal ${signal})`)
        for (const waiting of this.#pending.values()) waiting.reject(error)
        this.#pending.clear()
        this.#loaded.reject(error)
        resolve()
      })
    })
    child.on('message', (message: AttackerMessage) => {
      if (message.type === 'loaded') {
        this.#loaded.resolve()
        return
      }
      const waiting = this.#pending.get(message.id)
      if (waiting === undefined) return
      this.#pending.delete(message.id)
      if (message.type === 'result') waiting.resolve(message.value)
      else waiting.reject(new Error(`attacker: ${message.message}`))
    })
  }

  static async start(): Promise<AttackerProcess> {
    const child = fork(CHILD_SCRIPT, [], {
      execPath: process.execPath,
      // Not vitest's loaders: the child runs the .ts file with Node's own type stripping.
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const attacker = new AttackerProcess(child)
    const timer = setTimeout(() => attacker.kill(), START_TIMEOUT_MS)
    try {
      await attacker.#loaded.promise
    } finally {
      clearTimeout(timer)
    }
    return attacker
  }

  /** Runs the flood; resolves once every attempt has its answer (admitted ones keep holding). */
  async attack(plan: AttackPlan): Promise<AttackReport> {
    return (await this.#request({ type: 'attack', plan }, ATTACK_TIMEOUT_MS)) as AttackReport
  }

  /** Closes every attacker connection and waits for the process to exit (killed after 5 s). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const timer = setTimeout(() => this.kill(), STOP_TIMEOUT_MS)
    try {
      await this.#request({ type: 'release' }, STOP_TIMEOUT_MS).catch(() => this.kill())
      await this.#exited
    } finally {
      clearTimeout(timer)
    }
  }

  kill(): void {
    this.#child.kill('SIGKILL')
  }

  #request(
    body: { type: 'attack'; plan: AttackPlan } | { type: 'release' },
    timeoutMs: number,
  ): Promise<unknown> {
    const id = this.#nextId++
    const waiting = Promise.withResolvers<unknown>()
    this.#pending.set(id, waiting)
    const timer = setTimeout(() => {
      this.#pending.delete(id)
      waiting.reject(new Error(`attacker: ${body.type} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    this.#child.send({ ...body, id } as AttackerRequest)
    return waiting.promise.finally(() => clearTimeout(timer))
  }
}
