/**
 * The enforcer (src/peers/enforcer.ts) applies the one table of offences (OFFENCES): the
 * penalty, a disconnect or a ban at once, a disconnect on repetition, and the score's
 * thresholds, whether or not the peer is still connected.
 */
import { describe, expect, it } from 'vitest'
import { ReputationRejectionError } from '../../src/errors.ts'
import { silentLogger } from '../../src/logging.ts'
import type { Ban, BanOptions } from '../../src/peers/ban-list.ts'
import { Enforcer } from '../../src/peers/enforcer.ts'
import { OFFENCES } from '../../src/peers/offences.ts'
import { BAN_BELOW, DISCONNECT_BELOW, Reputation } from '../../src/peers/reputation.ts'

function harness(init: { connected?: Set<string>; gossip?: Map<string, number> } = {}) {
  let now = 1_000_000
  const connected = init.connected ?? new Set(['p'])
  const reputation = new Reputation({ now: () => now })
  const gossip = init.gossip
  if (gossip !== undefined) reputation.setGossipScore((peerId) => gossip.get(peerId))
  const banned = new Map<string, BanOptions>()
  const disconnects: Array<{ peerId: string; error: string }> = []
  const enforcer = new Enforcer({
    reputation,
    ban: async (peerId, options) => {
      banned.set(peerId, options)
      connected.delete(peerId)
      return { peerId, ...options, ip: undefined, createdAt: now, until: now + options.durationMs } as Ban
    },
    isBanned: (peerId) => banned.has(peerId),
    disconnect: (peerId, error) => {
      disconnects.push({ peerId, error: error.message })
      connected.delete(peerId)
    },
    isConnected: (peerId) => connected.has(peerId),
    log: silentLogger,
    now: () => now,
  })
  return {
    enforcer,
    reputation,
    banned,
    disconnects,
    connected,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('Enforcer', () => {
  it('charges the penalty of the table and keeps a peer whose offence does not disconnect', () => {
    const { enforcer, reputation, disconnects } = harness()
    expect(enforcer.charge('p', 'invalidMessage', 'bad frame', 'test')).toBe(OFFENCES.invalidMessage.penalty)
    expect(reputation.localScore('p')).toBe(-5)
    expect(disconnects).toEqual([])
    expect(enforcer.stats().charged).toEqual({ invalidMessage: 1 })
  })

  it('disconnects at once for 0x04, with the error that caused it', () => {
    const { enforcer, disconnects } = harness()
    enforcer.charge('p', 'messageTooLarge', new ReputationRejectionError('a 10 MiB handshake'), 'handshake')
    expect(disconnects).toEqual([{ peerId: 'p', error: 'a 10 MiB handshake' }])
    expect(enforcer.stats().disconnects.offence).toBe(1)
  })

  it('bans at once for an offence the table says bans (invalidBlock), once', async () => {
    const { enforcer, banned } = harness()
    enforcer.charge('p', 'invalidBlock', 'bad proof of work', 'gossip')
    enforcer.charge('p', 'invalidBlock', 'bad proof of work again', 'gossip')
    await Promise.resolve()
    expect(banned.get('p')).toMatchObject({ source: 'reputation', durationMs: 24 * 60 * 60_000 })
    expect(banned.get('p')?.reason).toMatch(/^invalidBlock \(0x05\): bad proof of work$/)
    expect(enforcer.stats().bans).toEqual({ offence: 1, score: 0 })
  })

  it('disconnects a slow reader on its third offence within 10 minutes, not before, not after the window', () => {
    const { enforcer, disconnects, advance } = harness()
    enforcer.charge('p', 'slowReader', 'not read', 'blocks')
    advance(9 * 60_000)
    enforcer.charge('p', 'slowReader', 'not read', 'blocks')
    advance(2 * 60_000)
    // The first has left the window: two within 10 minutes.
    enforcer.charge('p', 'slowReader', 'not read', 'blocks')
    expect(disconnects).toEqual([])
    enforcer.charge('p', 'slowReader', 'not read', 'blocks')
    expect(disconnects.map((d) => d.peerId)).toEqual(['p'])
    expect(enforcer.stats().disconnects.repeated).toBe(1)
  })

  it('disconnects below DISCONNECT_BELOW and bans below BAN_BELOW, ban first', () => {
    const { enforcer, banned, disconnects, reputation } = harness()
    while (reputation.score('p') >= DISCONNECT_BELOW) enforcer.charge('p', 'unexpectedMessage', 'x', 'test')
    expect(disconnects.length).toBe(1)
    expect(banned.size).toBe(0)
    while (reputation.score('p') >= BAN_BELOW) enforcer.charge('p', 'unexpectedMessage', 'x', 'test')
    expect(banned.has('p')).toBe(true)
    expect(enforcer.stats().bans.score).toBe(1)
  })

  it('bans a peer whose score crosses the ban threshold after it was disconnected (the race of issue 15)', () => {
    // gossipsub's score, as its heartbeat sees it: the peer is disconnected at −400 …
    const gossip = new Map([['p', -450]])
    const { enforcer, banned, disconnects, connected } = harness({ gossip })
    expect(enforcer.review('p')).toBe('disconnected')
    expect(disconnects.length).toBe(1)
    expect(connected.has('p')).toBe(false)
    // … and its invalid messages still queued are judged after it left: −1,919.
    gossip.set('p', -1_919)
    expect(enforcer.review('p')).toBe('banned')
    expect(banned.get('p')?.reason).toMatch(/reputation -1919 below the ban threshold/)
    // No second disconnect of a peer that is gone, no second ban.
    expect(enforcer.review('p')).toBe('banned')
    expect(disconnects.length).toBe(1)
  })

  it('does nothing to a peer in good standing', () => {
    const { enforcer, disconnects, banned } = harness({ gossip: new Map([['p', 5]]) })
    expect(enforcer.review('p')).toBeUndefined()
    expect(disconnects).toEqual([])
    expect(banned.size).toBe(0)
  })
})
