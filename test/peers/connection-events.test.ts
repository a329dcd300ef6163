/**
 * libp2p's connection events as 004 §3.2 transitions (src/peers/connection-events.ts),
 * driven through a real event target the way libp2p dispatches them.
 */
import type { Connection, IdentifyResult, Libp2pEvents, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { BACKOFF_MAX_MS } from '../../src/config/defaults.ts'
import { silentLogger } from '../../src/logging.ts'
import { AddressBook } from '../../src/peers/address-book.ts'
import { BackgroundWork } from '../../src/peers/background-work.ts'
import { ConnectionEvents } from '../../src/peers/connection-events.ts'
import { HandshakeWaiters } from '../../src/peers/handshake-waiters.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { fakeConnection, newPeerIds } from './peer-fakes.ts'

const CHAIN = 'paw-test'
let a: PeerId
beforeAll(async () => {
  ;[a] = (await newPeerIds(1)) as [PeerId]
})
afterEach(() => {
  vi.useRealTimers()
})

function harness() {
  const libp2p = new TypedEventEmitter<Libp2pEvents>()
  const registry = new PeerRegistry({ log: silentLogger })
  const waiters = new HandshakeWaiters()
  const addressBook = new AddressBook({ self: 'self', chainId: CHAIN })
  const work = new BackgroundWork()
  const events = new ConnectionEvents({
    libp2p,
    registry,
    waiters,
    work,
    settings: { chainId: CHAIN },
    addressBook,
  })
  events.start()
  const open = (connection: Connection) => libp2p.safeDispatchEvent('connection:open', { detail: connection })
  const close = (connection: Connection) =>
    libp2p.safeDispatchEvent('connection:close', { detail: connection })
  return {
    libp2p,
    registry,
    waiters,
    addressBook,
    events,
    open,
    close,
    stop: () => work.end(),
  }
}

describe('ConnectionEvents', () => {
  it('moves a peer to Handshaking when a connection opens, but not one already connected', () => {
    const { registry, events, open } = harness()
    const first = fakeConnection({ remotePeer: a, direction: 'inbound' })
    open(first)
    const record = registry.get(a.toString())
    expect(record).toMatchObject({ state: 'handshaking', direction: 'inbound', connection: first })
    registry.setState(record as NonNullable<typeof record>, 'connected')
    open(fakeConnection({ remotePeer: a, direction: 'outbound' }))
    expect(record?.connection).toBe(first)
    expect(events.totalConnections).toBe(2)
  })

  it('on close, marks the peer disconnected and fails dials its handshake never reported on', async () => {
    vi.useFakeTimers()
    const { registry, waiters, open, close } = harness()
    const connection = fakeConnection({ remotePeer: a })
    open(connection)
    const dial = waiters.wait(connection.id, 60_000)
    const failed = expect(dial).rejects.toThrow('connection closed before the handshake completed')
    close(connection)
    expect(registry.get(a.toString())).toMatchObject({ state: 'disconnected', connection: undefined })
    await vi.advanceTimersByTimeAsync(10)
    await failed
  })

  it('ignores the close of a connection that is not the peer’s current one', () => {
    const { registry, open, close } = harness()
    const current = fakeConnection({ remotePeer: a })
    open(current)
    close(fakeConnection({ remotePeer: a }))
    expect(registry.get(a.toString())).toMatchObject({ state: 'handshaking', connection: current })
  })

  it('tells the address book how long a handshaken peer stayed', () => {
    const { registry, addressBook, open, close } = harness()
    addressBook.add({ peerId: a.toString(), ip: '203.0.113.2', port: 1, source: 'manual' })
    const connection = fakeConnection({ remotePeer: a })
    open(connection)
    const record = registry.record(a)
    registry.setState(record, 'connected')
    record.connectedAt = Date.now() - 5_000
    close(connection)
    expect(record.connectedAt).toBeUndefined()
    expect(addressBook.get(a.toString())?.connectedMs).toBeGreaterThanOrEqual(5_000)
  })

  it('schedules a lost persistent peer for a redial with backoff, but not while stopping', () => {
    const { registry, open, close, stop } = harness()
    const record = registry.record(a)
    record.persistent = multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${a}`)
    const dropped = fakeConnection({ remotePeer: a })
    open(dropped)
    close(dropped)
    expect(record.failures).toBe(1)
    expect(record.nextDialAt).toBeGreaterThan(Date.now())
    expect(record.nextDialAt).toBeLessThanOrEqual(Date.now() + BACKOFF_MAX_MS)
    stop()
    record.nextDialAt = 0
    const again = fakeConnection({ remotePeer: a })
    open(again)
    close(again)
    expect([record.failures, record.nextDialAt]).toEqual([1, 0])
  })

  it('learns where an identified peer of our chain listens, from the connection identify ran on', () => {
    const { registry, addressBook, libp2p } = harness()
    const record = registry.record(a)
    record.chainId = CHAIN
    const connection = fakeConnection({
      remotePeer: a,
      direction: 'inbound',
      remoteAddr: '/ip4/203.0.113.4/tcp/40000',
    })
    const listenAddrs = [multiaddr('/ip4/203.0.113.4/tcp/26656')]
    libp2p.safeDispatchEvent('peer:identify', {
      detail: { peerId: a, listenAddrs, connection, protocols: [] } as unknown as IdentifyResult,
    })
    expect(record.listenAddrs).toBe(listenAddrs)
    expect(addressBook.get(a.toString())).toMatchObject({ ip: '203.0.113.4', port: 26656 })
  })

  it('stops following opens and identify first, closes only at stop()', () => {
    const { registry, events, open, close } = harness()
    const connection = fakeConnection({ remotePeer: a })
    open(connection)
    events.stopOpening()
    open(fakeConnection({ remotePeer: a }))
    expect(events.totalConnections).toBe(1)
    events.stop()
    close(connection)
    expect(registry.get(a.toString())?.state).toBe('handshaking')
  })
})
