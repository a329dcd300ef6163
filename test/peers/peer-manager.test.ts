/**
 * The peer manager composed of its parts (src/peers/peer-manager.ts), between two real
 * libp2p nodes on 127.0.0.1: the network is the point here. /paw/handshake/1 is stood in
 * for by calling the handshake hooks the way src/protocols/handshake/ does (admit an
 * inbound peer, then complete), so these tests exercise the peer manager alone.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerStateEvent } from '../../src/api/index.ts'
import { resolveSettings, type SettingsInput } from '../../src/config/settings.ts'
import { ErrorCode, NetworkError } from '../../src/errors.ts'
import { silentLogger } from '../../src/logging.ts'
import { BanList, type BanListDocument } from '../../src/peers/ban-list.ts'
import { MemoryJsonStore } from '../../src/peers/json-store.ts'
import { PeerManager } from '../../src/peers/peer-manager.ts'
import { Reputation } from '../../src/peers/reputation.ts'
import type { Handshake } from '../../src/wire/handshake.ts'

const CHAIN = 'paw-test'
const HANDSHAKE = { version: 1, chainId: CHAIN, nodeId: new Uint8Array(32) } as Handshake

interface TestPeer {
  libp2p: Libp2p<{ ping: { ping(...args: never[]): Promise<number> } }>
  manager: PeerManager
  states: PeerStateEvent[]
}

let started: TestPeer[] = []
afterEach(async () => {
  const all = started
  started = []
  await Promise.allSettled(
    all.map(async ({ manager, libp2p }) => {
      await manager.stop()
      await libp2p.stop()
    }),
  )
})

/**
 * What src/protocols/handshake/ tells the hooks once a connection's handshake has run: the
 * inbound side admits (or refuses and closes), the outbound side completes a little later
 * if the connection is still open (the refusal would have reached it by then).
 */
function standInHandshake(libp2p: Libp2p, manager: PeerManager): void {
  libp2p.addEventListener('connection:open', (event) => {
    const connection: Connection = event.detail
    if (connection.direction === 'inbound') {
      setTimeout(() => {
        const refused = manager.admitInbound(connection, HANDSHAKE)
        if (refused === undefined) return manager.completed(connection, HANDSHAKE)
        manager.failed(connection, refused)
        void connection.close()
      }, 5)
      return
    }
    setTimeout(() => {
      if (connection.status === 'open') manager.completed(connection, HANDSHAKE)
      else manager.failed(connection, new NetworkError('refused by the remote'))
    }, 50)
  })
}

async function startPeer(input: SettingsInput = {}, withBans = false): Promise<TestPeer> {
  const libp2p = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { ping: ping() },
  })
  const settings = resolveSettings({
    chainId: CHAIN,
    maintenanceIntervalMs: 3_600_000,
    ...input,
    limits: { minOutbound: 0, ...input.limits },
  })
  const manager = new PeerManager({
    libp2p,
    settings,
    log: silentLogger,
    ping: libp2p.services.ping,
    reputation: new Reputation(),
    ...(withBans ? { bans: await BanList.open({ store: new MemoryJsonStore<BanListDocument>() }) } : {}),
  })
  const states: PeerStateEvent[] = []
  manager.addEventListener('peer:state', (event) => states.push(event.detail))
  await manager.start()
  standInHandshake(libp2p, manager)
  const peer = { libp2p, manager, states }
  started.push(peer)
  return peer
}

