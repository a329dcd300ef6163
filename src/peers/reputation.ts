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
 * once, is one table, OFFENCES (applied by src/peers/enforcer.ts); what a handshake's
 * error code does to a peer is ERROR_ACTIONS. Browser-safe.
 */
import { ErrorCode, type ErrorCodeName, type ErrorCodeValue } from '../errors.ts'

/**
 * Everything a peer can do that costs it, in one table (000 "Reputation System", 004 §4.2,
 * §6.3; protocols/errors.md "What each code costs"): the wire code it is recorded under,
 * the local penalty, and what happens to the connection. src/peers/enforcer.ts applies it.
 */
export interface Offence {
  /** The PAW code it is logged and counted under. */
  code: ErrorCodeValue
  /** Added to the peer's local score (decays with PENALTY_HALF_LIFE_MS). */
  penalty: number
  /** The connection is closed at once. */
  disconnect: boolean
  /** 004 §6.3 "misbehavior triggers immediate ban": banned at once for DEFAULT_BAN_MS, persisted. */
  ban: boolean
  /** The connection is closed once the peer has committed it this often within `withinMs`. */
  repeated?: { times: number; withinMs: number }
  rationale: string
}

export const OFFENCES = {
  messageTooLarge: {
    code: ErrorCode.MessageTooLarge,
    penalty: -50,
    disconnect: true,
    ban: false,
    rationale:
      '004 §4.2 "drop message, disconnect peer": a frame over its limit costs nothing to send and would cost us its size',
  },
  invalidMessage: {
    code: ErrorCode.InvalidMessageFormat,
    penalty: -5,
    disconnect: false,
    ban: false,
    rationale: '004 §4.2 "drop message, log warning": a bug as often as an attack, so small',
  },
  rateLimited: {
    code: ErrorCode.RateLimited,
    penalty: -25,
    disconnect: false,
    ban: false,
    rationale: 'charged once per violation window by the rate limiter; the peer is throttled meanwhile',
  },
  unexpectedMessage: {
    code: ErrorCode.UnexpectedMessage,
    penalty: -10,
    disconnect: false,
    ban: false,
    rationale: 'an answer nobody asked for, or frames sent ahead of a lock-step stream: not used',
  },
  slowReader: {
    code: ErrorCode.ResourceLimitExceeded,
    penalty: -20,
    disconnect: false,
    ban: false,
    repeated: { times: 3, withinMs: 10 * 60_000 },
    rationale:
      'an answer the peer did not read within the write timeout held our memory for that long; the third in 10 minutes is no accident',
  },
  budgetHog: {
    code: ErrorCode.ResourceLimitExceeded,
    penalty: -10,
    disconnect: false,
    ban: false,
    rationale:
      "held the most of the node's memory budget when it ran out; its largest holdings were taken back",
  },
  invalidTransaction: {
    code: ErrorCode.InvalidMessageFormat,
    penalty: -10,
    disconnect: false,
    ban: false,
    rationale: 'a transaction fetched by request that fails validation: the peer vouched for it',
  },
  invalidBlock: {
    code: ErrorCode.InvalidMessageFormat,
    penalty: -100,
    disconnect: true,
    ban: true,
    rationale:
      '004 §6.3: a gossiped block that breaks a rule no valid block can (proof of work, tx root, signatures, coinbase): honest peers validate before relaying, so its sender is not one',
  },
  connectionFailed: {
    code: ErrorCode.NetworkError,
    penalty: -2,
    disconnect: false,
    ban: false,
    rationale: '004 §6.3 "failed connections decrease score": a dial or handshake that failed',
  },
} as const satisfies Record<string, Offence>

export type OffenceName = keyof typeof OFFENCES
/** @deprecated the name of an offence: OffenceName */
export type PenaltyReason = OffenceName

/** The penalty of each offence (OFFENCES), for callers that only need the number. */
export const PENALTIES = Object.fromEntries(
  Object.entries(OFFENCES).map(([name, offence]) => [name, offence.penalty]),
) as { readonly [K in OffenceName]: (typeof OFFENCES)[K]['penalty'] }

/** 004 §6.3 "successful connections increase score": a completed handshake. */
export const CONNECTION_CREDIT = 1
/** Credit is capped: a peer cannot bank good behaviour against later misbehaviour. */
export const MAX_LOCAL_CREDIT = 10

/**
 * What a PAW error a peer caused (or answered us with) does to it, in one place: the
 * local penalty, whether the connection is closed, and what the address book learns.
 * Codes that are not the peer's fault (limits, our shutdown, the network) cost nothing
 * beyond connectionFailed where a dial was involved.
 */
export interface ErrorAction {
  /** The offence it is charged as (OFFENCES), if any. */
  penalty: OffenceName | undefined
  disconnect: boolean
  /** 'wrong-chain': never dialled again; 'retry-later': a failed attempt (backoff). */
  addressBook: 'wrong-chain' | 'retry-later' | undefined
  rationale: string
}

export const ERROR_ACTIONS: Record<ErrorCodeName, ErrorAction> = {
  ProtocolVersionMismatch: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'wrong-chain',
    rationale: 'another protocol version cannot talk to us: not misbehaviour, but never worth dialling again',
  },
  ChainIdMismatch: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'wrong-chain',
    rationale: 'a node of another chain: its address is never dialled (issue 7 "addresses of another chain")',
  },
  HandshakeTimeout: {
    penalty: 'connectionFailed',
    disconnect: true,
    addressBook: 'retry-later',
    rationale: 'slow or overloaded, perhaps on purpose: a small cost, retried with backoff',
  },
  MessageTooLarge: {
    penalty: 'messageTooLarge',
    disconnect: true,
    addressBook: undefined,
    rationale: '004 §4.2: drop the message and disconnect; a 10 MiB frame costs it nothing to send',
  },
  InvalidMessageFormat: {
    penalty: 'invalidMessage',
    disconnect: false,
    addressBook: undefined,
    rationale: '004 §4.2: drop the message and log; a bug as often as an attack, so small',
  },
  PeerLimitReached: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'retry-later',
    rationale: 'its slots (or ours) are full: nobody misbehaved',
  },
  ReputationRejection: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'retry-later',
    rationale: 'it refused us for our reputation: we retry later, it is its call',
  },
  NetworkError: {
    penalty: undefined,
    disconnect: false,
    addressBook: 'retry-later',
    rationale: 'the network, not the peer (a failed dial is charged connectionFailed where it is made)',
  },
  RateLimited: {
    penalty: 'rateLimited',
    disconnect: false,
    addressBook: undefined,
    rationale: 'charged once per violation window by the rate limiter; throttled meanwhile',
  },
  UnexpectedMessage: {
    penalty: 'unexpectedMessage',
    disconnect: false,
    addressBook: undefined,
    rationale: 'an answer nobody asked for: its entries are not used',
  },
  ResourceLimitExceeded: {
    penalty: undefined,
    disconnect: false,
    addressBook: 'retry-later',
    rationale:
      'a peer over its memory budget, or the node over its own: the work is refused; what the peer did to get there is charged as slowReader or budgetHog',
  },
}

const ACTIONS_BY_CODE = new Map<number, ErrorAction>(
  Object.entries(ErrorCode).map(([name, code]) => [code, ERROR_ACTIONS[name as ErrorCodeName]]),
)

/** The action for a PAW error code; undefined for a code PAW does not define. */
export function actionForCode(code: number): ErrorAction | undefined {
  return ACTIONS_BY_CODE.get(code)
}

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
    entry.score += OFFENCES[reason].penalty
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
