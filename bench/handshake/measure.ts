/**
 * The two measurements of bench/handshake.
 *
 * Throughput: rounds of N sequential connections of each kind (PAW, then the plain
 * baseline, in alternating order per round, so drift and neighbours' load fall on both
 * alike). Only connecting is timed; hanging up is not.
 *
 * Memory: a fresh server process per repetition, warmed up with a few connections so its
 * code is compiled and loaded, then by a batch of other peers (as many as are measured)
 * that connect at once and leave, so the code that only many connections at a time make
 * hot enough to optimise is compiled too (without it, V8's code space grows by ~16 KiB
 * per measured peer, once: not a per-peer cost); with `settledPeers` idle, handshaken
 * peers already connected (so what the first peers cost once, the code of an idle
 * connected peer's paths and the tables that grow with peers, is in the baseline); then
 * the server's memory before and after `peers` more idle, handshaken peers (read in the
 * server, after a full GC): what one more peer costs.
 */

import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PawNode } from '../../src/api/index.ts'
import { median } from '../stats.ts'
import { type MemoryReading, ServerProcess, type ServerStats } from './ipc.ts'
import { hangUp, pawConnection, plainConnection, type Target } from './nodes.ts'

export interface ThroughputOptions {
  rounds: number
  connections: number
  warmup: number
}

export interface ThroughputRound {
  /** Mean ms per connection in the round. */
  pawMs: number
  plainMs: number
  /** The plain node with a paw-node's libp2p logger. */
  plainLoggerMs: number
  pawPerSecond: number
  plainPerSecond: number
  plainLoggerPerSecond: number
  /** (pawMs − plainMs) / pawMs: the PAW handshake's share of a connection's time. */
  handshakeShare: number
  /** The kinds in the order they ran this round. */
  order: Kind[]
}

export type Kind = 'paw' | 'plain' | 'plainLogger'

export interface ThroughputResult {
  pawPerSecond: number
  plainPerSecond: number
  plainLoggerPerSecond: number
  pawMs: number
  plainMs: number
  plainLoggerMs: number
  /** Median of the per-round shares (not the share of the medians). */
  handshakeShare: number
  /** Median over rounds of the per-round ratio paw / plain conn/s. */
  ratio: number
  /** The same, paw / plain with a paw-node's libp2p logger. */
  loggerRatio: number
  rounds: ThroughputRound[]
  server: ServerStats
}

export interface MemoryRepetition {
  before: MemoryReading
  after: MemoryReading
  rssPerPeer: number
  heapPerPeer: number
  inbound: number
}

export interface MemoryResult {
  peers: number
  /** Idle peers already connected when the baseline was read. */
  settledPeers: number
  /** Median over repetitions, bytes. */
  rssPerPeer: number
  heapPerPeer: number
  repetitions: MemoryRepetition[]
}

export interface Dialers {
  client: PawNode
  plain: Libp2p
  plainLogger: Libp2p
}

async function batch(count: number, connect: () => Promise<number>): Promise<number> {
  let total = 0
  for (let i = 0; i < count; i++) total += await connect()
  return total
}

function toTarget(server: ServerProcess, chainId: string): Target {
  return { address: server.address, peerId: peerIdFromString(server.peerId), chainId }
}

export async function measureThroughput(
  server: ServerProcess,
  chainId: string,
  dialers: Dialers,
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const to = toTarget(server, chainId)
  const connect: Record<Kind, () => Promise<number>> = {
    paw: () => pawConnection(dialers.client, to),
    plain: () => plainConnection(dialers.plain, to),
    plainLogger: () => plainConnection(dialers.plainLogger, to),
  }
  const kinds: Kind[] = ['paw', 'plain', 'plainLogger']
  for (const kind of kinds) await batch(options.warmup, connect[kind])
  const rounds: ThroughputRound[] = []
  for (let round = 0; round < options.rounds; round++) {
    // Each kind runs first, second and last equally often.
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length] as Kind)
    const ms = { paw: 0, plain: 0, plainLogger: 0 }
    globalThis.gc?.()
    for (const kind of order)
      ms[kind] = (await batch(options.connections, connect[kind])) / options.connections
    rounds.push({
      pawMs: ms.paw,
      plainMs: ms.plain,
      plainLoggerMs: ms.plainLogger,
      pawPerSecond: 1000 / ms.paw,
      plainPerSecond: 1000 / ms.plain,
      plainLoggerPerSecond: 1000 / ms.plainLogger,
      handshakeShare: (ms.paw - ms.plain) / ms.paw,
      order,
    })
  }
  return {
    pawPerSecond: median(rounds.map((r) => r.pawPerSecond)),
    plainPerSecond: median(rounds.map((r) => r.plainPerSecond)),
    plainLoggerPerSecond: median(rounds.map((r) => r.plainLoggerPerSecond)),
    pawMs: median(rounds.map((r) => r.pawMs)),
    plainMs: median(rounds.map((r) => r.plainMs)),
    plainLoggerMs: median(rounds.map((r) => r.plainLoggerMs)),
    handshakeShare: median(rounds.map((r) => r.handshakeShare)),
    ratio: median(rounds.map((r) => r.pawPerSecond / r.plainPerSecond)),
    loggerRatio: median(rounds.map((r) => r.pawPerSecond / r.plainLoggerPerSecond)),
    rounds,
    server: await server.stats(),
  }
}