function addressOf(peer: TestPeer): string {
  return (peer.libp2p.getMultiaddrs()[0] as NonNullable<ReturnType<Libp2p['getMultiaddrs']>[0]>).toString()
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('PeerManager on loopback', () => {
  it('dials, is connected once the handshake completes on both sides, and counts it', async () => {
    const [a, b] = [await startPeer(), await startPeer()]
    const connected: string[] = []
    a.manager.addEventListener('peer:connected', (event) => connected.push(event.detail.peerId))
    const info = await a.manager.connectToPeer(addressOf(b))
    const idB = b.libp2p.peerId.toString()
    const idA = a.libp2p.peerId.toString()
    expect(info).toMatchObject({ peerId: idB, state: 'connected', direction: 'outbound', chainId: CHAIN })
    expect(info.score).toBeGreaterThan(0)
    expect(connected).toEqual([idB])
    expect(a.states.map(({ state }) => state)).toEqual(['connecting', 'handshaking', 'connected'])
    await waitFor('b to list a connected', () => b.manager.peer(idA)?.state === 'connected')
    expect(a.manager.stats()).toMatchObject({ successfulDials: 1, failedDials: 0, outbound: 1, inbound: 0 })
    expect(b.manager.stats()).toMatchObject({ totalConnections: 1, inbound: 1, outbound: 0 })
    expect(a.manager.outboundActive()).toBe(1)
    expect(a.manager.connected().map(({ info: peer }) => peer.peerId)).toEqual([idB])
    // Reconnecting to a connected peer returns it as it is.
    await expect(a.manager.connectToPeer(addressOf(b))).resolves.toMatchObject({ state: 'connected' })
  })

  it('counts the traffic of /paw/* streams per peer and per protocol', async () => {
    const [a, b] = [await startPeer(), await startPeer()]
    await a.manager.connectToPeer(addressOf(b))
    const connection = a.manager.connected()[0]?.connection as Connection
    a.manager.traffic(connection, '/paw/blocks/1').sent(100, 2)
    a.manager.traffic(connection, '/paw/blocks/1').received(40, 1)
    expect(a.manager.protocolTraffic()).toEqual({
      '/paw/blocks/1': { bytesSent: 100, bytesReceived: 40, messagesSent: 2, messagesReceived: 1 },
    })
    expect(a.manager.peer(b.libp2p.peerId.toString())?.stats).toMatchObject({
      bytesSent: 100,
      bytesReceived: 40,
    })
  })

  it('measures the RTT with a keep-alive ping on a maintenance pass', async () => {
    const [a, b] = [await startPeer({ timeouts: { pingIntervalMs: 1 } }), await startPeer()]
    await a.manager.connectToPeer(addressOf(b))
    await a.manager.managePeerConnections()
    expect(a.manager.peer(b.libp2p.peerId.toString())?.stats.rttMs).toBeGreaterThanOrEqual(0)
  })

  it('disconnects a peer: Disconnecting with the error, then Disconnected on both sides', async () => {
    const [a, b] = [await startPeer(), await startPeer()]
    const idB = b.libp2p.peerId.toString()
    const idA = a.libp2p.peerId.toString()
    await a.manager.connectToPeer(addressOf(b))
    await waitFor('b to list a connected', () => b.manager.peer(idA)?.state === 'connected')
    a.manager.disconnect(idB, new NetworkError('disconnected by this node'))
    await waitFor('a to list b disconnected', () => a.manager.peer(idB)?.state === 'disconnected')
    await waitFor('b to list a disconnected', () => b.manager.peer(idA)?.state === 'disconnected')
    const disconnecting = a.states.find(({ state }) => state === 'disconnecting')
    expect(disconnecting?.error).toEqual({
      code: ErrorCode.NetworkError,
      message: 'disconnected by this node',
    })
    expect(a.manager.peer(idB)?.lastError).toBe('0x08 NetworkError: disconnected by this node')
  })

  it('refuses an inbound peer over max_inbound with 0x06 and counts the refusal', async () => {
    const [a, b] = [await startPeer(), await startPeer({ limits: { maxInbound: 0 } })]
    await expect(a.manager.connectToPeer(addressOf(b))).rejects.toThrow()
    await waitFor('b to count the refusal', () => b.manager.stats().rejectedInbound === 1)
    expect(b.manager.rejectionsByCode()).toEqual({ '0x06': 1 })
  })

  it('bans a connected peer: it is disconnected and refused on dial until unbanned', async () => {
    const [a, b] = [await startPeer({}, true), await startPeer()]
    const idB = b.libp2p.peerId.toString()
    await a.manager.connectToPeer(addressOf(b))
    const ban = await a.manager.ban(idB, { durationMs: 60_000, reason: 'test', source: 'operator' })
    expect(ban.ip).toBeUndefined()
    await waitFor('a to list b disconnected', () => a.manager.peer(idB)?.state === 'disconnected')
    await expect(a.manager.connectToPeer(addressOf(b))).rejects.toMatchObject({
      wireCode: ErrorCode.ReputationRejection,
    })
    expect(a.manager.bans().map(({ peerId }) => peerId)).toEqual([idB])
    expect(await a.manager.unban(idB)).toBe(true)
    await expect(a.manager.connectToPeer(addressOf(b))).resolves.toMatchObject({ state: 'connected' })
  })

  it('stop() closes every connection, marks every peer disconnected and fails dials in flight', async () => {
    const [a, b] = [await startPeer(), await startPeer()]
    const idB = b.libp2p.peerId.toString()
    await a.manager.connectToPeer(addressOf(b))
    const c = await startPeer()
    const dialling = a.manager.connectToPeer(addressOf(c))
    const stopped = a.manager.stop()
    await expect(dialling).rejects.toThrow()
    await stopped
    expect(a.manager.peer(idB)?.state).toBe('disconnected')
    expect(a.manager.peer(c.libp2p.peerId.toString())?.state).toBe('disconnected')
    expect(a.manager.connected()).toEqual([])
    expect(a.manager.admitInbound({} as Connection, HANDSHAKE)?.message).toBe('node is shutting down')
  })
})
