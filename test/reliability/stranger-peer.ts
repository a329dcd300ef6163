/**
 * The parent side of stranger-peer-child.ts: hostile PAW peers, written from protocols/*.md
 * alone, in a process of their own. Killed when this process exits.
 *
 *   const stranger = await StrangerPeers.start()
 *   const [peer] = await stranger.connect({ target, chainId, count: 1, handshake: true })
 *   await stranger.attack({ kind: 'slow-read', ids: [peer.id], streams: 4 })
 *   const [state] = await stranger.status([peer.id])
 *   await stranger.stop()
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Connected {
  id: string
  /** The identity's protobuf private key in hex, to dial again as the same peer. */
  key: string
  /** The node's answer to the handshake: 'handshake', a reject's code ('0x07'), or 'none'. */
  answer: string
  rejectReason: string | undefined
}

export interface PeerStatus {
  id: string
  answer: string
  rejectReason: string | undefined
  open: boolean
  /** Times comparable with performance.timeOrigin + performance.now() of this process. */
  openedAt: number
  closedAt: number | undefined
  streamsReset: number
  bytesSent: number
  published: number | undefined
  notes: string[]
}

export type Attack =
  | { kind: 'stalled-answer'; ids: string[]; type: string; length: number; durationMs: number }
  | {
      kind: 'park'
      ids: string[]
      protocols: Record<string, { type: string; streams: number }>
      durationMs: number
    }
  | { kind: 'slow-read'; ids: string[]; streams: number }
  | { kind: 'oversize'; ids: string[]; protocol: string; type: string }
  | { kind: 'gossip-flood'; ids: string[]; chainId: string; count: number }

const CHILD_SCRIPT = fileURLToPath(new URL('./stranger-peer-child.ts', import.meta.url))
const REQUEST_TIMEOUT_MS = 60_000

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export class StrangerPeers {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, PromiseWithResolvers<unknown>>()
  readonly #loaded = Promise.withResolvers<void>()
  readonly #exited: Promise<void>
  #nextId = 1

  private constructor(child: ChildProcess) {
    this.#child = child
    children.add(child)
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        children.delete(child)
        const error = new Error(`stranger peers exited (code ${code}, signal ${signal})`)
        for (const waiting of this.#pending.values()) waiting.reject(error)
        this.#pending.clear()
        this.#loaded.reject(error)
        resolve()
      })
    })
    child.on('message', (message: { type: string; id?: number; value?: unknown; message?: string }) => {
      if (message.type === 'loaded') {
        this.#loaded.resolve()
        return
      }
      const waiting = this.#pending.get(message.id as number)
      if (waiting === undefined) return
      this.#pending.delete(message.id as number)
      if (message.type === 'result') waiting.resolve(message.value)
      else waiting.reject(new Error(`stranger peers: ${message.message}`))
    })
  }

  static async start(): Promise<StrangerPeers> {
    const child = fork(CHILD_SCRIPT, [], {
      execPath: process.execPath,
      // Not vitest's loaders: the child runs the .ts file with Node's own type stripping.
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const peers = new StrangerPeers(child)
    await peers.#loaded.promise
    return peers
  }

  connect(args: {
    target: string
    chainId: string
    count: number
    handshake: boolean
    gossip?: boolean
    keys?: string[]
  }): Promise<Connected[]> {
    return this.#request({ type: 'connect', args }) as Promise<Connected[]>
  }

  /** Starts an attack in the background of the child; resolves when it has started. */
  attack(args: Attack): Promise<{ started: number }> {
    return this.#request({ type: 'attack', args }) as Promise<{ started: number }>
  }

  status(ids: readonly string[]): Promise<PeerStatus[]> {
    return this.#request({ type: 'status', ids }) as Promise<PeerStatus[]>
  }

  /** Stops the given peers' libp2p (all of them without ids). */
  release(ids?: readonly string[]): Promise<number> {
    return this.#request({ type: 'release', ...(ids === undefined ? {} : { ids }) }) as Promise<number>
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    await this.release().catch(() => {})
    this.#child.disconnect()
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000)
    await this.#exited
    clearTimeout(timer)
  }

  #request(body: Record<string, unknown>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    const id = this.#nextId++
    const waiting = Promise.withResolvers<unknown>()
    this.#pending.set(id, waiting)
    const timer = setTimeout(() => {
      this.#pending.delete(id)
      waiting.reject(new Error(`stranger peers: ${String(body.type)} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    this.#child.send({ ...body, id })
    return waiting.promise.finally(() => clearTimeout(timer))
  }
}
