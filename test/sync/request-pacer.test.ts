import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { blockAnswerCost, PeerRateLimiter, RATE_LIMITS } from '../../src/peers/rate-limits.ts'
import { PACE_SHARE, RequestPacer } from '../../src/sync/request-pacer.ts'

/** A clock the pacer sleeps on without waiting. */
function virtualClock() {
  const clock = {
    at: 0,
    now: () => clock.at,
    sleep: async (ms: number) => {
      clock.at += ms
    },
  }
  return clock
}

const MIB = 1024 * 1024

describe('RequestPacer', () => {
  it('keeps a sync inside the server quota whatever the answer sizes and gaps (never refused)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('blockRequests' as const, 'headerRequests' as const),
        fc.array(
          fc.record({
            // Answer payload sizes: small blocks up to an 8 MiB answer, or a lone 10 MiB block.
            bytes: fc.oneof(fc.integer({ min: 0, max: 8 * MIB }), fc.constant(10_485_579)),
            // Mostly back to back (a sync), sometimes a pause.
            gapMs: fc.oneof(
              { arbitrary: fc.constant(0), weight: 9 },
              { arbitrary: fc.integer({ min: 0, max: 1_000 }), weight: 1 },
            ),
          }),
          { minLength: 1, maxLength: 300, size: 'max' },
        ),
        async (limit, requests) => {
          const clock = virtualClock()
          let refused = 0
          const server = new PeerRateLimiter({ now: clock.now, onViolation: () => refused++ })
          const pacer = new RequestPacer(limit, clock)
          for (const { bytes, gapMs } of requests) {
            clock.at += gapMs
            await pacer.take()
            if (!server.allow('client', limit)) refused++
            if (limit === 'blockRequests') {
              server.charge('client', limit, blockAnswerCost(bytes) - 1)
              pacer.charge(blockAnswerCost(bytes) - 1)
            }
          }
          expect(refused).toBe(0)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('sustains PACE_SHARE of the declared rate once the burst is spent', async () => {
    const clock = virtualClock()
    const pacer = new RequestPacer('headerRequests', clock)
    const declared = RATE_LIMITS.headerRequests
    const burst = Math.floor(declared.burst * PACE_SHARE)
    for (let i = 0; i < burst; i++) await pacer.take()
    expect(clock.at).toBe(0)
    for (let i = 0; i < 100; i++) await pacer.take()
    const rate = 100 / (clock.at / 1000)
    expect(rate).toBeLessThanOrEqual(declared.ratePerSecond * PACE_SHARE)
    expect(rate).toBeGreaterThan(declared.ratePerSecond * PACE_SHARE * 0.9)
  })
})
