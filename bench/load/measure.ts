/**
 * Cases 1 (connections/s) and 3 (memory and CPU per peer) of bench/load, driven from
 * index.ts, and what case 2 (relay.ts) shares with them: the node under test (server.ts)
 * and the load generators (loader.ts) each run in a process of their own.
 */
import type { ChainParams } from '../../src/chain/types.ts'
import { type BulkAccount, bulkTransfers } from '../../test/support/bulk-sign.ts'
import type { IpcChild } from '../../test/support/ipc-child.ts'
import { median } from '../stats.ts'
import type { DialKind, DialResult } from './loader.ts'
import { now, sleep } from './nodes.ts'
import type { CpuWindow, MemoryReading, ServerCounters, ServerReady } from './server.ts'

export type Log = (line: string) => void

const KINDS: readonly DialKind[] = ['tcp', 'libp2p', 'paw']
/** Plain sockets are so much cheaper that a round of them needs more to last long enough to time. */
const TCP_FACTOR = 5

export function pack(transactions: readonly Uint8Array[]): Uint8Array {
  const packed = new Uint8Array(transactions.reduce((sum, tx) => sum + tx.length, 0))
  let offset = 0
  for (const tx of transactions) {
    packed.set(tx, offset)
    offset += tx.length
  }
  return packed
}

export const perSecond = (count: number, from: number, to: number): number => count / ((to - from) / 1000)
export const cpuMs = (cpu: CpuWindow): number => (cpu.percent / 100) * cpu.ms

export async function counters(server: IpcChild): Promise<ServerCounters> {
  return server.request<ServerCounters>('counters')
}

