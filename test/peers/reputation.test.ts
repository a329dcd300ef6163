import { describe, expect, it } from 'vitest'
import { DISCONNECT_BELOW, PENALTIES, PENALTY_HALF_LIFE_MS, Reputation } from '../../src/peers/reputation.ts'

describe('Reputation', () => {
  it('adds local penalties and the gossipsub score, and recovers with the half-life', () => {
    let now = 0
    const reputation = new Reputation({ now: () => now })
    let gossip = 10
    reputation.setGossipScore(() => gossip)
    expect(reputation.score('p')).toBe(10)
    reputation.penalize('p', 'rateLimited')
    expect(reputation.localScore('p')).toBe(PENALTIES.rateLimited)
    expect(reputation.score('p')).toBe(10 + PENALTIES.rateLimited)
    now = PENALTY_HALF_LIFE_MS
    expect(reputation.localScore('p')).toBeCloseTo(PENALTIES.rateLimited / 2)
    gossip = Number.NaN
    expect(reputation.gossipScore('p')).toBe(0)
    now = 20 * PENALTY_HALF_LIFE_MS
    reputation.prune()
    expect(reputation.localScore('p')).toBe(0)
  })

  it('shuns a peer below the disconnect threshold, by either input', () => {
    const reputation = new Reputation()
    let gossip = 0
    reputation.setGossipScore(() => gossip)
    expect(reputation.isShunned('p')).toBe(false)
    gossip = DISCONNECT_BELOW - 1
    expect(reputation.isShunned('p')).toBe(true)
    gossip = 0
    const needed = Math.ceil(-DISCONNECT_BELOW / -PENALTIES.messageTooLarge) + 1
    for (let i = 0; i < needed; i++) reputation.penalize('q', 'messageTooLarge')
    expect(reputation.isShunned('q')).toBe(true)
  })
})
