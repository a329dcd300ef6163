/**
 * Every protocol stream counted per peer (src/peers/stream-traffic.ts), between two real
 * libp2p nodes on 127.0.0.1 built with countStreamTraffic: one with libp2p's Prometheus
 * metrics inside, whose per-protocol byte counts the peer manager's must equal, and one
 * with no metrics of its own (as in a browser).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p, Metrics, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveSettings } from '../../src/config/settings.ts'
import { silentLogger } from '../../src/logging.ts'
import { createLibp2pMetrics, type Libp2pMetrics } from '../../src/node/metrics/libp2p-metrics.ts'
import { PeerManager } from '../../src/peers/peer-manager.ts'
import { countStreamTraffic, streamTrafficOf } from '../../src/peers/stream-traffic-metrics.ts'
import type { Handshake } from '../../src/wire/handshake.ts'

const CHAIN = 'paw-test'
const HANDSHAKE = { version: 1, chainId: CHAIN, nodeId: new Uint8Array(32) } as Handshake
const ECHO = '/test/echo/1'

type Node = Libp2p<{ ping: { ping(...args: never[]): Promise<number> } }>

let started: Array<{ manager: PeerManager; libp2p: Node }> = []
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

/** Echoes every chunk back, then closes: a protocol whose writes and reads are known. */
async function echo(stream: Stream): Promise<void> {
  for await (const chunk of stream) stream.send(chunk)
  await stream.close()
}

async function startPeer(inner?: (components: never) => Metrics) {
  const libp2p: Node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    metrics: countStreamTraffic(inner),
    services: { ping: ping(), identify: identify() },
  })
  await libp2p.handle(ECHO, echo)
  const settings = resolveSettings({
    chainId: CHAIN,
    maintenanceIntervalMs: 3_600_000,
    limits: { minOutbound: 0 },
  })
  const manager = new PeerManager({ libp2p, settings, log: silentLogger, ping: libp2p.services.ping })
  await manager.start()
  // Stands in for /paw/handshake/1 (as test/peers/peer-manager.test.ts does).
  libp2p.addEventListener('connection:open', ({ detail: connection }: CustomEvent<Connection>) => {
    setTimeout(() => {
      if (connection.direction === 'inbound' && manager.admitInbound(connection, HANDSHAKE) !== undefined)
        return
      manager.completed(connection, HANDSHAKE)
    }, 5)
  })
  started.push({ manager, libp2p })
  return { libp2p, manager }
}

/** libp2p's own byte counts per protocol and direction (`<protocol> sent`), without `global`. */
async function libp2pCounts(metrics: Libp2pMetrics): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric('libp2p_data_transfer_bytes_total')
  const { values } = (await metric?.get()) ?? { values: [] }
  return Object.fromEntries(
    values
      .filter(({ labels }) => !String(labels.protocol).startsWith('global '))
      .map(({ labels, value }) => [String(labels.protocol), value]),
  )
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('stream traffic', () => {
  it("counts every protocol per peer, byte for byte with libp2p's own per-protocol count", async () => {
    const metrics = createLibp2pMetrics()
    const a = await startPeer(metrics.metrics as (components: never) => Metrics)
    const b = await startPeer()
    expect(streamTrafficOf(a.libp2p.metrics)).toBeDefined()
    await a.manager.connectToPeer(b.libp2p.getMultiaddrs()[0]?.toString() as string)
    const idB = b.libp2p.peerId.toString()
    const idA = a.libp2p.peerId.toString()
    await until('identify both ways', () => '/ipfs/id/1.0.0' in a.manager.protocolTraffic())

    for (let i = 0; i < 3; i++) await a.libp2p.services.ping.ping(b.libp2p.peerId as never)
    const stream = await a.libp2p.dialProtocol(b.libp2p.peerId, ECHO)
    const replies: number[] = []
    stream.addEventListener('message', (event) => replies.push(event.data.byteLength))
    let echoed = 0
    for (const size of [10, 1_000, 100_000]) {
      echoed += size
      stream.send(new Uint8Array(size))
      await until(`the echo of ${size} bytes`, () => replies.reduce((s, n) => s + n, 0) >= echoed)
    }
    await stream.close()

    const ours = a.manager.protocolTraffic()
    expect(ours['/ipfs/ping/1.0.0']).toEqual({
      bytesSent: 96,
      bytesReceived: 96,
      messagesSent: 3,
      messagesReceived: 3,
    })
    expect(ours[ECHO]).toMatchObject({ bytesSent: 101_010, bytesReceived: 101_010, messagesSent: 3 })
    const theirs = await libp2pCounts(metrics)
    const flattened = Object.fromEntries(
      Object.entries(ours).flatMap(([protocol, t]) => [
        [`${protocol} sent`, t.bytesSent],
        [`${protocol} received`, t.bytesReceived],
      ]),
    )
    expect(flattened).toEqual(theirs)

    // All of it was with B, and B (no metrics of its own) counted the same from its side.
    const sum = (key: 'bytesSent' | 'bytesReceived') => Object.values(ours).reduce((s, t) => s + t[key], 0)
    expect(a.manager.peer(idB)?.stats).toMatchObject({
      bytesSent: sum('bytesSent'),
      bytesReceived: sum('bytesReceived'),
    })
    await until(
      'B to see the echo closed',
      () => (b.manager.protocolTraffic()[ECHO]?.bytesSent ?? 0) === 101_010,
    )
    expect(b.manager.protocolTraffic()[ECHO]).toMatchObject({ bytesSent: 101_010, bytesReceived: 101_010 })
    expect(b.manager.peer(idA)?.stats.bytesReceived).toBeGreaterThanOrEqual(101_010 + 96)
  })
})
