import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  blockAnswerCost,
  PeerRateLimiter,
  RATE_LIMITS,
  type RateLimitName,
  TokenBucket,
} from '../../src/peers/rate-limits.ts'

const NAMES = Object.keys(RATE_LIMITS) as RateLimitName[]

describe('RATE_LIMITS', () => {
  it('declares a rate, a burst and a rationale for every limit', () => {
    for (const name of NAMES) {
      const limit = RATE_LIMITS[name]
      expect(limit.ratePerSecond).toBeGreaterThan(0)
      expect(limit.burst).toBeGreaterThanOrEqual(1)
      expect(limit.rationale.length).toBeGreaterThan(20)
    }
  })

  it('leaves room for a full 16-request mempool sync right after connecting', () => {
    expect(RATE_LIMITS.mempoolRequests.burst).toBeGreaterThanOrEqual(16)
  })
})

describe('TokenBucket', () => {
  it('allows the burst at once, then the rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, rationale: 'test' }, 0)
    for (let i = 0; i < 5; i++) expect(bucket.take(0)).toBe(true)
    expect(bucket.take(0)).toBe(false)
    expect(bucket.take(99)).toBe(false)
    expect(bucket.take(100)).toBe(true)
    expect(bucket.available(10_000)).toBe(5)
  })
})

describe('PeerRateLimiter', () => {
  it('throttles a peer over a limit and reports one violation per window, per peer', () => {
    let now = 0
    const violations: string[] = []
    const limiter = new PeerRateLimiter({
      now: () => now,
      limits: { mempoolRequests: { ratePerSecond: 1, burst: 3, rationale: 'test' } },
      onViolation: ({ peerId, limit }) => violations.push(`${peerId} ${limit}`),
      violationWindowMs: 10_000,
    })
    for (let i = 0; i < 3; i++) expect(limiter.allow('a', 'mempoolRequests')).toBe(true)
    for (let i = 0; i < 50; i++) expect(limiter.allow('a', 'mempoolRequests')).toBe(false)
    expect(limiter.allow('b', 'mempoolRequests')).toBe(true)
    expect(violations).toEqual(['a mempoolRequests'])
    expect(limiter.refusedTotal.mempoolRequests).toBe(50)
    now = 11_000
    for (let i = 0; i < 20; i++) limiter.allow('a', 'mempoolRequests')
    expect(violations).toEqual(['a mempoolRequests', 'a mempoolRequests'])
  })

  it('keeps a disconnected peer’s buckets until they have refilled, then prunes them', () => {
    let now = 0
    const limiter = new PeerRateLimiter({ now: () => now })
    for (let i = 0; i < 40; i++) limiter.allow('a', 'mempoolRequests')
    limiter.prune()
    expect(limiter.trackedPeers).toBe(1)
    now = 60_000
    limiter.prune()
    expect(limiter.trackedPeers).toBe(0)
  })

  it('never throttles an honest peer at 80% of any limit, whatever its timing within the burst', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 200, size: 'max' }),
        (name, jitter) => {
          // 80% of the rate: event k is due at k / (0.8 r) s; honest clients send early or
          // late by up to one burst's worth of the remaining slack, never ahead of schedule
          // by more than the burst allows.
          const limit = RATE_LIMITS[name]
          const interval = 1000 / (0.8 * limit.ratePerSecond)
          let now = 0
          let refused = 0
          const limiter = new PeerRateLimiter({ now: () => now, onViolation: () => refused++ })
          for (const [k, j] of jitter.entries()) {
            // Sent anywhere from its due time up to 0.2 × burst events early.
            now = Math.max(now, (k - j * 0.2 * (limit.burst - 1)) * interval)
            if (!limiter.allow('honest', name)) refused++
          }
          expect(refused).toBe(0)
        },
      ),
      { numRuns: 1_000 },
    )
  })
})

describe('blockRequests by answer size', () => {
  it('costs one token per started MiB of the answer, at least one', () => {
    expect(blockAnswerCost(0)).toBe(1)
    expect(blockAnswerCost(309 * 128)).toBe(1)
    expect(blockAnswerCost(1024 * 1024)).toBe(1)
    expect(blockAnswerCost(1024 * 1024 + 1)).toBe(2)
    expect(blockAnswerCost(10_485_579)).toBe(10)
  })

  it('charges a cost known after the work into debt, and allows again once the rate paid it back', () => {
    let now = 0
    const limiter = new PeerRateLimiter({
      now: () => now,
      limits: { blockRequests: { ratePerSecond: 10, burst: 10, rationale: 'test' } },
    })
    expect(limiter.allow('p', 'blockRequests')).toBe(true)
    limiter.charge('p', 'blockRequests', 14) // 10 - 1 - 14 = -5 tokens
    expect(limiter.allow('p', 'blockRequests')).toBe(false)
    now = 500 // +5: 0 tokens
    expect(limiter.allow('p', 'blockRequests')).toBe(false)
    now = 600 // +1
    expect(limiter.allow('p', 'blockRequests')).toBe(true)
  })
})
