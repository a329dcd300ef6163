/**
 * The PAW connection manager between real nodes on loopback: minimum outbound, persistent
 * peers with backoff, the handshake gate on other /paw/* protocols, messages and stats.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import type { PawMessage, PawNode, PeerStateEvent } from '../../src/api/index.ts'
import { type RawPeer, tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const { node, raw } = trackedNodes()

const connectedCount = (n: PawNode) => n.peers().filter((p) => p.state === 'connected').length

describe('connection manager', () => {
  it('a node below min_outbound dials known peers until it reaches it, and no further', async () => {
    const known = await Promise.all(Array.from({ length: 6 }, () => node()))
    const dialer = await node({
      limits: { minOutbound: 3, maxOutbound: 10 },
      maintenanceIntervalMs: 100,
      bootstrap: known.map((k) => tcpAddress(k).toString()),
    })
    await waitFor('3 outbound peers', () => dialer.stats().outbound === 3, 10_000)
    // Several more maintenance passes: it stays at the minimum.
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(dialer.stats().outbound).toBe(3)
    // Lose one: the loop dials another known peer.
    const [first] = dialer.peers().filter((p) => p.state === 'connected')
    const lost = known.find((k) => k.peerId.toString() === first?.peerId)
    await lost?.stop()
    await waitFor(
      'back to 3 outbound peers',
      () => {
        return dialer.stats().outbound === 3 && dialer.peer(first?.peerId ?? '')?.state !== 'connected'
      },
      10_000,
    )
  }, 30_000)

  it('a persistent peer that restarts is reconnected with the backoff', async () => {
    const key = await generateKeyPair('Ed25519')
    let server = await node({ privateKey: key })
    const address = tcpAddress(server)
    const port = Number(address.toString().split('/tcp/')[1]?.split('/')[0])
    const client = await node({ persistentPeers: [address.toString()], maintenanceIntervalMs: 50 })
    const serverId = server.peerId.toString()
    await waitFor('the persistent peer to connect', () => client.peer(serverId)?.state === 'connected', 5_000)
    expect(client.peer(serverId)?.persistent).toBe(true)

    const states: Array<{ state: string; at: number }> = []
    client.addEventListener('peer:state', (event: CustomEvent<PeerStateEvent>) => {
      if (event.detail.peerId === serverId) states.push({ state: event.detail.state, at: Date.now() })
    })
    await server.stop()
    await waitFor('the client to see it gone', () => client.peer(serverId)?.state === 'disconnected', 5_000)
    const lostAt = Date.now()
    // Down for 2.5 s: the client's retries (1 s, 2 s … ±20%) fail until it is back.
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    server = await node({ privateKey: key, tcpPort: port })
    await waitFor('the reconnect', () => client.peer(serverId)?.state === 'connected', 15_000)
    const reconnectedAfter = Date.now() - lostAt
    const attempts = states.filter((s) => s.state === 'connecting')
    // The first retry waits about 1 s, then 2 s: at least two attempts, never immediate.
    expect(attempts.length).toBeGreaterThanOrEqual(2)
    expect((attempts[0]?.at ?? 0) - lostAt).toBeGreaterThanOrEqual(700)
    expect(reconnectedAfter).toBeGreaterThanOrEqual(2_500)
    expect(client.peer(serverId)?.persistent).toBe(true)
  }, 30_000)

  it('a peer without a completed handshake cannot use another /paw/* protocol', async () => {
    const a = await node()
    const received: PawMessage[] = []
    await a.onMessage('/paw/echo-test/1', 'note', (message) => {
      received.push(message)
    })
    const peer: RawPeer = await raw()
    const connection = await peer.connect(tcpAddress(a))
    const stream = await connection.newStream('/paw/echo-test/1')
    try {
      stream.send(Uint8Array.of(0, 0, 0, 6, 0, 4, 0x6e, 0x6f, 0x74, 0x65))
    } catch {
      // The node may have reset the stream already; either way nothing may be delivered.
    }
    await waitFor('the node to reset the stream', () => stream.status !== 'open', 3_000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received).toEqual([])
  })

  it('broadcastMessage reaches every handshaken peer through handleIncomingMessage; stats count it', async () => {
    const hub = await node()
    const spokes = await Promise.all([node(), node(), node()])
    const received: Array<{ at: string; from: string; payload: number[] }> = []
    for (const spoke of spokes) {
      await spoke.onMessage('/paw/echo-test/1', 'note', (message, peer) => {
        received.push({ at: spoke.peerId.toString(), from: peer.peerId, payload: [...message.payload] })
      })
      await spoke.connectToPeer(tcpAddress(hub))
    }
    await waitFor('3 peers on the hub', () => connectedCount(hub) === 3)
    const result = await hub.broadcastMessage({
      protocol: '/paw/echo-test/1',
      type: 'note',
      payload: Uint8Array.of(1, 2, 3),
    })
    expect(result).toEqual({ sent: 3, failed: 0 })
    await waitFor('3 deliveries', () => received.length === 3)
    expect(received.every((r) => r.from === hub.peerId.toString())).toBe(true)
    expect(received.map((r) => r.payload)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ])
    const toFirst = hub.peer(spokes[0]?.peerId.toString() ?? '')
    expect(toFirst?.stats.messagesSent).toBeGreaterThanOrEqual(2) // handshake + note
    const fromHub = spokes[0]?.peer(hub.peerId.toString())
    expect(fromHub?.stats.messagesReceived).toBeGreaterThanOrEqual(2)
    expect(fromHub?.stats.bytesReceived).toBeGreaterThan(80)
  })

  it('peers() shows 004 §3.2 states through a graceful stop', async () => {
    const a = await node()
    const b = await node()
    const seen: string[] = []
    b.addEventListener('peer:state', (event: CustomEvent<PeerStateEvent>) => seen.push(event.detail.state))
    await b.connectToPeer(tcpAddress(a))
    await b.stop()
    expect(seen).toEqual(['connecting', 'handshaking', 'connected', 'disconnecting', 'disconnected'])
    await waitFor('A to see B disconnected', () => a.peer(b.peerId.toString())?.state === 'disconnected')
  })
})
