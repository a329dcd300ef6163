/**
 * Per-peer rate limits (000 "Rate Limiting"), declared as data: each limit is a token
 * bucket (a sustained rate and a burst) with the one-line reason for its numbers. A peer
 * over a limit is throttled (the excess is dropped unprocessed) and reported, so the
 * caller can score it; an honest peer well inside the limits never is. Browser-safe.
 *
 * Why token buckets: they allow the bursts honest traffic has (a mempool sync right after
 * connecting, a batch of transactions a wallet sends at once) while bounding the long-run
 * rate exactly. A peer at 80% of a limit's rate, whatever its burst pattern within the
 * burst size, never runs dry.
 */

import type { RateLimit, RateLimitName } from '../api/peers.ts'

export type { RateLimit, RateLimitName }

/** What a peer may send us. Keys name the limit in logs and metrics. */
export const RATE_LIMITS = {
  gossipTransactions: {
    ratePerSecond: 1_000,
    burst: 4_000,
    rationale:
      'a relay forwards the whole network’s transactions, so the limit is the network rate a node can validate (~1,000/s with the OpenSSL fast path), with a 4 s burst for wallets that send batches',
  },
  mempoolRequests: {
    ratePerSecond: 2,
    burst: 40,
    rationale:
      'a full MEMPOOL_SYNC is at most 16 get_transactions right after connecting; 40 leaves room for two syncs and lone TRANSACTION_REQUESTs, 2/s is far above what a synced peer needs',
  },
  mempoolInventories: {
    ratePerSecond: 1 / 60,
    burst: 2,
    rationale:
      'one mempool_hashes per connection is the protocol; 2 per minute per peer tolerates a quick reconnect and nothing more',
  },
  peerRequests: {
    ratePerSecond: 0.1,
    burst: 1,
    rationale:
      'DECISIONS.md "Peer exchange": at most one get_peers per peer per 10 s; a list is up to 1,000 addresses, and asking more often learns nothing new',
  },
  headerRequests: {
    ratePerSecond: 32,
    burst: 128,
    rationale:
      'each get_headers is answered with at most 512 headers (78 KiB, one index read): 16,384 headers/s sustained (a million in about a minute from one peer), a burst of 128 fetches 65,536 at once',
  },
  blockRequests: {
    ratePerSecond: 32,
    burst: 512,
    rationale:
      'a get_block or get_blocks costs one token per started MiB of its answer (blockAnswerCost), at least one: 32 MiB/s of blocks per peer sustained, or 32 answers/s of small blocks (4,096 blocks/s); a burst of 512 lets a new node fetch 512 MiB, or 65,536 small blocks, at once',
  },
  stateRequests: {
    ratePerSecond: 20,
    burst: 100,
    rationale:
      'a get_account takes 1 token (one state-tree path), a get_transaction_status STATE_TRANSACTION_COST (4: it reads and hashes a whole block, ~40 ms at 10,000 transactions): a wallet reads an account with at most 3 requests and follows a transaction with one per peer per new tip, far inside 20/s; a peer at the limit gets 5 inclusion proofs/s',
  },
} as const satisfies Record<RateLimitName, RateLimit>

/**
 * The stateRequests tokens a get_transaction_status takes (a get_account takes 1): proving
 * an inclusion reads the whole block and hashes its transactions into the Merkle tree,
 * where an account proof reads one path of the state tree.
 */
export const STATE_TRANSACTION_COST = 4

const MIB = 1024 * 1024

/**
 * The blockRequests tokens a `blocks` answer costs, from its payload length
 * (blocksPayloadLength: both sides can compute it): one per started MiB, at least one. Bytes are what serving blocks spends (storage reads, upload), so a
 * peer syncing small blocks is not held to the rate of one syncing full ones.
 */
export function blockAnswerCost(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / MIB))
}

/** A token bucket. `now` is in ms (injectable for tests). */
export class TokenBucket {
  readonly #limit: RateLimit
  #tokens: number
  #updatedAt: number

  constructor(limit: RateLimit, now: number) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError('a rate limit needs ratePerSecond > 0 and burst >= 1')
    }
    this.#limit = limit
    this.#tokens = limit.burst
    this.#updatedAt = now
  }

  /** Takes `cost` tokens if there are enough; false (taking none) if not. */
  take(now: number, cost = 1): boolean {
    this.#refill(now)
    if (this.#tokens < cost) return false
    this.#tokens -= cost
    return true
  }

  /**
   * Takes `cost` tokens even if there are not enough: the bucket goes into debt, and takes
   * succeed again once the rate has paid it back. For costs known only after the work
   * (the size of an answer), where the work has been allowed already.
   */
  charge(now: number, cost: number): void {
    this.#refill(now)
    this.#tokens -= cost
  }

  /** Tokens left now (negative while in debt). */
  available(now: number): number {
    this.#refill(now)
    return this.#tokens
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt)
    this.#updatedAt = Math.max(now, this.#updatedAt)
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + (elapsed * this.#limit.ratePerSecond) / 1000)
  }
}

