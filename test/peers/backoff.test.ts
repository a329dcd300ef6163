/**
 * Reconnect backoff (DECISIONS.md "Connections"): min(2^attempt s, 600 s) with ±20% jitter.
 */
import { describe, expect, it } from 'vitest'
import { reconnectDelayMs } from '../../src/peers/backoff.ts'

const ALMOST_ONE = 1 - Number.EPSILON

describe('reconnectDelayMs', () => {
  it.each([
    [0, 1_000],
    [1, 2_000],
    [2, 4_000],
    [5, 32_000],
    [9, 512_000],
    [10, 600_000],
    [11, 600_000],
    [50, 600_000],
    [1_000, 600_000],
  ])('attempt %i at random 0.5 (no jitter) → %i ms', (attempt, expected) => {
    expect(reconnectDelayMs(attempt, 0.5)).toBe(expected)
  })

  it('jitter: −20% at random 0, just under +20% at random ~1', () => {
    expect(reconnectDelayMs(0, 0)).toBe(800)
    expect(reconnectDelayMs(0, ALMOST_ONE)).toBe(1_200)
    expect(reconnectDelayMs(9, 0)).toBe(409_600)
    expect(reconnectDelayMs(9, ALMOST_ONE)).toBe(614_400)
    expect(reconnectDelayMs(10, 0)).toBe(480_000)
    expect(reconnectDelayMs(10, ALMOST_ONE)).toBe(720_000)
    expect(reconnectDelayMs(50, 0)).toBe(480_000)
  })

  it('without a random argument stays within the jitter bounds', () => {
    for (let i = 0; i < 200; i++) {
      const delay = reconnectDelayMs(3)
      expect(delay).toBeGreaterThanOrEqual(6_400)
      expect(delay).toBeLessThanOrEqual(9_600)
    }
  })

  it('is non-decreasing in attempt for a fixed random', () => {
    for (const random of [0, 0.25, 0.5, 0.75, ALMOST_ONE]) {
      let previous = 0
      for (let attempt = 0; attempt <= 64; attempt++) {
        const delay = reconnectDelayMs(attempt, random)
        expect(delay).toBeGreaterThanOrEqual(previous)
        expect(Number.isFinite(delay)).toBe(true)
        previous = delay
      }
    }
  })
})
