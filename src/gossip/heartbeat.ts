/**
 * What PawGossip does at every gossipsub heartbeat (1 s): have the enforcer act on every
 * peer whose gossipsub score is known, and now and then prune the per-peer tables that
 * gossip feeds (protocols/gossip.md "Scoring"). Browser-safe.
 */
import type { Enforcer } from '../peers/enforcer.ts'
import type { PeerRateLimiter } from '../peers/rate-limits.ts'
import type { Reputation } from '../peers/reputation.ts'
import type { PawPubSub } from './pubsub.ts'

/** Heartbeats between prunes of the rate limiter, reputation and enforcer: a minute. */
export const PRUNE_EVERY_HEARTBEATS = 60

export interface GossipHeartbeatInit {
  pubsub: PawPubSub
  /** Connected, handshaken peers. */
  connectedPeers: () => string[]
  enforcer: Pick<Enforcer, 'review' | 'prune'>
  limiter: Pick<PeerRateLimiter, 'prune'>
  reputation: Pick<Reputation, 'prune'>
}

export class GossipHeartbeat {
  readonly #init: GossipHeartbeatInit
  #beats = 0

  constructor(init: GossipHeartbeatInit) {
    this.#init = init
  }

  /**
   * The enforcer acts on every peer whose score is known, connected or not (a ban below
   * BAN_BELOW, a disconnect below DISCONNECT_BELOW). gossipsub keeps lowering the score of
   * a peer that already left, as its messages still in our queue are judged invalid, so a
   * peer disconnected at −400 is banned when it reaches −1,000, wherever it is by then.
   */
  beat(): void {
    this.#beats++
    for (const peerId of this.#scoredPeers()) this.#init.enforcer.review(peerId)
    if (this.#beats % PRUNE_EVERY_HEARTBEATS === 0) {
      this.#init.limiter.prune()
      this.#init.reputation.prune()
      this.#init.enforcer.prune()
    }
  }

  /** Peers whose gossipsub score is known: connected ones, and those it retains after they left. */
  #scoredPeers(): Set<string> {
    const peers = new Set(this.#init.connectedPeers())
    const tracked = this.#init.pubsub.score?.peerStats
    if (tracked instanceof Map) for (const peerId of tracked.keys()) peers.add(peerId as string)
    return peers
  }
}
