/**
 * 000 connectToPeer (src/peers/dialler.ts): refusals before any dial (self, bans, another
 * chain, the outbound limit), a failed dial backed off and charged, and a dial that
 * resolves only with the handshake's outcome. libp2p's dial is a stand-in here; the
 * loopback test of test/peers/peer-manager.test.ts dials for real.
 */
import type { AbortOptions, Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, HandshakeTimeoutError } from '../../src/errors.ts'
import { silentLogger } from '../../src/logging.ts'
import { AddressBook } from '../../src/peers/address-book.ts'
import { BackgroundWork } from '../../src/peers/background-work.ts'
import { BanList, type BanListDocument } from '../../src/peers/ban-list.ts'
import { Dialler } from '../../src/peers/dialler.ts'
import { HandshakeWaiters } from '../../src/peers/handshake-waiters.ts'
import { MemoryJsonStore } from '../../src/peers/json-store.ts'
import { nodeIdOfPeer } from '../../src/peers/node-id.ts'
import { PeerGate } from '../../src/peers/peer-gate.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { Reputation } from '../../src/peers/reputation.ts'
import { fakeConnection, newPeerIds } from './peer-fakes.ts'

let self: PeerId
let ids: PeerId[]
beforeAll(async () => {
  ;[self, ...ids] = await newPeerIds(4)
})

const at = (peerId: PeerId, ip = '203.0.113.1'): Multiaddr => multiaddr(`/ip4/${ip}/tcp/26656/p2p/${peerId}`)

async function harness(
  init: {
    maxOutbound?: number
    dial?: (address: Multiaddr, options: AbortOptions) => Promise<Connection>
    seeds?: string[]
  } = {},
) {
  const registry = new PeerRegistry({ log: silentLogger })
  const waiters = new HandshakeWaiters()
  const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>() })
  const reputation = new Reputation()
  const gate = new PeerGate({ bans, reputation })
  const addressBook = new AddressBook({ self: self.toString(), chainId: 'c' })
  const work = new BackgroundWork()
  const dials: Array<{ address: string; signal: AbortSignal | undefined }> = []
  const connections: Connection[] = []
  const dialler = new Dialler({
    libp2p: {
      peerId: self,
      dial: (async (address: Multiaddr, options: AbortOptions = {}) => {
        dials.push({ address: address.toString(), signal: options.signal })
        if (init.dial !== undefined) return init.dial(address, options)
        const remotePeer = ids.find((id) => address.toString().endsWith(id.toString())) as PeerId
        const connection = fakeConnection({ remotePeer })
        connections.push(connection)
        return connection
      }) as never,
    },
    settings: {
      chainId: 'c',
      limits: { maxPeers: 10, maxInbound: 5, maxOutbound: init.maxOutbound ?? 5, minOutbound: 1 },
      timeouts: { dialMs: 1_000, handshakeMs: 100 } as never,
      seeds: init.seeds ?? [],
    },
    registry,
    waiters,
    gate,
    work,
    reputation,
    addressBook,
  })
  return { dialler, registry, waiters, bans, gate, reputation, addressBook, dials, connections, work }
}

