/**
 * The two measurements of bench/handshake.
 *
 * Throughput: rounds of N sequential connections of each kind (PAW, then the plain
 * baseline, in alternating order per round, so drift and neighbours' load fall on both
 * alike). Only connecting is timed; hanging up is not.
 *
 * Memory: a fresh server process per repetition, warmed up with a few connections so its
 * code is compiled and loaded, and with `settledPeers` idle, handshaken peers already
 * connected (so what the first peers cost once, the code of an idle connected peer's
 * paths and the tables that grow with peers, is in the baseline); then the server's
 * memory before and after `peers` more idle, handshaken peers (read in the server, after
 * a full GC): what one more peer costs.
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
  pawPerSecond: number
  plainPerSecond: number
  /** (pawMs − plainMs) / pawMs: the PAW handshake's share of a connection's time. */
  handshakeShare: number
  pawFirst: boolean
}

export interface ThroughputResult {
  pawPerSecond: number
  plainPerSecond: number
  pawMs: number
  plainMs: number
  /** Median of the per-round shares (not the share of the medians). */
  handshakeShare: number
  /** Median over rounds of the per-round ratio paw / plain conn/s. */
  ratio: number
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
  const paw = (): Promise<number> => pawConnection(dialers.client, to)
  const plain = (): Promise<number> => plainConnection(dialers.plain, to)
  await batch(options.warmup, paw)
  await batch(options.warmup, plain)
  const rounds: ThroughputRound[] = []
  for (let round = 0; round < options.rounds; round++) {
    const pawFirst = round % 2 === 0
    let pawTotal: number
    let plainTotal: number
    globalThis.gc?.()
    if (pawFirst) {
      pawTotal = await batch(options.connections, paw)
      plainTotal = await batch(options.connections, plain)
    } else {
      plainTotal = await batch(options.connections, plain)
      pawTotal = await batch(options.connections, paw)
    }
    const pawMs = pawTotal / options.connections
    const plainMs = plainTotal / options.connections
    rounds.push({
      pawMs,
      plainMs,
      pawPerSecond: 1000 / pawMs,
      plainPerSecond: 1000 / plainMs,
      handshakeShare: (pawMs - plainMs) / pawMs,
      pawFirst,
    })
  }
  return {
    pawPerSecond: median(rounds.map((r) => r.pawPerSecond)),
    plainPerSecond: median(rounds.map((r) => r.plainPerSecond)),
    pawMs: median(rounds.map((r) => r.pawMs)),
    plainMs: median(rounds.map((r) => r.plainMs)),
    handshakeShare: median(rounds.map((r) => r.handshakeShare)),
    ratio: median(rounds.map((r) => r.pawPerSecond / r.plainPerSecond)),
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

/** The measured peers and those already connected when the baseline is read. */
export interface MemoryPeers {
  measured: PawNode[]
  settled: PawNode[]
}

async function connectAll(peers: PawNode[], address: string): Promise<void> {
  const results = await Promise.allSettled(peers.map((peer) => peer.connectToPeer(address)))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw new Error(`a peer failed to connect: ${(failed.reason as Error).message}`)
}

async function memoryRepetition(
  chainId: string,
  dialers: Dialers,
  { measured: peers, settled }: MemoryPeers,
  options: MemoryOptions,
): Promise<MemoryRepetition> {
  const server = await ServerProcess.start(chainId)
  const to = toTarget(server, chainId)
  try {
    // Warm-up with nodes that are not among the measured peers.
    await batch(options.warmup, () => pawConnection(dialers.client, to))
    await batch(options.warmup, () => plainConnection(dialers.plain, to))
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
    await Promise.all([...settled, ...peers].map((peer) => hangUp(peer.libp2p, to.peerId)))
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