/** Polls the server's counters until `check` holds; fails after `timeoutMs`. */
export async function serverUntil(
  server: IpcChild,
  what: string,
  check: (c: ServerCounters) => boolean,
  timeoutMs = 20_000,
): Promise<ServerCounters> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const c = await counters(server)
    if (check(c)) return c
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(c)}`)
    await sleep(100)
  }
}

// ---------------------------------------------------------------------------------------
// 1. Connections/s accepted.

export interface ConnectionOptions {
  rounds: number
  connections: number
  concurrency: number
  warmup: number
}

export interface KindRounds {
  /** Accepted connections per second, per round. */
  perSecond: number[]
  /** The server's CPU during each round, % of one core. */
  serverCpu: number[]
  /**
   * The server's CPU time per accepted connection, ms: what a connection costs the node,
   * whatever else the machine runs (the rate above depends on the load generator too).
   */
  cpuMsPerConnection: number[]
}

export type ConnectionResult = Record<DialKind, KindRounds>

/** The counter of the server that each kind of connection moves by one. */
function acceptedOf(kind: DialKind, c: ServerCounters): number {
  if (kind === 'paw') return c.acceptedInbound
  if (kind === 'libp2p') return c.rawInboundConnections
  return c.tcpAccepted
}

async function dialRound(
  server: IpcChild,
  loader: IpcChild,
  ready: ServerReady,
  kind: DialKind,
  count: number,
  concurrency: number,
): Promise<{ rate: number; cpu: CpuWindow; cpuMsPer: number }> {
  const target = kind === 'paw' ? ready.pawAddress : kind === 'libp2p' ? ready.rawAddress : ready.tcpPort
  if (target === undefined) throw new Error(`the server runs no ${kind} listener`)
  const before = await counters(server)
  const round = await loader.request<DialResult>(
    'dialRound',
    { kind, target: String(target), count, concurrency },
    180_000,
  )
  // Every connection the loader made must have been accepted by the server, none refused.
  const after = await serverUntil(
    server,
    `${count} ${kind} connections accepted and closed`,
    (c) => acceptedOf(kind, c) - acceptedOf(kind, before) >= count && c.connections === 0,
  )
  if (acceptedOf(kind, after) - acceptedOf(kind, before) !== count) {
    throw new Error(
      `${kind}: ${count} connections made, ${acceptedOf(kind, after) - acceptedOf(kind, before)} accepted`,
    )
  }
  if (after.rejectedInbound !== before.rejectedInbound) {
    throw new Error(`${kind}: the node refused ${after.rejectedInbound - before.rejectedInbound} handshakes`)
  }
  const cpu = await server.request<CpuWindow>('cpuBetween', { from: round.startedAt, to: round.endedAt })
  return {
    rate: perSecond(round.connections, round.startedAt, round.endedAt),
    cpu,
    cpuMsPer: cpuMs(cpu) / round.connections,
  }
}

/**
 * Rounds of `connections` fresh identities of each kind, the kinds in a rotating order so
 * that drift and the neighbours' load fall on all alike, after one unmeasured warm-up
 * round of each.
 */
export async function measureConnections(
  server: IpcChild,
  loader: IpcChild,
  ready: ServerReady,
  options: ConnectionOptions,
  log: Log,
): Promise<ConnectionResult> {
  const count = (kind: DialKind, base: number) => (kind === 'tcp' ? base * TCP_FACTOR : base)
  for (const kind of KINDS) {
    await dialRound(server, loader, ready, kind, count(kind, options.warmup), options.concurrency)
  }
  log('connections: warmed up')
  const result: ConnectionResult = {
    tcp: { perSecond: [], serverCpu: [], cpuMsPerConnection: [] },
    libp2p: { perSecond: [], serverCpu: [], cpuMsPerConnection: [] },
    paw: { perSecond: [], serverCpu: [], cpuMsPerConnection: [] },
  }
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < KINDS.length; i++) {
      const kind = KINDS[(round + i) % KINDS.length] as DialKind
      const { rate, cpu, cpuMsPer } = await dialRound(
        server,
        loader,
        ready,
        kind,
        count(kind, options.connections),
        options.concurrency,
      )
      result[kind].perSecond.push(rate)
      result[kind].serverCpu.push(cpu.percent)
      result[kind].cpuMsPerConnection.push(cpuMsPer)
    }
    log(
      `connections round ${round + 1}/${options.rounds}: ` +
        KINDS.map((kind) => `${kind} ${result[kind].perSecond.at(-1)?.toFixed(0)}/s`).join(', '),
    )
  }
  return result
}

// ---------------------------------------------------------------------------------------
// 3. Memory per peer and CPU at 50 and 100 peers.

export interface PeersOptions {
  /** Peers each loader adds: the steps are 1×, 2×, … this. */
  peersPerLoader: number
  /** Transactions per second network-wide under load, the same at every step. */
  txPerSecond: number
  /** CPU measuring window, split into `cpuSlices` for the median. */
  cpuWindowMs: number
  cpuSlices: number
  settleMs: number
  /** Load before its CPU window starts, and after it ends (the memory reading). */
  loadLeadMs: number
  loadTailMs: number
}

export interface PeerState {
  memory: MemoryReading
  /** CPU % of one core: the median over the slices of the window, and each slice's. */
  cpuMedian: number
  cpuSlices: number[]
}

export interface PeerStep {
  peers: number
  idle: PeerState
  loaded: PeerState & { submitted: number; failed: Record<string, number> }
}

export interface PeersResult {
  baseline: PeerState
  steps: PeerStep[]
}

/** Transactions needed for the whole peers measurement (one per account, nonce 0). */
export function loadTransactionCount(options: PeersOptions, steps: number): number {
  const seconds = (options.loadLeadMs + options.cpuWindowMs + options.loadTailMs) / 1000
  return Math.ceil(options.txPerSecond * seconds) * steps
}

async function cpuState(server: IpcChild, options: PeersOptions): Promise<Omit<PeerState, 'memory'>> {
  const from = now()
  await sleep(options.cpuWindowMs)
  const slice = options.cpuWindowMs / options.cpuSlices
  const slices: number[] = []
  for (let i = 0; i < options.cpuSlices; i++) {
    const cpu = await server.request<CpuWindow>('cpuBetween', {
      from: from + i * slice,
      to: from + (i + 1) * slice,
    })
    slices.push(cpu.percent)
  }
  return { cpuMedian: median(slices), cpuSlices: slices }
}

async function idleState(server: IpcChild, options: PeersOptions): Promise<PeerState> {
  const cpu = await cpuState(server, options)
  return { ...cpu, memory: await server.request<MemoryReading>('memory') }
}

/**
 * The steady load: `transactions` split over the loaders in proportion to their peers,
 * submitted at `txPerSecond` in total; the CPU window starts after loadLeadMs.
 */
async function loadedState(
  server: IpcChild,
  loaders: readonly IpcChild[],
  transactions: readonly Uint8Array[],
  options: PeersOptions,
): Promise<PeerStep['loaded']> {
  const share = options.txPerSecond / loaders.length
  const runs = loaders.map((loader, index) =>
    loader.request<{ submitted: number; failed: Record<string, number> }>(
      'steadyLoad',
      {
        transactions: pack(transactions.filter((_, i) => i % loaders.length === index)),
        ratePerSecond: share,
      },
      120_000,
    ),
  )
  await sleep(options.loadLeadMs)
  const cpu = await cpuState(server, options)
  const memory = await server.request<MemoryReading>('memory')
  const reports = await Promise.all(runs)
  const failed: Record<string, number> = {}
  for (const report of reports) {
    for (const [key, count] of Object.entries(report.failed)) failed[key] = (failed[key] ?? 0) + count
  }
  return { ...cpu, memory, submitted: reports.reduce((sum, r) => sum + r.submitted, 0), failed }
}

export async function measurePeers(
  server: IpcChild,
  loaders: readonly IpcChild[],
  ready: ServerReady,
  params: ChainParams,
  loadAccounts: readonly BulkAccount[],
  options: PeersOptions,
  log: Log,
): Promise<PeersResult> {
  const transactions = bulkTransfers(params.chainId, loadAccounts)
  const perStep = transactions.length / loaders.length
  // Warm-up: the node's connection code compiled and its first allocations made, by
  // clients that then leave (not among the measured peers).
  await loaders[0]?.request('dialRound', {
    kind: 'paw',
    target: ready.pawAddress,
    count: 20,
    concurrency: 4,
  } satisfies { kind: DialKind; target: string; count: number; concurrency: number })
  await serverUntil(server, 'the warm-up clients to leave', (c) => c.connections === 0)
  await sleep(options.settleMs)
  const baseline = await idleState(server, options)
  log(`peers: no-peer baseline RSS ${(baseline.memory.rss / 2 ** 20).toFixed(1)} MiB`)
  const steps: PeerStep[] = []
  for (let step = 0; step < loaders.length; step++) {
    const peers = (step + 1) * options.peersPerLoader
    await loaders[step]?.request(
      'peersStart',
      { count: options.peersPerLoader, address: ready.pawAddress, concurrency: 8 },
      120_000,
    )
    await serverUntil(server, `${peers} handshaken peers`, (c) => c.inbound === peers)
    await sleep(options.settleMs)
    const idle = await idleState(server, options)
    const batch = transactions.slice(step * perStep, (step + 1) * perStep)
    const loaded = await loadedState(server, loaders.slice(0, step + 1), batch, options)
    const after = await counters(server)
    if (after.inbound !== peers) throw new Error(`${peers - after.inbound} peers left under load`)
    steps.push({ peers, idle, loaded })
    log(
      `peers: ${peers} connected, idle CPU ${idle.cpuMedian.toFixed(1)}%, loaded CPU ${loaded.cpuMedian.toFixed(1)}%`,
    )
  }
  return { baseline, steps }
}
