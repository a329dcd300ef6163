/**
 * The peer registry (src/peers/peer-registry.ts): records, the 004 §3.2 states and the
 * events a change of state raises, the counts the limits use, and forgetting old records.
 */
import type { PeerId } from '@libp2p/interface'
import { beforeAll, describe, expect, it } from 'vitest'
import type { PeerInfo, PeerStateEvent } from '../../src/api/index.ts'
import { PeerLimitReachedError } from '../../src/errors.ts'
import { FORGET_AFTER_MS } from '../../src/peers/peer-record.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { fakeConnection, keptLogger, newPeerIds } from './peer-fakes.ts'

let ids: PeerId[]
beforeAll(async () => {
  ids = await newPeerIds(4)
})

function harness(score?: (peerId: string) => number) {
  const states: PeerStateEvent[] = []
  const connected: PeerInfo[] = []
  const disconnected: PeerInfo[] = []
  const { log, lines } = keptLogger()
  const registry = new PeerRegistry({
    log,
    score,
    onState: (change) => states.push(change),
    onConnected: (info) => connected.push(info),
    onDisconnected: (info) => disconnected.push(info),
  })
  return { registry, states, connected, disconnected, lines }
}

describe('PeerRegistry', () => {
  it('makes one disconnected record per peer', () => {
    const { registry } = harness()
    const a = registry.record(ids[0] as PeerId)
    expect(a.state).toBe('disconnected')
    expect(registry.record(ids[0] as PeerId)).toBe(a)
    expect(registry.get(ids[0]?.toString() as string)).toBe(a)
    expect(registry.get(ids[1]?.toString() as string)).toBeUndefined()
    expect(registry.records.size).toBe(1)
  })

  it('tells every change of state once, with the error that caused it', () => {
    const { registry, states } = harness()
    const record = registry.record(ids[0] as PeerId)
    record.direction = 'outbound'
    registry.setState(record, 'connecting')
    registry.setState(record, 'connecting')
    registry.setState(record, 'disconnected', new PeerLimitReachedError('full'))
    expect(states).toEqual([
      { peerId: ids[0]?.toString(), state: 'connecting', previous: 'disconnected', direction: 'outbound' },
      {
        peerId: ids[0]?.toString(),
        state: 'disconnected',
        previous: 'connecting',
        direction: 'outbound',
        error: { code: 0x06, message: 'full' },
      },
    ])
  })

  it('raises connected on the handshake and disconnected only for a peer that was connected', () => {
    const { registry, connected, disconnected, lines } = harness()
    const record = registry.record(ids[0] as PeerId)
    registry.setState(record, 'handshaking')
    registry.setState(record, 'disconnected')
    expect(disconnected).toEqual([])
    registry.setState(record, 'handshaking')
    registry.setState(record, 'connected')
    registry.setState(record, 'disconnecting')
    registry.setState(record, 'disconnected')
    expect(connected.map((info) => info.peerId)).toEqual([ids[0]?.toString()])
    expect(disconnected.map((info) => info.state)).toEqual(['disconnected'])
    expect(lines.map((line) => line.msg)).toEqual(['peer connected', 'peer disconnected'])
  })

  it('shows the reputation in PeerInfo when it has one', () => {
    const { registry } = harness((peerId) => (peerId === ids[0]?.toString() ? 7 : 0))
    registry.record(ids[0] as PeerId)
    expect(registry.peer(ids[0]?.toString() as string)?.score).toBe(7)
    expect(harness().registry.info(registry.record(ids[1] as PeerId)).score).toBeUndefined()
    expect(registry.peers()).toHaveLength(2)
  })

  it('lists connected peers with their connection, and counts slots by direction', () => {
    const { registry } = harness()
    const [a, b, c, d] = ids as [PeerId, PeerId, PeerId, PeerId]
    const inbound = registry.record(a)
    inbound.direction = 'inbound'
    inbound.connection = fakeConnection({ remotePeer: a, direction: 'inbound' })
    registry.setState(inbound, 'connected')
    const reserved = registry.record(b)
    reserved.direction = 'inbound'
    reserved.reserved = true
    const dialling = registry.record(c)
    dialling.direction = 'outbound'
    registry.setState(dialling, 'connecting')
    const handshaking = registry.record(d)
    handshaking.direction = 'outbound'
    registry.setState(handshaking, 'handshaking')
    expect(registry.connected().map(({ info }) => info.peerId)).toEqual([a.toString()])
    expect(registry.connected()[0]?.connection).toBe(inbound.connection)
    expect(registry.count('inbound')).toBe(2)
    expect(registry.count('outbound')).toBe(0)
    expect(registry.outboundUnderway()).toBe(2)
  })

  it('closes a record: Disconnecting with the error, the connection closed', async () => {
    const { registry, states } = harness()
    const record = registry.record(ids[0] as PeerId)
    const connection = fakeConnection({ remotePeer: ids[0] as PeerId })
    record.connection = connection
    registry.setState(record, 'connected')
    await registry.close(record, new PeerLimitReachedError('evicted'))
    expect(record.state).toBe('disconnecting')
    expect(states.at(-1)?.error?.code).toBe(0x06)
    expect(connection.status).toBe('closed')
    await registry.close(registry.record(ids[1] as PeerId))
    expect(registry.get(ids[1]?.toString() as string)?.state).toBe('disconnected')
  })

  it('forgets a disconnected, non-persistent peer whose backoff has run out', () => {
    const { registry } = harness()
    const old = registry.record(ids[0] as PeerId)
    const persistent = registry.record(ids[1] as PeerId)
    persistent.persistent = fakeConnection({ remotePeer: ids[1] as PeerId }).remoteAddr
    const backingOff = registry.record(ids[2] as PeerId)
    const now = Date.now() + FORGET_AFTER_MS + 1
    backingOff.nextDialAt = now + 1
    expect(registry.forget(now)).toBe(1)
    expect(registry.get(old.peerId.toString())).toBeUndefined()
    expect(registry.records.size).toBe(2)
  })

  it('notes who delivered a block or transaction first, for eviction', () => {
    const { registry } = harness()
    const record = registry.record(ids[0] as PeerId)
    registry.noteDelivery(record.peerId.toString(), 'block', 100)
    registry.noteDelivery(record.peerId.toString(), 'transaction', 200)
    registry.noteDelivery(ids[3]?.toString() as string, 'block', 300)
    expect([record.lastBlockAt, record.lastTransactionAt]).toEqual([100, 200])
    expect(registry.records.size).toBe(1)
  })
})
