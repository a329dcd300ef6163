/**
 * The measurements of bench/network on a connected network of node processes, each with
 * what its nodes sent on their links meanwhile (the kernel's counters, so every byte on
 * the wire counts: TCP/IP, Noise, yamux, gossipsub control, not only payloads). The
 * latency measurements themselves are bench/gossip's.
 */
import type { NodeProcess } from '../../test/support/node-process.ts'
import {
  type BlockLatencyResult,
  blockLatency,
  type FloodResult,
  floodToEveryMempool,
  type LatencyResult,
  rawGossipLatency,
  transactionIds,
} from '../gossip/measure.ts'
import type { WanNetwork } from './wan.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Bytes sent per node during a measurement, less the idle traffic of the same duration. */
export interface Traffic {
  /** Per node, bytes on its link during the measurement. */
  perNode: number[]
  /** All nodes' idle traffic per second just before (heartbeats, pings). */
  idlePerSecond: number
  seconds: number
}

/** Sums what every node sent over `seconds` of nothing asked of the network. */
export async function idleTraffic(network: WanNetwork, seconds: number): Promise<number> {
  const before = network.sentBytes()
  await sleep(seconds * 1000)
  const after = network.sentBytes()
  return after.reduce((sum, b, i) => sum + b - (before[i] as number), 0) / seconds
}

/**
 * Runs `measure`, then waits `tailMs` (acknowledgements and gossip control that follow the
 * last delivery), and returns its result with the bytes each node sent meanwhile.
 */
export async function withTraffic<T>(
  network: WanNetwork,
  idlePerSecond: number,
  tailMs: number,
  measure: () => Promise<T>,
): Promise<{ result: T; traffic: Traffic }> {
  const before = network.sentBytes()
  const started = performance.now()
  const result = await measure()
  await sleep(tailMs)
  const after = network.sentBytes()
  return {
    result,
    traffic: {
      perNode: after.map((b, i) => b - (before[i] as number)),
      idlePerSecond,
      seconds: (performance.now() - started) / 1000,
    },
  }
}

/** Bytes per node per message: the traffic less idle, over nodes and messages. */
export function bytesPerNode(traffic: Traffic, messages: number): number {
  const total = traffic.perNode.reduce((a, b) => a + b, 0) - traffic.idlePerSecond * traffic.seconds
  return Math.max(0, total) / traffic.perNode.length / messages
}

/** Raw gossipsub (no PAW code) carrying `bytes` from `origin`, with its traffic. */
export function rawGossip(
  network: WanNetwork,
  nodes: readonly NodeProcess[],
  origin: number,
  bytes: number,
  rounds: number,
  firstSeq: number,
  idlePerSecond: number,
): Promise<{ result: LatencyResult; traffic: Traffic }> {
  return withTraffic(network, idlePerSecond, 1_000, () =>
    rawGossipLatency(nodes, origin, bytes, rounds, firstSeq, 500),
  )
}

/**
 * Waits until the nodes' links carry no more than twice their idle traffic for two seconds
 * in a row (what an earlier measurement set going has drained), or `maxMs`; the ms waited.
 */
export async function quiet(network: WanNetwork, idlePerSecond: number, maxMs: number): Promise<number> {
  const started = performance.now()
  let calm = 0
  let before = network.sentBytes().reduce((a, b) => a + b, 0)
  while (calm < 2 && performance.now() - started < maxMs) {
    await sleep(1_000)
    const after = network.sentBytes().reduce((a, b) => a + b, 0)
    calm = after - before <= 2 * idlePerSecond + 64 * 1024 ? calm + 1 : 0
    before = after
  }
  return performance.now() - started
}

export interface BurstResult extends FloodResult {
  /** Node × transaction deliveries, and the share that happened. */
  deliveries: number
  deliveredPercent: number
  /** CPU time of all the node processes during the burst, ms. */
  cpuMs: number
}

/**
 * A burst: every transaction submitted at once (split over `submitters`), then until every
 * mempool holds every one, or `timeoutMs`: how long, and how many arrived.
 */
export async function burst(
  nodes: readonly NodeProcess[],
  submitters: readonly number[],
  transactions: readonly Uint8Array[],
  timeoutMs: number,
): Promise<BurstResult> {
  const cpu = async () => (await Promise.all(nodes.map((n) => n.status()))).reduce((s, x) => s + x.cpuMs, 0)
  const cpuBefore = await cpu()
  const flood = await floodToEveryMempool(nodes, submitters, transactions, {
    window: transactions.length,
    chunk: transactions.length,
    timeoutMs,
  })
  const deliveries = transactions.length * nodes.length
  return {
    ...flood,
    deliveries,
    deliveredPercent: (100 * (deliveries - flood.missing)) / deliveries,
    cpuMs: (await cpu()) - cpuBefore,
  }
}

export interface FillResult {
  transactions: number
  ms: number
  /** Node × transaction pairs not in the mempools afterwards (0: every mempool holds all). */
  missing: number
}

/**
 * A block's transactions into every mempool before the block: submitted at every node at
 * once (each node validates each once, the least it costs; copies that arrive by gossip
 * meanwhile are duplicates). Not a measurement of relay: the burst is.
 */
export async function fill(
  nodes: readonly NodeProcess[],
  transactions: readonly Uint8Array[],
  timeoutMs: number,
): Promise<FillResult> {
  const started = performance.now()
  await Promise.all(nodes.map((node) => node.submit(transactions, { timeoutMs })))
  const ids = transactionIds(transactions)
  const reports = await Promise.all(nodes.map((node) => node.transactions({ ids })))
  return {
    transactions: transactions.length,
    ms: performance.now() - started,
    missing: reports.reduce((sum, r) => sum + ids.length - (r.pending ?? 0), 0),
  }
}

/** One block of exactly `body` announced at `origin` (its transactions in every mempool). */
export function blockRound(
  network: WanNetwork,
  nodes: readonly NodeProcess[],
  origin: number,
  body: readonly Uint8Array[],
  idlePerSecond: number,
  timeoutMs: number,
): Promise<{ result: BlockLatencyResult; traffic: Traffic }> {
  return withTraffic(network, idlePerSecond, 1_000, () => blockLatency(nodes, origin, [body], timeoutMs, 0))
}