describe('Dialler.connectToPeer', () => {
  it('refuses this node itself, a banned peer (0x07) and a peer of another chain (0x02) without dialling', async () => {
    const { dialler, bans, gate, dials } = await harness()
    await expect(dialler.connectToPeer(at(self))).rejects.toThrow('refusing to dial this node itself')
    await bans.ban(ids[0]?.toString() as string, { durationMs: 60_000, reason: 'spam', source: 'operator' })
    await expect(dialler.connectToPeer(at(ids[0] as PeerId))).rejects.toMatchObject({
      wireCode: ErrorCode.ReputationRejection,
    })
    gate.blockWrongChain(
      fakeConnection({ remotePeer: ids[1] as PeerId, remoteAddr: '/ip4/203.0.113.9/tcp/26656' }),
    )
    await expect(dialler.connectToPeer(at(ids[1] as PeerId))).rejects.toMatchObject({
      wireCode: ErrorCode.ChainIdMismatch,
    })
    expect(dials).toEqual([])
  })

  it('refuses over the outbound limit (0x06), but always dials a persistent peer', async () => {
    const { dialler, registry } = await harness({ maxOutbound: 0 })
    await expect(dialler.connectToPeer(at(ids[0] as PeerId))).rejects.toMatchObject({
      wireCode: ErrorCode.PeerLimitReached,
    })
    registry.record(ids[1] as PeerId).persistent = at(ids[1] as PeerId)
    await expect(
      dialler.connectToPeer(at(ids[1] as PeerId), { signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow()
    expect(dialler.successfulDials).toBe(1)
  })

  it('resolves once the handshake completes on the connection, Connecting meanwhile', async () => {
    const { dialler, registry, waiters, connections, addressBook } = await harness()
    const peer = ids[0] as PeerId
    addressBook.add({ peerId: peer.toString(), ip: '203.0.113.1', port: 26656, source: 'manual' })
    const connecting = dialler.connectToPeer(at(peer).toString())
    const record = registry.get(peer.toString())
    expect(record).toMatchObject({ state: 'connecting', direction: 'outbound' })
    expect(dialler.pending.has(peer.toString())).toBe(true)
    expect(dialler.activeOutbound()).toBe(1)
    expect(addressBook.get(peer.toString())?.lastAttempt).toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(dialler.pending.size).toBe(0)
    expect(waiters.size).toBe(1)
    // What the handshake hooks do (src/peers/admission.ts completed).
    const connection = connections[0] as Connection
    const info = registry.info(registry.record(peer))
    waiters.settle(connection.id, { info })
    await expect(connecting).resolves.toBe(info)
    expect(dialler.successfulDials).toBe(1)
  })

  it('returns a peer already connected without dialling it again', async () => {
    const { dialler, registry, dials } = await harness()
    const record = registry.record(ids[0] as PeerId)
    record.connection = fakeConnection({ remotePeer: ids[0] as PeerId })
    registry.setState(record, 'connected')
    await expect(dialler.connectToPeer(at(ids[0] as PeerId))).resolves.toMatchObject({ state: 'connected' })
    expect(dials).toEqual([])
  })

  it('backs a peer off, charges connectionFailed and tells the address book when the dial fails', async () => {
    const { dialler, registry, reputation, addressBook } = await harness({
      dial: async () => {
        throw new Error('connection refused')
      },
    })
    const peer = ids[0] as PeerId
    addressBook.add({ peerId: peer.toString(), ip: '203.0.113.1', port: 26656, source: 'manual' })
    const failed = dialler.connectToPeer(at(peer))
    await expect(failed).rejects.toMatchObject({ wireCode: ErrorCode.NetworkError })
    await expect(failed).rejects.toThrow(/failed: connection refused$/)
    const record = registry.get(peer.toString())
    expect(record).toMatchObject({ state: 'disconnected', failures: 1 })
    expect(record?.nextDialAt).toBeGreaterThan(Date.now())
    expect(record?.lastError).toMatch(/^0x08 NetworkError: dial /)
    expect(reputation.localScore(peer.toString())).toBeLessThan(0)
    expect(addressBook.get(peer.toString())?.failures).toBe(1)
    expect([dialler.successfulDials, dialler.failedDials]).toEqual([0, 1])
  })

  it('passes the caller’s signal and the shutdown signal to the dial', async () => {
    const { dialler, dials, work } = await harness({
      dial: (_address, options) =>
        new Promise((_, reject) =>
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
        ),
    })
    const caller = new AbortController()
    const first = dialler.connectToPeer(at(ids[0] as PeerId), { signal: caller.signal })
    caller.abort(new Error('caller'))
    await expect(first).rejects.toThrow(/caller/)
    const second = dialler.connectToPeer(at(ids[1] as PeerId))
    work.end(new Error('shutting down'))
    await expect(second).rejects.toThrow(/shutting down/)
    expect(dials).toHaveLength(2)
    await expect(dialler.connectToPeer(at(ids[2] as PeerId), { signal: caller.signal })).rejects.toThrow(
      'caller',
    )
  })

  it('counts a dial of an address without a peer ID as outbound until it ends', async () => {
    const gate = Promise.withResolvers<Connection>()
    const { dialler } = await harness({ dial: () => gate.promise })
    const dialling = dialler.connectToPeer('203.0.113.5:26656')
    expect(dialler.activeOutbound()).toBe(1)
    gate.resolve(fakeConnection({ remotePeer: ids[0] as PeerId, status: 'closed' }))
    await expect(dialling).rejects.toThrow('connection closed before the handshake completed')
    expect(dialler.activeOutbound()).toBe(0)
  })

  it('<hex>@host:port: dials without a peer ID and closes the connection unless the key matches', async () => {
    const answering = ids[1] as PeerId
    const opened: Connection[] = []
    const { dialler, dials, waiters } = await harness({
      dial: async (address) => {
        opened.push(fakeConnection({ remotePeer: answering, remoteAddr: address.toString() }))
        return opened.at(-1) as Connection
      },
    })
    const wrong = nodeIdOfPeer(ids[0] as PeerId) as string
    const refused = dialler.connectToPeer(`${wrong}@203.0.113.5:26656`)
    await expect(refused).rejects.toMatchObject({
      code: 'ERR_NODE_ID_MISMATCH',
      wireCode: ErrorCode.NetworkError,
    })
    await expect(refused).rejects.toThrow(
      `/ip4/203.0.113.5/tcp/26656 is not node ${wrong}: it answered with ${answering} (node ID ${nodeIdOfPeer(answering)})`,
    )
    expect(dials[0]?.address).toBe('/ip4/203.0.113.5/tcp/26656')
    expect(dialler.failedDials).toBe(1)
    expect(waiters.size).toBe(0)
    expect(opened[0]?.status).toBe('closed')

    const right = nodeIdOfPeer(answering) as string
    const connecting = dialler.connectToPeer(`${right.toUpperCase()}@203.0.113.5:26656`)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(waiters.size).toBe(1)
    await expect(connecting).rejects.toBeInstanceOf(HandshakeTimeoutError)
  })

  it('checks the hex node ID of a configured seed dialled by its address', async () => {
    const answering = ids[1] as PeerId
    const wrong = nodeIdOfPeer(ids[0] as PeerId) as string
    const { dialler } = await harness({
      seeds: [`${wrong}@203.0.113.5:26656`],
      dial: async (address) => fakeConnection({ remotePeer: answering, remoteAddr: address.toString() }),
    })
    await expect(dialler.connectToPeer(multiaddr('/ip4/203.0.113.5/tcp/26656'))).rejects.toMatchObject({
      code: 'ERR_NODE_ID_MISMATCH',
    })
    // Another address is not that seed: nothing to check.
    await expect(dialler.connectToPeer(multiaddr('/ip4/203.0.113.6/tcp/26656'))).rejects.toBeInstanceOf(
      HandshakeTimeoutError,
    )
  })

  it('times out a handshake that never ends with 0x03', async () => {
    const { dialler } = await harness()
    await expect(dialler.connectToPeer(at(ids[0] as PeerId))).rejects.toBeInstanceOf(HandshakeTimeoutError)
  })
})
