/**
 * The node under test of bench/load, in its own process (forked by index.ts with
 * --expose-gc), so that its CPU time and memory are its own:
 *
 * - a full PAW node on a LevelDB chain in a temporary directory, listening on 127.0.0.1
 *   TCP, peer limits and inbound guards raised (nodes.ts); in the relay configuration
 *   also its gossip rate limit, expected transaction rate and mempool bounds;
 * - in the relay configuration, the baselines: the raw libp2p listener (nodes.ts), which
 *   also relays fixed-size messages from a sender's stream to a receiver's; the raw
 *   gossipsub relay (raw-gossip.ts); a node:net server that accepts and closes. Also the
 *   cost of one Ed25519 verify (verify-cost.ts) and, on request, a CPU profile of the
 *   node's relay (profiler.ts).
 *
 * It samples its own CPU time every SAMPLE_MS, so the parent can ask for the CPU used
 * between two moments of a measurement it timed elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { PawNode } from '../../src/api/index.ts'
import { type FullChain, openFullChain } from '../../src/chain/full-chain.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import type { PawPubSub } from '../../src/gossip/gossip-service.ts'
import { pawTopics } from '../../src/gossip/topics.ts'
import { createPawNode, LevelBlockStore } from '../../src/node/index.ts'
import { serveRequests } from '../../test/support/ipc-child.ts'
import {
  BENCH_INBOUND,
  BENCH_LIMITS,
  MESSAGE_BYTES,
  now,
  RAW_RELAY_PROTOCOL,
  RAW_SINK_PROTOCOL,
  RELAY_EXPECTED_TX_PER_SECOND,
  RELAY_MEMPOOL,
  RELAY_RATE_LIMITS,
  sleep,
  startRawListener,
} from './nodes.ts'
import { startProfile, stopProfile } from './profiler.ts'
import { type RawGossipNode, rawGossipMesh, startRawGossipRelay } from './raw-gossip.ts'
import { type VerifyCost, verifyCost } from './verify-cost.ts'

export interface ServerInit {
  params: ChainParams
  /** The relay case's settings (gossip limit, expected rate, mempool) and the raw baselines. */
  relay: boolean
}

export interface ServerReady {
  peerId: string
  pawAddress: string
  rawAddress: string | undefined
  rawGossipAddress: string | undefined
  tcpPort: number | undefined
}

export interface ServerCounters {
  /** Handshaken inbound peers now, and every inbound handshake completed since start. */
  inbound: number
  acceptedInbound: number
  rejectedInbound: number
  /** Open libp2p connections of the PAW node, handshaken or not. */
  connections: number
  rawInboundConnections: number
  tcpAccepted: number
  transactionMesh: number
  /** Peers in the raw gossipsub relay's mesh of its topic. */
  rawGossipMesh: number
  mempool: number
  gossipDropped: number
  gossipThrottled: number
}