async function serverUntil(
  server: ServerProcess,
  what: string,
  check: (stats: ServerStats) => boolean,
  timeoutMs = 10_000,
): Promise<ServerStats> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const stats = await server.stats()
    if (check(stats)) return stats
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (server: ${JSON.stringify(stats)})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface MemoryOptions {
  repetitions: number
  settleMs: number
  /** Connections of each kind that warm a fresh server up before its baseline reading. */
  warmup: number
}

/** The measured peers, those already connected when the baseline is read, and the warm-up batch. */
export interface MemoryPeers {
  measured: PawNode[]
  settled: PawNode[]
  warm: PawNode[]
}

async function connectAll(peers: PawNode[], address: string): Promise<void> {
  const results = await Promise.allSettled(peers.map((peer) => peer.connectToPeer(address)))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw new Error(`a peer failed to connect: ${(failed.reason as Error).message}`)
}

async function memoryRepetition(
  chainId: string,
  dialers: Dialers,
  { measured: peers, settled, warm }: MemoryPeers,
  options: MemoryOptions,
): Promise<MemoryRepetition> {
  const server = await ServerProcess.start(chainId)
  const to = toTarget(server, chainId)
  try {
    // Warm-up with nodes that are not among the measured peers.
    await batch(options.warmup, () => pawConnection(dialers.client, to))
    await batch(options.warmup, () => plainConnection(dialers.plain, to))
    await connectAll(warm, to.address)
    await serverUntil(server, `${warm.length} warm-up peers`, (s) => s.inbound === warm.length)
    await Promise.all(warm.map((peer) => hangUp(peer.libp2p, to.peerId)))
    await serverUntil(server, 'the warm-up connections to close', (s) => s.connections === 0)
    await connectAll(settled, to.address)
    await serverUntil(server, `${settled.length} settled peers`, (s) => s.inbound === settled.length)
    await sleep(options.settleMs)
    const before = await server.memory()
    await connectAll(peers, to.address)
    const all = settled.length + peers.length
    const stats = await serverUntil(
      server,
      `${all} inbound peers`,
      (s) => s.inbound === all && s.connections === all,
    )
    await sleep(options.settleMs)
    const after = await server.memory()
    return {
      before,
      after,
      rssPerPeer: (after.rss - before.rss) / peers.length,
      heapPerPeer: (after.heapUsed + after.external - before.heapUsed - before.external) / peers.length,
      inbound: stats.inbound,
    }
  } finally {
    await Promise.all([...warm, ...settled, ...peers].map((peer) => hangUp(peer.libp2p, to.peerId)))
    await server.stop()
  }
}

export async function measureMemory(
  chainId: string,
  dialers: Dialers,
  peers: MemoryPeers,
  options: MemoryOptions,
): Promise<MemoryResult> {
  const repetitions: MemoryRepetition[] = []
  for (let i = 0; i < options.repetitions; i++) {
    repetitions.push(await memoryRepetition(chainId, dialers, peers, options))
  }
  return {
    peers: peers.measured.length,
    settledPeers: peers.settled.length,
    rssPerPeer: median(repetitions.map((r) => r.rssPerPeer)),
    heapPerPeer: median(repetitions.map((r) => r.heapPerPeer)),
    repetitions,
  }
}
