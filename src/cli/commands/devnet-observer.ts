/**
 * Watches every devnet node through its admin API's /status and keeps what the views show.
 *
 * Block latency: /status gives a node's tip (height, hash) but not the tip's timestamp or
 * when it arrived, so the figure is measured from outside. The observer asks every node at
 * once every POLL_MS and remembers, per height, the round in which some node (the miner, as
 * a rule) was first at that height or above. When a node is first seen with a new tip, its
 * latency is the time from that round to this one: 0 when it got there in the same round
 * as the first node, else how far behind it the block reached this node (propagation plus
 * validation), in steps of POLL_MS. Rounds, not reply times: replies to one round arrive a
 * few ms apart in whatever order, which would otherwise read as latency.
 */
import { AdminClient } from '../admin-client.ts'
import type { StatusReply } from './admin-replies.ts'

/** Poll interval: the latency figure's resolution. */
export const POLL_MS = 250
/** Heights kept for latency: far more than nodes can lag by in a devnet. */
const HEIGHTS_KEPT = 1_000

export interface NodeView {
  name: string
  type: string
  admin: string
  /** Whether the last /status request was answered. */
  up: boolean
  /** Set once the node's process has exited: `exited (code 1)`, … */
  exited?: string
  height?: number
  tipHash?: string
  peersIn?: number
  peersOut?: number
  mempool?: number
  /** ms by which this node saw its current tip after the first node did (see above). */
  latencyMs?: number
  peerId?: string
}

interface Watched {
  view: NodeView
  client: AdminClient
  inFlight: boolean
}

export class DevnetObserver {
  readonly #nodes: Watched[]
  /** height → when any node was first seen at that height or above (ms). */
  readonly #firstSeen = new Map<number, number>()
  #maxHeight = -1
  #timer: NodeJS.Timeout | undefined
  readonly #now: () => number

  constructor(nodes: readonly { name: string; type: string; admin: string }[], now: () => number = Date.now) {
    this.#now = now
    this.#nodes = nodes.map((n) => ({
      view: { name: n.name, type: n.type, admin: n.admin, up: false },
      client: new AdminClient(n.admin),
      inFlight: false,
    }))
  }

  /** The nodes as last seen, in node order. */
  views(): NodeView[] {
    return this.#nodes.map((n) => ({ ...n.view }))
  }

  /** Polls every node every POLL_MS until stop(). */
  start(): void {
    if (this.#timer !== undefined) return
    void this.poll()
    this.#timer = setInterval(() => void this.poll(), POLL_MS)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Marks a node as exited; it is not polled again. */
  markExited(name: string, how: string): void {
    const node = this.#nodes.find((n) => n.view.name === name)
    if (node === undefined) return
    node.view.exited = how
    node.view.up = false
  }

  /** One round: every node not already being asked (a slow node is skipped, not queued). */
  async poll(): Promise<void> {
    const round = this.#now()
    await Promise.all(
      this.#nodes.filter((n) => !n.inFlight && n.view.exited === undefined).map((n) => this.#ask(n, round)),
    )
  }

  async #ask(node: Watched, round: number): Promise<void> {
    node.inFlight = true
    try {
      const reply = await node.client.get<StatusReply>('/status')
      this.#record(node.view, reply, round)
    } catch {
      node.view.up = false
    } finally {
      node.inFlight = false
    }
  }

  #record(view: NodeView, reply: StatusReply, at: number): void {
    const height = reply.tip.height
    for (let h = this.#maxHeight + 1; h <= height; h++) this.#firstSeen.set(h, at)
    if (height > this.#maxHeight) {
      this.#maxHeight = height
      for (const old of this.#firstSeen.keys()) {
        if (old > height - HEIGHTS_KEPT) break
        this.#firstSeen.delete(old)
      }
    }
    if (reply.tip.hash !== view.tipHash && view.height !== undefined) {
      const first = this.#firstSeen.get(height)
      view.latencyMs = first === undefined ? undefined : at - first
    }
    view.up = true
    view.peerId = reply.peerId
    view.type = reply.nodeType
    view.height = height
    view.tipHash = reply.tip.hash
    view.peersIn = reply.peers.inbound
    view.peersOut = reply.peers.outbound
    view.mempool = reply.mempool?.size
  }
}
