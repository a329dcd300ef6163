import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../src/errors.ts'
import { actionForCode, ERROR_ACTIONS, PENALTIES } from '../../src/peers/offences.ts'
import {
  BAN_BELOW,
  DISCONNECT_BELOW,
  MAX_LOCAL_CREDIT,
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

describe('reputation from connections and error codes', () => {
  it('credits completed handshakes, capped, and charges failed connections', () => {
    const reputation = new Reputation({ now: () => 0 })
    for (let i = 0; i < 50; i++) reputation.credit('p')
    expect(reputation.localScore('p')).toBe(MAX_LOCAL_CREDIT)
    reputation.penalize('p', 'connectionFailed')
    expect(reputation.localScore('p')).toBe(MAX_LOCAL_CREDIT + PENALTIES.connectionFailed)
  })

  it('has one action for every PAW error code, and none for unknown codes', () => {
    for (const [name, code] of Object.entries(ErrorCode)) {
      const action = actionForCode(code)
      expect(action, name).toBe(ERROR_ACTIONS[name as keyof typeof ERROR_ACTIONS])
      expect(action?.rationale.length, name).toBeGreaterThan(10)
    }
    expect(actionForCode(0xff)).toBeUndefined()
    expect(actionForCode(ErrorCode.ChainIdMismatch)?.addressBook).toBe('wrong-chain')
    expect(actionForCode(ErrorCode.MessageTooLarge)).toMatchObject({
      penalty: 'messageTooLarge',
      disconnect: true,
    })
  })

  it('calls for a ban only below BAN_BELOW, after the disconnect threshold', () => {
    const reputation = new Reputation({ now: () => 0 })
    let score = 0
    while (score >= DISCONNECT_BELOW) score = reputation.penalize('p', 'messageTooLarge')
    expect(reputation.isShunned('p')).toBe(true)
    expect(reputation.deservesBan('p')).toBe(false)
    while (score >= BAN_BELOW) score = reputation.penalize('p', 'messageTooLarge')
    expect(reputation.deservesBan('p')).toBe(true)
  })
})
