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
 * The local part is also handed to gossipsub as its application-specific score (P5, weight
 * 1), so a peer we distrust is graylisted by gossipsub too. The reputation of a peer
 * gossipsub tracks is therefore its gossipsub score (which already holds the local part);
 * of one it does not (never met, or forgotten after retainScore), the local part alone. Below DISCONNECT_BELOW a peer is
 * disconnected and refused (0x07) until its score has recovered; below BAN_BELOW it is
 * also banned for DEFAULT_BAN_MS (a persisted ban: src/peers/ban-list.ts). Connections feed
 * it too (004 §6.3): a failed dial costs a little, a completed handshake earns a little, up
 * to MAX_LOCAL_CREDIT. What each offence costs, and whether it disconnects or bans at
 * once, and what every other fault of a peer costs, is src/peers/offences.ts (applied by
 * src/peers/enforcer.ts). Browser-safe.
 */
import type { OffenceName } from '../api/peers.ts'
import { PENALTIES } from './offences.ts'

/** 004 §6.3 "successful connections increase score": a completed handshake. */
export const CONNECTION_CREDIT = 1
/** Credit is capped: a peer cannot bank good behaviour against later misbehaviour. */
export const MAX_LOCAL_CREDIT = 10

/**
 * While a peer keeps going over a rate limit (and for THROTTLE_MS after the last refusal),
 * this is added to its local part: below gossipsub's gossipThreshold (−100), so gossipsub
 * stops exchanging IHAVE/IWANT with it and prunes it from the mesh (it cannot get the
 * messages we refused re-requested from itself), above graylistThreshold (−400), so its
 * blocks are still heard. It lifts when the peer slows down.
 */
export const THROTTLED_PENALTY = -150
export const THROTTLE_MS = 10_000
/**
 * Below this a peer is disconnected and refused: the gossipsub graylist threshold, so a
 * peer gossipsub ignores is not kept connected either.
 */
export const DISCONNECT_BELOW = -400
/**
 * Below this a peer is also banned (DEFAULT_BAN_MS, persisted): 004 §6.3 "misbehavior
 * triggers immediate ban". Gossipsub's invalid-message penalty (P4) reaches it with a few
 * invalid blocks; rate-limit violations alone, which decay, stop at the disconnect.
 */
export const BAN_BELOW = -1_000
/** Local penalties halve every 30 minutes. */
export const PENALTY_HALF_LIFE_MS = 30 * 60_000

interface Entry {
  score: number
  updatedAt: number
}

export class Reputation {
  readonly #local = new Map<string, Entry>()
  readonly #throttledUntil = new Map<string, number>()
  readonly #now: () => number
  /** The gossipsub score, or undefined for a peer gossipsub does not track. */
  #gossipScore: (peerId: string) => number | undefined = () => undefined

  constructor(init: { now?: () => number } = {}) {
    this.#now = init.now ?? Date.now
  }

  /** Connects the gossipsub score once gossipsub exists (it is created after this). */
  setGossipScore(gossipScore: (peerId: string) => number | undefined): void {
    this.#gossipScore = gossipScore
  }

  /** Charges an offence's local penalty; returns the peer's reputation after it. */
  penalize(peerId: string, reason: OffenceName): number {
    const now = this.#now()
    const entry = this.#decayed(peerId, now)
    entry.score += PENALTIES[reason]
    this.#local.set(peerId, entry)
    return this.score(peerId)
  }

  /** A completed handshake (004 §6.3): a small credit, capped at MAX_LOCAL_CREDIT. */
  credit(peerId: string): number {
    const now = this.#now()
    const entry = this.#decayed(peerId, now)
    entry.score = Math.min(MAX_LOCAL_CREDIT, entry.score + CONNECTION_CREDIT)
    this.#local.set(peerId, entry)
    return this.score(peerId)
  }

  /** The peer went over a rate limit again: throttled for THROTTLE_MS from now. */
  throttle(peerId: string): void {
    this.#throttledUntil.set(peerId, this.#now() + THROTTLE_MS)
  }

  isThrottled(peerId: string): boolean {
    const until = this.#throttledUntil.get(peerId)
    if (until === undefined) return false
    if (until > this.#now()) return true
    this.#throttledUntil.delete(peerId)
    return false
  }

  /** Our own part (decayed penalties, plus THROTTLED_PENALTY while throttled): gossipsub's P5. */
  localScore(peerId: string): number {
    return this.#decayed(peerId, this.#now()).score + (this.isThrottled(peerId) ? THROTTLED_PENALTY : 0)
  }

  /** The gossipsub score (0 for a peer gossipsub does not track). */
  gossipScore(peerId: string): number {
    const score = this.#gossipScore(peerId)
    return score !== undefined && Number.isFinite(score) ? score : 0
  }

  /** The reputation: the gossipsub score where gossipsub tracks the peer (it holds the local part as P5), else the local part. */
  score(peerId: string): number {
    const gossip = this.#gossipScore(peerId)
    return gossip !== undefined && Number.isFinite(gossip) ? gossip : this.localScore(peerId)
  }

  /** Whether the peer must be disconnected and refused now. */
  isShunned(peerId: string): boolean {
    return this.score(peerId) < DISCONNECT_BELOW
  }

  /** Whether the peer's score calls for a ban (BAN_BELOW). */
  deservesBan(peerId: string): boolean {
    return this.score(peerId) < BAN_BELOW
  }

  /** Drops entries that have decayed to nothing. */
  prune(): void {
    const now = this.#now()
    for (const [peerId] of this.#local) {
      if (Math.abs(this.#decayed(peerId, now).score) < 0.01) this.#local.delete(peerId)
    }
    for (const [peerId, until] of this.#throttledUntil) if (until <= now) this.#throttledUntil.delete(peerId)
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
