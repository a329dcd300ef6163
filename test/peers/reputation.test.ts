import { describe, expect, it } from 'vitest'
import {
  DISCONNECT_BELOW,
  PENALTIES,
  PENALTY_HALF_LIFE_MS,
  Reputation,
  THROTTLE_MS,
  THROTTLED_PENALTY,
} from '../../src/peers/reputation.ts'

describe('Reputation', () => {
  it('adds local penalties and the gossipsub score, and recovers with the half-life', () => {
    let now = 0
    const reputation = new Reputation({ now: () => now })
    // A peer gossipsub does not track: the local part alone.
    let gossip: number | undefined
    reputation.setGossipScore(() => gossip)
    expect(reputation.score('p')).toBe(0)
    reputation.penalize('p', 'rateLimited')
    expect(reputation.localScore('p')).toBe(PENALTIES.rateLimited)
    expect(reputation.score('p')).toBe(PENALTIES.rateLimited)
    // One it tracks: its gossipsub score, which holds the local part already (P5).
    gossip = 10 + PENALTIES.rateLimited
    expect(reputation.score('p')).toBe(10 + PENALTIES.rateLimited)
    now = PENALTY_HALF_LIFE_MS
    expect(reputation.localScore('p')).toBeCloseTo(PENALTIES.rateLimited / 2)
    gossip = Number.NaN
    expect(reputation.gossipScore('p')).toBe(0)
    expect(reputation.score('p')).toBeCloseTo(PENALTIES.rateLimited / 2)
    now = 20 * PENALTY_HALF_LIFE_MS
    reputation.prune()
    expect(reputation.localScore('p')).toBe(0)
  })

  it('lowers a throttled peer below the gossip threshold while it keeps over its limit, then lifts', () => {
    let now = 0
    const reputation = new Reputation({ now: () => now })
    reputation.throttle('p')
    expect(reputation.localScore('p')).toBe(THROTTLED_PENALTY)
    expect(THROTTLED_PENALTY).toBeLessThan(-100)
    expect(THROTTLED_PENALTY).toBeGreaterThan(DISCONNECT_BELOW)
    now = THROTTLE_MS - 1
    reputation.throttle('p')
    now = THROTTLE_MS + 1
    expect(reputation.isThrottled('p')).toBe(true)
    now = 2 * THROTTLE_MS
    expect(reputation.isThrottled('p')).toBe(false)
    expect(reputation.localScore('p')).toBe(0)
  })

  it('shuns a peer below the disconnect threshold, by either input', () => {
    const reputation = new Reputation()
    let gossip: number | undefined = 0
    reputation.setGossipScore(() => gossip)
    expect(reputation.isShunned('p')).toBe(false)
    gossip = DISCONNECT_BELOW - 1
    expect(reputation.isShunned('p')).toBe(true)
    // Not tracked by gossipsub (e.g. a peer met only on /paw/* streams): the local part decides.
    gossip = undefined
    const needed = Math.ceil(-DISCONNECT_BELOW / -PENALTIES.messageTooLarge) + 1
    for (let i = 0; i < needed; i++) reputation.penalize('q', 'messageTooLarge')
    expect(reputation.isShunned('q')).toBe(true)
  })
})
