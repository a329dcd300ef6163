/**
 * The parent side of stranger-peer-child.ts: hostile PAW peers, written from protocols/*.md
 * alone, in a process of their own (test/support/ipc-child.ts). Killed when this process
 * exits.
 *
 *   const stranger = await StrangerPeers.start()
 *   const [peer] = await stranger.connect({ target, chainId, count: 1, handshake: true })
 *   await stranger.attack({ kind: 'slow-read', ids: [peer.id], streams: 4 })
 *   const [state] = await stranger.status([peer.id])
 *   await stranger.stop()
 */
import { IpcChild } from '../support/ipc-child.ts'

export interface ConnectArgs {
  /** The node's TCP multiaddr with /p2p/<id>. */
  target: string
  chainId: string
  count: number
  /** Complete /paw/handshake/1 (false: connect and say nothing). */
  handshake: boolean
  /** Run gossipsub too (for floods). */
  gossip?: boolean
  /** Identities to use again (protobuf keys in hex), one per connection. */
  keys?: string[]
}

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
  /** Bytes handed to the peer's own streams (what the node took is at most this). */
  bytesSent: number
  published: number | undefined
  notes: string[]
  /** Each stream opened: protocol, status, read and write status, bytes buffered unread. */
  streams: string[]
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
  | { kind: 'gossip-park'; ids: string[]; stallMs: number }

const CHILD_SCRIPT = new URL('./stranger-peer-child.ts', import.meta.url)

export class StrangerPeers {
  readonly #child: IpcChild

  private constructor(child: IpcChild) {
    this.#child = child
  }

  static async start(): Promise<StrangerPeers> {
    return new StrangerPeers(await IpcChild.fork(CHILD_SCRIPT, 'stranger peers'))
  }

  connect(args: ConnectArgs): Promise<Connected[]> {
    return this.#child.request('connect', args)
  }

  /** Starts an attack in the background of the child; resolves when it has started. */
  attack(args: Attack): Promise<{ started: number }> {
    return this.#child.request('attack', args)
  }

  status(ids: readonly string[]): Promise<PeerStatus[]> {
    return this.#child.request('status', ids)
  }

  /** Stops the given peers' libp2p (all of them without ids). */
  release(ids?: readonly string[]): Promise<number> {
    return this.#child.request('release', ids)
  }

  /** Stops every peer and the process. */
  stop(): Promise<void> {
    return this.#child.stop()
  }
}
