/**
 * The handshake hooks (src/peers/admission.ts): who is admitted inbound (bans, reputation,
 * limits, eviction), what a completed handshake records, and what a failed one costs by
 * its code (ERROR_ACTIONS).
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ChainIdMismatchError,
  ErrorCode,
  HandshakeTimeoutError,
  MessageTooLargeError,
  NetworkError,
} from '../../src/errors.ts'
import { AddressBook } from '../../src/peers/address-book.ts'
import { Admission } from '../../src/peers/admission.ts'
import { BackgroundWork } from '../../src/peers/background-work.ts'
import { BanList, type BanListDocument } from '../../src/peers/ban-list.ts'
import { HandshakeWaiters } from '../../src/peers/handshake-waiters.ts'
import { MemoryJsonStore } from '../../src/peers/json-store.ts'
import { PeerGate } from '../../src/peers/peer-gate.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { DISCONNECT_BELOW, Reputation } from '../../src/peers/reputation.ts'
import type { Handshake } from '../../src/wire/handshake.ts'
import { fakeConnection, keptLogger, newPeerIds } from './peer-fakes.ts'

const CHAIN = 'paw-test'
const remote = { version: 1, chainId: CHAIN, nodeId: new Uint8Array(32) } as Handshake
let ids: PeerId[]
beforeAll(async () => {
  ids = await newPeerIds(6)
})

async function harness(init: { maxInbound?: number; maxPeers?: number; evict?: boolean } = {}) {
  const { log, lines } = keptLogger()
  const registry = new PeerRegistry({ log })
  const waiters = new HandshakeWaiters()
  const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>() })
  const reputation = new Reputation()
  const gate = new PeerGate({ bans, reputation })
  const addressBook = new AddressBook({ self: 'self', chainId: CHAIN })
  const charged: Array<{ peerId: string; offence: string; where: string }> = []
  const evictions: string[] = []
  const work = new BackgroundWork()
  const admission = new Admission({
    registry,
    waiters,
    gate,
    settings: { limits: { maxInbound: init.maxInbound ?? 2, maxPeers: init.maxPeers ?? 3 }, chainId: CHAIN },
    evictFor: (newcomer) => {
      evictions.push(newcomer)
      return init.evict === true
    },
    work,
    reputation,
    enforcer: {
      charge: (peerId, offence, _error, where) => {
        charged.push({ peerId, offence, where })
        return 0
      },
    },
    addressBook,
    log,
  })
  const inbound = (index: number, remoteAddr = '/ip4/203.0.113.1/tcp/5000'): Connection =>
    fakeConnection({ remotePeer: ids[index] as PeerId, direction: 'inbound', remoteAddr })
  const connect = (index: number, direction: 'inbound' | 'outbound'): void => {
    const connection = fakeConnection({ remotePeer: ids[index] as PeerId, direction })
    admission.completed(connection, remote)
  }
  return {
    admission,
    registry,
    waiters,
    gate,
    bans,
    reputation,
    addressBook,
    charged,
    evictions,
    lines,
    inbound,
    connect,
    stop: () => work.end(),
  }
}

describe('Admission.admitInbound', () => {
  it('holds an inbound slot for an admitted peer until its handshake ends', async () => {
    const { admission, registry, inbound } = await harness()
    expect(admission.admitInbound(inbound(0), remote)).toBeUndefined()
    const record = registry.get(ids[0]?.toString() as string)
    expect(record).toMatchObject({ reserved: true, direction: 'inbound' })
    expect(registry.count('inbound')).toBe(1)
  })

  it('refuses with 0x07 a banned peer, a peer at a banned IP and a shunned peer', async () => {
    const { admission, bans, reputation, inbound } = await harness()
    await bans.ban(ids[0]?.toString() as string, {
      durationMs: 60_000,
      reason: 'spam',
      source: 'operator',
      ip: '198.51.100.9',
    })
    expect(admission.admitInbound(inbound(0), remote)?.message).toMatch(/^banned until .*: spam$/)
    expect(admission.admitInbound(inbound(1, '/ip4/198.51.100.9/tcp/1'), remote)?.wireCode).toBe(
      ErrorCode.ReputationRejection,
    )
    const shunned = ids[2]?.toString() as string
    while (reputation.score(shunned) >= DISCONNECT_BELOW) reputation.penalize(shunned, 'invalidBlock')
    expect(admission.admitInbound(inbound(2), remote)?.message).toBe(
      'reputation below the disconnect threshold',
    )
  })

  it('refuses with 0x06 while stopping, and over max_peers', async () => {
    const { admission, inbound, connect, stop } = await harness({ maxInbound: 5, maxPeers: 2 })
    connect(0, 'outbound')
    connect(1, 'outbound')
    expect(admission.admitInbound(inbound(2), remote)?.message).toBe('peer limit of 2 reached')
    stop()
    expect(admission.admitInbound(inbound(3), remote)?.message).toBe('node is shutting down')
  })

  it('asks eviction for room when inbound is full: admitted if a peer is evicted, else 0x06', async () => {
    const full = await harness({ maxInbound: 1 })
    full.connect(0, 'inbound')
    const refused = full.admission.admitInbound(full.inbound(1), remote)
    expect(refused?.wireCode).toBe(ErrorCode.PeerLimitReached)
    expect(refused?.message).toBe('inbound limit of 1 reached')
    expect(full.evictions).toEqual([ids[1]?.toString()])
    const room = await harness({ maxInbound: 1, evict: true })
    room.connect(0, 'inbound')
    expect(room.admission.admitInbound(room.inbound(1), remote)).toBeUndefined()
  })
})

describe('Admission.completed', () => {
  it('marks the peer connected, credits it, learns its address and settles the dial', async () => {
    const { admission, registry, waiters, reputation, addressBook } = await harness()
    const connection = fakeConnection({
      remotePeer: ids[0] as PeerId,
      direction: 'outbound',
      remoteAddr: '/ip4/203.0.113.7/tcp/26656',
    })
    const record = registry.record(ids[0] as PeerId)
    record.failures = 3
    record.lastError = 'old'
    const dial = waiters.wait(connection.id, 60_000)
    admission.completed(connection, remote)
    expect(record).toMatchObject({
      state: 'connected',
      connection,
      chainId: CHAIN,
      failures: 0,
      reserved: false,
    })
    expect(record.lastError).toBeUndefined()
    expect(reputation.localScore(ids[0]?.toString() as string)).toBeCloseTo(1)
    expect(addressBook.get(ids[0]?.toString() as string)).toMatchObject({ ip: '203.0.113.7', port: 26656 })
    await expect(dial).resolves.toMatchObject({ peerId: ids[0]?.toString(), state: 'connected' })
  })

  it('learns an inbound peer at its listen port, and nothing of a peer of another chain', async () => {
    const { admission, registry, addressBook, inbound } = await harness()
    const record = registry.record(ids[0] as PeerId)
    record.listenAddrs = [multiaddr('/ip4/0.0.0.0/tcp/1'), multiaddr('/ip4/10.0.0.5/tcp/26656')]
    admission.completed(inbound(0, '/ip4/203.0.113.8/tcp/50123'), remote)
    expect(addressBook.get(ids[0]?.toString() as string)).toMatchObject({
      ip: '203.0.113.8',
      port: 26656,
      source: 'inbound',
    })
    admission.completed(inbound(1), { ...remote, chainId: 'other' })
    expect(addressBook.get(ids[1]?.toString() as string)).toBeUndefined()
  })
})

describe('Admission.failed', () => {
  it('counts refusals by code; an inbound NetworkError is a peer that hung up, not a rejection', async () => {
    const { admission, inbound } = await harness()
    admission.failed(inbound(0), new HandshakeTimeoutError(1_000))
    admission.failed(inbound(1), new NetworkError('reset'))
    admission.failed(fakeConnection({ remotePeer: ids[2] as PeerId }), new HandshakeTimeoutError(1_000))
    expect(admission.rejectedInbound).toBe(1)
    expect(admission.rejectionsByCode()).toEqual({ '0x03': 2, '0x08': 1 })
  })

  it('keeps a peer of another chain out for 24 h and out of the address book', async () => {
    const { admission, addressBook, registry, gate } = await harness()
    const connection = fakeConnection({ remotePeer: ids[0] as PeerId, remoteAddr: '/ip4/203.0.113.3/tcp/1' })
    addressBook.add({ peerId: ids[0]?.toString() as string, ip: '203.0.113.3', port: 1, source: 'manual' })
    admission.failed(connection, new ChainIdMismatchError(CHAIN, 'other'))
    expect(addressBook.select(10)).toEqual([])
    expect(gate.isBlocked(multiaddr('/ip4/203.0.113.3/tcp/1'), undefined)).toBe(true)
    expect(gate.isBlocked(multiaddr('/ip4/203.0.113.4/tcp/1'), ids[0]?.toString())).toBe(true)
    expect(registry.get(ids[0]?.toString() as string)?.lastError).toMatch(/^0x02 ChainIdMismatch/)
  })

  it('charges an offence through the enforcer, a failed connection to the reputation only', async () => {
    const { admission, charged, reputation, inbound } = await harness()
    admission.failed(inbound(0), new MessageTooLargeError(10 * 1024 * 1024, 1024))
    admission.failed(inbound(1), new HandshakeTimeoutError(1_000))
    expect(charged).toEqual([{ peerId: ids[0]?.toString(), offence: 'messageTooLarge', where: 'handshake' }])
    expect(reputation.localScore(ids[1]?.toString() as string)).toBeLessThan(0)
  })

  it('moves an open, current connection to Disconnecting and rejects the dials waiting on it', async () => {
    const { admission, registry, waiters } = await harness()
    const connection = fakeConnection({ remotePeer: ids[0] as PeerId })
    const record = registry.record(ids[0] as PeerId)
    registry.setState(record, 'handshaking')
    const dial = waiters.wait(connection.id, 60_000)
    admission.failed(connection, new HandshakeTimeoutError(1_000))
    expect(record.state).toBe('disconnecting')
    expect(record.connection).toBe(connection)
    await expect(dial).rejects.toBeInstanceOf(HandshakeTimeoutError)
    const closed = fakeConnection({ remotePeer: ids[1] as PeerId, status: 'closed' })
    admission.failed(closed, new HandshakeTimeoutError(1_000))
    expect(registry.get(ids[1]?.toString() as string)?.state).toBe('disconnected')
  })
})