/** process.memoryUsage() after two full GCs. */
export interface MemoryReading {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

/** CPU used between two moments, % of one core. */
export interface CpuWindow {
  percent: number
  ms: number
}

const SAMPLE_MS = 100
/** Ten minutes of samples. */
const MAX_SAMPLES = 6_000

interface State {
  node: PawNode
  full: FullChain
  dataDir: string
  raw: Libp2p | undefined
  rawGossip: RawGossipNode | undefined
  tcp: Server | undefined
  acceptedInbound: number
  rawInbound: number
  tcpAccepted: number
  samples: Array<{ at: number; cpuUs: number }>
  sampler: NodeJS.Timeout
}

let state: State | undefined

function need(): State {
  if (state === undefined) throw new Error('not initialised')
  return state
}

function cpuMicros(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

async function startPawNode(init: ServerInit, dataDir: string): Promise<{ node: PawNode; full: FullChain }> {
  const full = await openFullChain({
    params: init.params,
    store: new LevelBlockStore(join(dataDir, 'chain')),
    mempool: init.relay ? RELAY_MEMPOOL : undefined,
  })
  const node = await createPawNode({
    chainId: init.params.chainId,
    nodeType: 'full',
    chain: full,
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: null,
    logLevel: 'error',
    limits: BENCH_LIMITS,
    inbound: BENCH_INBOUND,
    ...(init.relay
      ? { rateLimits: RELAY_RATE_LIMITS, gossip: { expectedTxPerSecond: RELAY_EXPECTED_TX_PER_SECOND } }
      : {}),
  })
  await node.start()
  return { node, full }
}

/**
 * The raw relay: the receiver opens RAW_SINK_PROTOCOL first; every whole MESSAGE_BYTES
 * message arriving on a sender's RAW_RELAY_PROTOCOL stream is sent on to it as its own
 * write, the sender's stream paused while the receiver's needs a 'drain'.
 */
async function serveRawRelay(raw: Libp2p): Promise<void> {
  let sink = Promise.withResolvers<Stream>()
  await raw.handle(RAW_SINK_PROTOCOL, (stream) => {
    sink.resolve(stream)
    stream.addEventListener('close', () => {
      sink = Promise.withResolvers<Stream>()
    })
  })
  await raw.handle(RAW_RELAY_PROTOCOL, async (source) => {
    const out = await sink.promise
    let pending = new Uint8Array(0)
    source.addEventListener('message', (event) => {
      const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
      const joined = new Uint8Array(pending.length + data.length)
      joined.set(pending)
      joined.set(data, pending.length)
      let offset = 0
      let open = true
      for (; offset + MESSAGE_BYTES <= joined.length; offset += MESSAGE_BYTES) {
        open = out.send(joined.subarray(offset, offset + MESSAGE_BYTES)) && open
      }
      pending = joined.slice(offset)
      if (!open) {
        source.pause()
        out.addEventListener('drain', () => source.resume(), { once: true })
      }
    })
  })
}

function startTcpServer(s: { tcpAccepted: number }): Promise<Server> {
  const server = createServer((socket) => {
    s.tcpAccepted++
    socket.on('error', () => undefined)
    socket.end()
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

async function init(body: ServerInit): Promise<ServerReady> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paw-bench-load-'))
  const { node, full } = await startPawNode(body, dataDir)
  const s: State = {
    node,
    full,
    dataDir,
    raw: undefined,
    rawGossip: undefined,
    tcp: undefined,
    acceptedInbound: 0,
    rawInbound: 0,
    tcpAccepted: 0,
    samples: [],
    sampler: setInterval(() => {
      s.samples.push({ at: now(), cpuUs: cpuMicros() })
      if (s.samples.length > MAX_SAMPLES) s.samples.splice(0, s.samples.length - MAX_SAMPLES)
    }, SAMPLE_MS),
  }
  state = s
  node.addEventListener('peer:connected', ({ detail }) => {
    if (detail.direction === 'inbound') s.acceptedInbound++
  })
  if (body.relay) {
    s.raw = await startRawListener()
    s.raw.addEventListener('connection:open', ({ detail }) => {
      if (detail.direction === 'inbound') s.rawInbound++
    })
    await serveRawRelay(s.raw)
    s.rawGossip = await startRawGossipRelay()
    s.tcp = await startTcpServer(s)
  }
  const pawAddress = node.getMultiaddrs().find((a) => a.toString().includes('/tcp/'))
  if (pawAddress === undefined) throw new Error('the node has no TCP address')
  const tcpAddress = (raw: Libp2p | undefined) =>
    raw
      ?.getMultiaddrs()
      .find((a) => a.toString().includes('/tcp/'))
      ?.toString()
  return {
    peerId: node.peerId.toString(),
    pawAddress: pawAddress.toString(),
    rawAddress: tcpAddress(s.raw),
    rawGossipAddress: tcpAddress(s.rawGossip),
    tcpPort: (s.tcp?.address() as { port: number } | null)?.port,
  }
}

function counters(): ServerCounters {
  const s = need()
  const stats = s.node.stats()
  const gossip = s.node.gossipStats()
  const pubsub = s.node.libp2p.services.pubsub as PawPubSub
  return {
    inbound: stats.inbound,
    acceptedInbound: s.acceptedInbound,
    rejectedInbound: stats.rejectedInbound,
    connections: s.node.libp2p.getConnections().length,
    rawInboundConnections: s.rawInbound,
    tcpAccepted: s.tcpAccepted,
    transactionMesh: pubsub.getMeshPeers(pawTopics(s.full.chain.params.chainId).transactions).length,
    rawGossipMesh: s.rawGossip === undefined ? 0 : rawGossipMesh(s.rawGossip),
    mempool: s.full.mempool.size,
    gossipDropped: gossip.lanes.transactions.dropped,
    gossipThrottled: gossip.throttled,
  }
}

async function memory(): Promise<MemoryReading> {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('the server needs --expose-gc')
  // Two full collections a turn of the event loop apart: what the first freed through
  // finalizers goes in the second.
  gc()
  await sleep(50)
  gc()
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, external, arrayBuffers }
}

/** CPU time used up to `at` (µs), interpolated between the two samples around it. */
function cpuAt(samples: ReadonlyArray<{ at: number; cpuUs: number }>, at: number): number {
  const after = samples.findIndex((sample) => sample.at >= at)
  const next = samples[after]
  const previous = samples[after - 1]
  if (next === undefined || previous === undefined) throw new Error('no CPU samples around that time')
  return previous.cpuUs + ((next.cpuUs - previous.cpuUs) * (at - previous.at)) / (next.at - previous.at)
}

/** CPU % of one core between `from` and `to` (now() times), from the samples around them. */
async function cpuBetween(body: { from: number; to: number }): Promise<CpuWindow> {
  const s = need()
  // The sample just after `to` may not be taken yet.
  while ((s.samples.at(-1)?.at ?? 0) < body.to) await sleep(SAMPLE_MS)
  const ms = body.to - body.from
  return { percent: ((cpuAt(s.samples, body.to) - cpuAt(s.samples, body.from)) / 1000 / ms) * 100, ms }
}

async function shutdown(): Promise<void> {
  const s = state
  if (s === undefined) return
  clearInterval(s.sampler)
  s.tcp?.close()
  await Promise.allSettled([s.node.stop(), s.raw?.stop(), s.rawGossip?.stop()])
  await s.full.chain.close().catch(() => undefined)
  await rm(s.dataDir, { recursive: true, force: true })
}

process.title = 'paw-bench-load-server'
serveRequests(
  {
    init,
    counters,
    memory,
    cpuBetween,
    /** One Ed25519 verify's CPU time, on a relay batch (n × 152 bytes) of the node's chain. */
    verifyCost: (body: { transactions: Uint8Array }): VerifyCost =>
      verifyCost(body.transactions, need().full.chain.params.chainId),
    profileStart: startProfile,
    profileStop: (body: { file: string }) => stopProfile(body.file),
  },
  shutdown,
)
