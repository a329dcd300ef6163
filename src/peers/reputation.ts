/**
 * A peer's reputation (000 "Reputation System", 004 §6.3): one number per peer, the sum
 * of two weighted inputs:
 *
 * - the gossipsub peer score (src/gossip/scoring.ts), which already charges invalid gossip
 *   (P4), rewards useful mesh peers (P1, P2) and penalises protocol misbehaviour (P7);
 * - our own penalties for what gossipsub cannot see: rate-limit violations, malformed or
 *   unexpected frames on /paw/* streams, invalid data fetched by request. These decay with
 *   a half-life, so an honest peer that tripped once recovers.
 *
 * The local part is also handed to gossipsub as its application-specific score (P5), so a
 * peer we distrust is graylisted by gossipsub too. Below DISCONNECT_BELOW a peer is
 * disconnected and refused (0x07) until its score has recovered. Persistent bans, the
 * address book and eviction complete this in the peers issue. Browser-safe.
 */

/** What a local penalty is for. Error codes map to these in one place (penaltyForCode). */
export const PENALTIES = {
  /** 0x04: a frame over 10 MiB; costs the sender nothing to send, so costly to us. */
  messageTooLarge: -50,
  /** 0x05: a malformed frame or payload. */
  invalidMessage: -5,
  /** 0x09: a rate limit exceeded (charged at most once per violation window). */
  rateLimited: -25,
  /** 0x0A: an answer nobody asked for. */
  unexpectedMessage: -10,
  /** A transaction fetched by request that fails validation. */
  invalidTransaction: -10,
} as const

export type PenaltyReason = keyof typeof PENALTIES

/** Weight of the gossipsub score in the reputation. */
export const GOSSIP_SCORE_WEIGHT = 1
/**
 * Below this a peer is disconnected and refused: the gossipsub graylist threshold, so a
 * peer gossipsub ignores is not kept connected either.
 */
export const DISCONNECT_BELOW = -400
/** Local penalties halve every 30 minutes. */
export const PENALTY_HALF_LIFE_MS = 30 * 60_000

interface Entry {
  score: number
  updatedAt: number
}

export class Reputation {
  readonly #local = new Map<string, Entry>()
  readonly #now: () => number
  #gossipScore: (peerId: string) => number = () => 0

  constructor(init: { now?: () => number } = {}) {
    this.#now = init.now ?? Date.now
  }

  /** Connects the gossipsub score once gossipsub exists (it is created after this). */
  setGossipScore(gossipScore: (peerId: string) => number): void {
    this.#gossipScore = gossipScore
  }

  /** Charges a local penalty; returns the peer's reputation after it. */
  penalize(peerId: string, reason: PenaltyReason): number {
    const now = this.#now()
    const entry = this.#decayed(peerId, now)
    entry.score += PENALTIES[reason]
    this.#local.set(peerId, entry)
    return this.score(peerId)
  }

  /** Our own part (decayed): gossipsub's application-specific score (P5). */
  localScore(peerId: string): number {
    return this.#decayed(peerId, this.#now()).score
  }

  gossipScore(peerId: string): number {
    const score = this.#gossipScore(peerId)
    return Number.isFinite(score) ? score : 0
  }

  /** The reputation: local penalties plus the weighted gossipsub score. */
  score(peerId: string): number {
    return this.localScore(peerId) + GOSSIP_SCORE_WEIGHT * this.gossipScore(peerId)
  }

  /** Whether the peer must be disconnected and refused now. */
  isShunned(peerId: string): boolean {
    return this.score(peerId) < DISCONNECT_BELOW
  }

  /** Drops entries that have decayed to nothing. */
  prune(): void {
    const now = this.#now()
    for (const [peerId] of this.#local) {
      if (Math.abs(this.#decayed(peerId, now).score) < 0.01) this.#local.delete(peerId)
    }
  }

  #decayed(peerId: string, now: number): Entry {
    const entry = this.#local.get(peerId)
    if (entry === undefined) return { score: 0, updatedAt: now }
    const elapsed = Math.max(0, now - entry.updatedAt)
    entry.score *= 0.5 ** (elapsed / PENALTY_HALF_LIFE_MS)
    entry.updatedAt = now
    return entry
  }
}
