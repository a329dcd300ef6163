/**
 * Who is kept out (src/peers/peer-gate.ts): bans by peer or IP, shunned reputation, and
 * peers of another chain by address and identity for the redial block.
 */
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import { BanList, type BanListDocument } from '../../src/peers/ban-list.ts'
import { MemoryJsonStore } from '../../src/peers/json-store.ts'
import { PeerGate } from '../../src/peers/peer-gate.ts'
import { DISCONNECT_BELOW, Reputation } from '../../src/peers/reputation.ts'
import { fakeConnection, newPeerIds } from './peer-fakes.ts'

let a: PeerId
let b: PeerId
beforeAll(async () => {
  ;[a, b] = (await newPeerIds(2)) as [PeerId, PeerId]
})

async function banList(): Promise<BanList> {
  return BanList.open({ store: new MemoryJsonStore<BanListDocument>() })
}

describe('PeerGate', () => {
  it('lets everyone through without bans, reputation or blocks', () => {
    const gate = new PeerGate()
    expect(gate.banOf(a.toString(), '1.2.3.4')).toBeUndefined()
    expect(gate.isShunned(a.toString())).toBe(false)
    expect(gate.isBlocked(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${a}`), a.toString())).toBe(false)
  })

  it('finds the ban on a peer or on the IP it would be reached at', async () => {
    const bans = await banList()
    await bans.ban(a.toString(), { durationMs: 60_000, reason: 'test', source: 'operator', ip: '5.6.7.8' })
    const gate = new PeerGate({ bans })
    expect(gate.banOf(a.toString(), undefined)?.reason).toBe('test')
    expect(gate.banOf(b.toString(), '5.6.7.8')).toMatchObject({ peerId: a.toString() })
    expect(gate.banOf(b.toString(), '5.6.7.9')).toBeUndefined()
    expect(gate.isBlocked(multiaddr(`/ip4/5.6.7.8/tcp/1/p2p/${b}`), b.toString())).toBe(true)
    expect(gate.isBlocked(multiaddr('/ip4/5.6.7.8/tcp/1'), undefined)).toBe(true)
  })

  it('keeps any peer at an IP or inside a subnet out, whatever its id', async () => {
    const bans = await banList()
    await bans.banIp('10.1.0.0/16', { durationMs: 60_000, reason: 'range', source: 'operator' })
    const gate = new PeerGate({ bans })
    expect(gate.banOf(a.toString(), '10.1.200.3')).toMatchObject({ ip: '10.1.0.0/16', reason: 'range' })
    expect(gate.banOf(undefined, '::ffff:10.1.0.1')?.reason).toBe('range')
    expect(gate.banOf(a.toString(), '10.2.0.1')).toBeUndefined()
    expect(gate.isBlocked(multiaddr(`/ip4/10.1.9.9/tcp/1/p2p/${b}`), b.toString())).toBe(true)
    expect(gate.isBlocked(multiaddr('/ip4/10.1.9.9/tcp/1'), undefined)).toBe(true)
  })

  it('blocks a shunned peer', () => {
    const reputation = new Reputation()
    while (reputation.score(a.toString()) >= DISCONNECT_BELOW)
      reputation.penalize(a.toString(), 'invalidBlock')
    const gate = new PeerGate({ reputation })
    expect(gate.isShunned(a.toString())).toBe(true)
    expect(gate.isBlocked(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${a}`), a.toString())).toBe(true)
    expect(gate.isBlocked(multiaddr(`/ip4/1.2.3.4/tcp/1/p2p/${b}`), b.toString())).toBe(false)
  })

  it('keeps a peer of another chain out by address and by identity until the block ends', () => {
    const gate = new PeerGate({ wrongChainMs: 1_000 })
    gate.blockWrongChain(fakeConnection({ remotePeer: a, remoteAddr: '/ip4/9.9.9.9/tcp/26656' }))
    expect(gate.isBlocked(multiaddr(`/ip4/9.9.9.9/tcp/26656/p2p/${b}`), b.toString())).toBe(true)
    expect(gate.isBlocked(multiaddr(`/ip4/8.8.8.8/tcp/26656/p2p/${a}`), a.toString())).toBe(true)
    expect(gate.isBlocked(multiaddr(`/ip4/8.8.8.8/tcp/26656/p2p/${b}`), b.toString())).toBe(false)
    gate.prune(Date.now() + 1_001)
    expect(gate.isBlocked(multiaddr(`/ip4/9.9.9.9/tcp/26656/p2p/${a}`), a.toString())).toBe(false)
  })
})
