/**
 * The connection timeouts of 004 §3.1 and §10.1 between real nodes on loopback: keep-alive
 * pings with the RTT per peer, the inactivity timeout, unresponsive peers, and a
 * configured handshake timeout (DECISIONS.md "Connections").
 */
import type { Connection } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import type { PawNode, PeerInfo } from '../../src/api/index.ts'
import { encodeFrame, type Frame } from '../../src/wire/frame.ts'
import { encodeHandshake } from '../../src/wire/handshake.ts'
import { type RawPeer, TEST_CHAIN, tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'

const PING_PROTOCOL = '/ipfs/ping/1.0.0'

const { node, raw } = trackedNodes()

/** When `node` next reports `peerId` disconnected (Date.now() at the event). */
function disconnectedAt(node: PawNode, peerId: string): Promise<number> {
  return new Promise((resolve) => {
    const listener = (event: CustomEvent<PeerInfo>): void => {
      if (event.detail.peerId !== peerId) return
      node.removeEventListener('peer:disconnected', listener)
      resolve(Date.now())
    }
    node.addEventListener('peer:disconnected', listener)
  })
}

/** When `node` next reports `peerId` connected (Date.now() at the event). */
function connectedAt(node: PawNode, peerId: string): Promise<number> {
  return new Promise((resolve) => {
    const listener = (event: CustomEvent<PeerInfo>): void => {
      if (event.detail.peerId !== peerId) return
      node.removeEventListener('peer:connected', listener)
      resolve(Date.now())
    }
    node.addEventListener('peer:connected', listener)
  })
}

/** When the raw peer's `connection` closes (Date.now() at the event). */
function rawClosedAt(peer: RawPeer, connection: Connection): Promise<number> {
  return new Promise((resolve) => {
    const listener = (event: CustomEvent<Connection>): void => {
      if (event.detail.id !== connection.id) return
      peer.libp2p.removeEventListener('connection:close', listener)
      resolve(Date.now())
    }
    peer.libp2p.addEventListener('connection:close', listener)
  })
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A raw peer completes /paw/handshake/1 by hand with `target`; returns its connection. */
async function handshakeByHand(peer: RawPeer, target: PawNode): Promise<Connection> {
  const connection = await peer.connect(tcpAddress(target))
  const handshake = encodeHandshake({
    version: 1,
    chainId: TEST_CHAIN,
    nodeId: peer.privateKey.publicKey.raw,
  })
  const { frames } = await peer.exchange(connection, encodeFrame('handshake', handshake))
  expect(frames.map((f: Frame) => f.type)).toEqual(['handshake'])
  return connection
}

describe('keep-alive (004 §10.1)', () => {
  it('keeps the RTT of the keep-alive ping per peer, on both sides', async () => {
    const settings = { timeouts: { pingIntervalMs: 200 }, maintenanceIntervalMs: 50 }
    const [a, b] = [await node(settings), await node(settings)]
    const aId = a.peerId.toString()
    const bId = b.peerId.toString()
    const info = await b.connectToPeer(tcpAddress(a))
    expect(info.stats.rttMs).toBeUndefined()
    await waitFor(
      'an RTT on both sides',
      () => {
        return typeof b.peer(aId)?.stats.rttMs === 'number' && typeof a.peer(bId)?.stats.rttMs === 'number'
      },
      2_000,
    )
    for (const rtt of [b.peer(aId)?.stats.rttMs, a.peer(bId)?.stats.rttMs]) {
      expect(rtt).toBeGreaterThanOrEqual(0)
      expect(rtt).toBeLessThan(1_000)
    }
  })

  it('answered pings count as activity: an idle peer outlives the inactivity timeout', async () => {
    const settings = {
      timeouts: { pingIntervalMs: 100, inactivityMs: 500 },
      maintenanceIntervalMs: 50,
    }
    const [a, b] = [await node(settings), await node(settings)]
    await b.connectToPeer(tcpAddress(a))
    // Three inactivity periods without a single /paw/* frame.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(b.peer(a.peerId.toString())?.state).toBe('connected')
    expect(a.peer(b.peerId.toString())?.state).toBe('connected')
  })
})

describe('inactivity timeout (004 §10.1)', () => {
  it('a connected peer that sends nothing is disconnected after inactivityMs', async () => {
    // No pings after the first (the interval is a minute), so nothing refreshes activity.
    const a = await node({
      timeouts: { inactivityMs: 500, pingIntervalMs: 60_000 },
      maintenanceIntervalMs: 50,
    })
    const b = await node()
    const bId = b.peerId.toString()
    const gone = disconnectedAt(a, bId)
    const started = Date.now()
    await b.connectToPeer(tcpAddress(a))
    const at = await within(gone, 3_000, 'the idle peer to be disconnected')
    expect(at - started).toBeGreaterThanOrEqual(500)
    expect(at - started).toBeLessThan(2_500)
    expect(a.peer(bId)?.state).toBe('disconnected')
    expect(a.peer(bId)?.lastError).toMatch(/inactiv/)
    await waitFor(
      'the other side to see the disconnection',
      () => {
        return b.peer(a.peerId.toString())?.state === 'disconnected'
      },
      3_000,
    )
  })
})

describe('unresponsive peer (004 §10.1 keep-alive, §3.1 read timeout)', () => {
  const settings = {
    timeouts: { pingIntervalMs: 100, readIdleMs: 300 },
    maintenanceIntervalMs: 50,
  }

  it('a handshaken peer without a ping service is dropped at once, with WARN naming the requirement (protocols/README.md)', async () => {
    const lines: string[] = []
    const a = await node({ ...settings, logger: testLogger(lines) })
    const peer = await raw()
    const peerId = peer.libp2p.peerId.toString()
    const gone = disconnectedAt(a, peerId)
    const started = Date.now()
    const connection = await handshakeByHand(peer, a)
    const closed = rawClosedAt(peer, connection)
    const at = await within(gone, 3_000, 'the unresponsive peer to be dropped')
    expect(at - started).toBeLessThan(1_500)
    expect(a.peer(peerId)?.lastError).toMatch(
      /does not speak \/ipfs\/ping\/1\.0\.0, which a PAW peer must answer/,
    )
    expect(
      lines.some(
        (line) =>
          line.includes(' WARN ') && line.includes('dropping peer without ping') && line.includes(peerId),
      ),
    ).toBe(true)
    await within(closed, 3_000, 'the raw peer to see its connection closed')
  })

  it('a peer that takes pings but never answers is dropped after the read timeout', async () => {
    const a = await node(settings)
    const peer = await raw()
    // Accepts /ipfs/ping/1.0.0 and swallows the 32 bytes without echoing them.
    await peer.libp2p.handle(PING_PROTOCOL, (stream) => {
      stream.addEventListener('message', () => {})
    })
    const peerId = peer.libp2p.peerId.toString()
    const connected = connectedAt(a, peerId)
    const gone = disconnectedAt(a, peerId)
    const connection = await handshakeByHand(peer, a)
    const closed = rawClosedAt(peer, connection)
    const connectedTime = await within(connected, 3_000, 'the handshake to complete')
    const at = await within(gone, 3_000, 'the silent peer to be dropped')
    // Not before the first ping (sent once connected) has waited readIdleMs.
    expect(at - connectedTime).toBeGreaterThanOrEqual(300)
    expect(at - connectedTime).toBeLessThan(1_500)
    expect(a.peer(peerId)?.lastError).toMatch(/no ping answer and nothing else from it within 300 ms/)
    await within(closed, 3_000, 'the raw peer to see its connection closed')
  })
})

describe('one unanswered ping holds up nothing else', () => {
  it('the other peers keep being pinged while a ping waits for its timeout', async () => {
    const a = await node({ timeouts: { pingIntervalMs: 100, readIdleMs: 2_500 }, maintenanceIntervalMs: 50 })
    const b = await node()
    const bId = b.peerId.toString()
    await b.connectToPeer(tcpAddress(a))
    await waitFor('a to ping b', () => typeof a.peer(bId)?.stats.rttMs === 'number', 2_000)
    const peer = await raw()
    const pinged = Promise.withResolvers<void>()
    await peer.libp2p.handle(PING_PROTOCOL, (stream) => {
      stream.addEventListener('message', () => pinged.resolve())
    })
    await handshakeByHand(peer, a)
    await within(pinged.promise, 3_000, 'the first ping of the silent peer')
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    // b answers every 100 ms ping, so its last sign of life is recent.
    const stale = Date.now() - (a.peer(bId)?.stats.lastActivity ?? 0)
    expect(stale).toBeLessThan(600)
  })
})

describe('shutdown with a ping in flight (004 §5.2)', () => {
  it('stop() does not wait out the ping timeout of an unanswered ping', async () => {
    const a = await node({ timeouts: { pingIntervalMs: 100, readIdleMs: 4_000 }, maintenanceIntervalMs: 50 })
    const peer = await raw()
    const pinged = Promise.withResolvers<void>()
    // Takes the ping and never answers it.
    await peer.libp2p.handle(PING_PROTOCOL, (stream) => {
      stream.addEventListener('message', () => pinged.resolve())
    })
    await handshakeByHand(peer, a)
    await within(pinged.promise, 3_000, 'the first keep-alive ping')
    const started = Date.now()
    await within(a.stop(), 3_000, 'the node to stop')
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})

describe('handshake timeout (004 §3.1)', () => {
  it('respects a configured timeouts.handshakeMs: a silent connection is closed with 0x03', async () => {
    const a = await node({ timeouts: { handshakeMs: 500 } })
    const peer = await raw()
    const started = Date.now()
    const connection = await peer.connect(tcpAddress(a))
    const closed = rawClosedAt(peer, connection)
    const at = await within(closed, 3_000, 'the silent connection to be closed')
    expect(at - started).toBeGreaterThanOrEqual(400)
    expect(at - started).toBeLessThan(1_500)
    await waitFor(
      'the reason to be recorded',
      () => a.peer(peer.libp2p.peerId.toString())?.lastError !== undefined,
    )
    expect(a.peer(peer.libp2p.peerId.toString())?.lastError).toMatch(/^0x03 HandshakeTimeout/)
  })
})
