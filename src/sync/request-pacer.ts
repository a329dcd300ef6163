/**
 * The client side of a peer's declared request quotas (RATE_LIMITS headerRequests and
 * blockRequests, protocols/blocks.md "Rate limits"): a syncing node keeps to PACE_SHARE of
 * each, so an honest sync is never refused with 0x09, whatever its pattern. One pacer per
 * peer and limit, shared by every request to that peer. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { RATE_LIMITS, type RateLimitName, TokenBucket } from '../peers/rate-limits.ts'

/** Share of a server's declared quota a syncing node uses, so it is never over it. */
export const PACE_SHARE = 0.8

const realClock = {
  now: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
}

/** Time for a pacer (injectable for tests). */
export type PacerClock = typeof realClock

export class RequestPacer {
  readonly #bucket: TokenBucket
  readonly #ratePerSecond: number
  readonly #clock: PacerClock

  constructor(limit: Extract<RateLimitName, 'headerRequests' | 'blockRequests'>, clock = realClock) {
    this.#clock = clock
    const declared = RATE_LIMITS[limit]
    this.#ratePerSecond = declared.ratePerSecond * PACE_SHARE
    this.#bucket = new TokenBucket(
      {
        ratePerSecond: this.#ratePerSecond,
        burst: Math.max(1, Math.floor(declared.burst * PACE_SHARE)),
        rationale: `client side of ${limit}`,
      },
      clock.now(),
    )
  }

  /** Waits until one more request fits, and takes it; an abort stops the wait (nothing taken). */
  async take(options: AbortOptions = {}): Promise<void> {
    for (;;) {
      options.signal?.throwIfAborted()
      const now = this.#clock.now()
      if (this.#bucket.take(now)) return
      const missing = 1 - this.#bucket.available(now)
      await this.#clock.sleep(Math.max(5, Math.ceil((missing / this.#ratePerSecond) * 1000)))
    }
  }

  /** What a request turned out to cost beyond its one token (blockAnswerCost - 1). */
  charge(extra: number): void {
    if (extra > 0) this.#bucket.charge(this.#clock.now(), extra)
  }
}

type PacedLimit = ConstructorParameters<typeof RequestPacer>[0]

/**
 * Every peer's pacers, kept across syncs: a sync starting right after another must not
 * start from a full bucket the server has not refilled.
 */
export class RequestPacers {
  readonly #pacers = new Map<string, Map<PacedLimit, RequestPacer>>()

  for(peer: string, limit: PacedLimit): RequestPacer {
    let mine = this.#pacers.get(peer)
    if (mine === undefined) {
      mine = new Map()
      this.#pacers.set(peer, mine)
    }
    let pacer = mine.get(limit)
    if (pacer === undefined) {
      pacer = new RequestPacer(limit)
      mine.set(limit, pacer)
    }
    return pacer
  }

  /** Forgets the peers not in `connected`. */
  retain(connected: readonly string[]): void {
    const keep = new Set(connected)
    for (const peer of this.#pacers.keys()) if (!keep.has(peer)) this.#pacers.delete(peer)
  }
}