export interface RateLimitViolation {
  peerId: string
  limit: RateLimitName
  /** Requests refused in this violation window so far. */
  refused: number
}

/**
 * Every peer's buckets. `allow` answers whether a peer may do one more thing; a refusal
 * calls `onViolation` at most once per peer and limit per `violationWindowMs`, so a flood
 * is scored as one offence per window, not once per message (which would ban a peer for a
 * single burst).
 */
export class PeerRateLimiter {
  readonly #limits: Readonly<Record<RateLimitName, RateLimit>>
  readonly #buckets = new Map<string, Map<RateLimitName, TokenBucket>>()
  readonly #lastViolation = new Map<string, number>()
  readonly #refused = new Map<string, number>()
  readonly #onViolation: (violation: RateLimitViolation) => void
  readonly #now: () => number
  readonly #violationWindowMs: number
  /** Refusals by limit, for metrics. */
  readonly refusedTotal: Record<RateLimitName, number>

  constructor(
    init: {
      limits?: Partial<Record<RateLimitName, RateLimit>>
      onViolation?: (violation: RateLimitViolation) => void
      now?: () => number
      violationWindowMs?: number
    } = {},
  ) {
    this.#limits = { ...RATE_LIMITS, ...init.limits }
    this.#onViolation = init.onViolation ?? (() => {})
    this.#now = init.now ?? Date.now
    this.#violationWindowMs = init.violationWindowMs ?? 10_000
    this.refusedTotal = {
      gossipTransactions: 0,
      mempoolRequests: 0,
      mempoolInventories: 0,
      peerRequests: 0,
      headerRequests: 0,
      blockRequests: 0,
      stateRequests: 0,
    }
  }

  /** Whether `peerId` may do `cost` more of `limit` now; takes the tokens if so. */
  allow(peerId: string, limit: RateLimitName, cost = 1): boolean {
    const now = this.#now()
    if (this.#bucket(peerId, limit, now).take(now, cost)) return true
    this.refusedTotal[limit]++
    const key = `${peerId} ${limit}`
    const refused = (this.#refused.get(key) ?? 0) + 1
    this.#refused.set(key, refused)
    const last = this.#lastViolation.get(key)
    if (last === undefined || now - last >= this.#violationWindowMs) {
      this.#lastViolation.set(key, now)
      this.#refused.set(key, 0)
      this.#onViolation({ peerId, limit, refused })
    }
    return false
  }

  /**
   * Charges `cost` more of `limit` to `peerId` after the fact (TokenBucket.charge): what an
   * allowed request turned out to cost. Its next requests wait until the debt is paid.
   */
  charge(peerId: string, limit: RateLimitName, cost: number): void {
    const now = this.#now()
    this.#bucket(peerId, limit, now).charge(now, cost)
  }

  #bucket(peerId: string, limit: RateLimitName, now: number): TokenBucket {
    let buckets = this.#buckets.get(peerId)
    if (buckets === undefined) {
      buckets = new Map()
      this.#buckets.set(peerId, buckets)
    }
    let bucket = buckets.get(limit)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#limits[limit], now)
      buckets.set(limit, bucket)
    }
    return bucket
  }

  /**
   * Drops the buckets of peers whose buckets have all refilled: they hold no information
   * (a new bucket starts full), so the map stays as small as the set of recently active
   * peers. Buckets are not dropped on disconnect: reconnecting must not refill them.
   */
  prune(): void {
    const now = this.#now()
    for (const [peerId, buckets] of this.#buckets) {
      let full = true
      for (const [name, bucket] of buckets) {
        if (bucket.available(now) < this.#limits[name].burst) full = false
      }
      if (full) this.#buckets.delete(peerId)
    }
    for (const [key, at] of this.#lastViolation) {
      if (now - at >= this.#violationWindowMs) {
        this.#lastViolation.delete(key)
        this.#refused.delete(key)
      }
    }
  }

  /** Peers with buckets held (for tests and metrics). */
  get trackedPeers(): number {
    return this.#buckets.size
  }
}
