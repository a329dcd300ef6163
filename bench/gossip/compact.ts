/**
 * Compact block relay against raw gossipsub of the whole block, in the same network and run
 * (issue 19 "What the project must show"): time to every node, p50/p99 over node × round
 * samples, and bytes each node sent per block.
 *
 * Bytes are what each node's process sent on its TCP connections (the kernel's per-socket
 * `bytes_sent`, with Noise and yamux framing; not its IPC with the bench) from just before
 * the publish until every node had the message, less what it sends in as long a quiet time
 * (heartbeats, pings, gossip about earlier messages), measured just before. The raw gossipsub nodes
 * live in the same processes and are measured the same way, so the ratio compares like with
 * like.
 *
 * Mempools are filled directly: every node is handed the block's transactions
 * (submitTransaction), so the measurement does not depend on how well a burst floods.
 */
import { execFileSync } from 'node:child_process'
import { decodeTransaction } from '../../src/chain/encoding.ts'
import { txHash } from '../../src/chain/hashing.ts'
import type { CompactStats } from '../../src/gossip/gossip-service.ts'
import { COMPACT_BLOCK_TOPIC_VERSION } from '../../src/gossip/topics.ts'
import { toHex } from '../../src/wire/bytes.ts'
import type { NodeProcess, NodeStatus } from '../../test/support/node-process.ts'
import { median } from '../stats.ts'
import { percentile } from './measure.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Bytes each process has sent so far on its open TCP connections (the kernel's `bytes_sent`
 * per socket, `ss -tip`: TCP payload, i.e. Noise and yamux framing included, retransmissions
 * too), summed per pid. Not the process's IPC with the bench or its logs, which
 * /proc/<pid>/io would count.
 */
export function tcpBytesSent(pids: ReadonlyArray<number | undefined>): number[] {
  const output = execFileSync('ss', ['-tinpH', 'state', 'established'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
  const sent = new Map<number, number>()
  let owner: number | undefined
  for (const line of output.split('\n')) {
    const pid = /pid=(\d+)/.exec(line)
    if (pid !== null) owner = Number(pid[1])
    const bytes = /bytes_sent:(\d+)/.exec(line)
    if (bytes !== null && owner !== undefined) {
      sent.set(owner, (sent.get(owner) ?? 0) + Number(bytes[1]))
      owner = undefined
    }
  }
  return pids.map((pid) => (pid === undefined ? Number.NaN : (sent.get(pid) ?? 0)))
}

const pidsOf = (nodes: readonly NodeProcess[]) => nodes.map((node) => node.pid)

/** Every node's bytes sent per ms of a quiet `ms`: the background the rounds subtract. */
async function quietRates(nodes: readonly NodeProcess[], ms: number): Promise<number[]> {
  const before = tcpBytesSent(pidsOf(nodes))
  const started = performance.now()
  await sleep(ms)
  await Promise.all(nodes.map((node) => node.status()))
  const elapsed = performance.now() - started
  const after = tcpBytesSent(pidsOf(nodes))
  return after.map((value, i) => Math.max(0, (value - (before[i] as number)) / elapsed))
}

export interface RelayResult {
  /** Every node × round sample: arrival minus publish, ms. */
  samples: number[]
  p50: number
  p99: number
  /** Per round, the slowest node. */
  rounds: number[]
  missing: number
  /** Per node × round: bytes written during the round, less the quiet background. */
  bytesPerNode: number[]
  /** The message's size (the block's, for PAW). */
  bytes: number
}

function result(
  samples: number[],
  rounds: number[],
  missing: number,
  bytesPerNode: number[],
  bytes: number,
): RelayResult {
  return {
    samples,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    rounds,
    missing,
    bytesPerNode,
    bytes,
  }
}

/** Bytes each node wrote between `before` and now, less its quiet rate over `elapsedMs`. */
function bytesSince(
  nodes: readonly NodeProcess[],
  before: number[],
  rates: number[],
  elapsedMs: number,
): number[] {
  return tcpBytesSent(pidsOf(nodes)).map(
    (value, i) => value - (before[i] as number) - (rates[i] as number) * elapsedMs,
  )
}

/** Raw gossipsub: `rounds` messages of `bytes` from `origin`, time and bytes to every node. */
export async function rawRelay(
  nodes: readonly NodeProcess[],
  origin: number,
  bytes: number,
  rounds: number,
  firstSeq: number,
): Promise<RelayResult> {
  const samples: number[] = []
  const slowest: number[] = []
  const perNode: number[] = []
  let missing = 0
  for (let round = 0; round < rounds; round++) {
    const seq = firstSeq + round
    const rates = await quietRates(nodes, 1_000)
    const before = tcpBytesSent(pidsOf(nodes))
    const started = performance.now()
    const { publishedAt } = await (nodes[origin] as NodeProcess).rawPublish(seq, bytes)
    const deadline = performance.now() + 10_000
    let arrivals: Array<Array<{ seq: number; at: number }>> = []
    while (performance.now() < deadline) {
      arrivals = await Promise.all(nodes.map((node, i) => (i === origin ? [] : node.rawArrivals())))
      if (arrivals.every((list, i) => i === origin || list.some((a) => a.seq === seq))) break
      await sleep(20)
    }
    perNode.push(...bytesSince(nodes, before, rates, performance.now() - started))
    let last = 0
    arrivals.forEach((list, i) => {
      if (i === origin) return
      const arrival = list.find((a) => a.seq === seq)
      if (arrival === undefined) {
        missing++
        return
      }
      samples.push(arrival.at - publishedAt)
      last = Math.max(last, arrival.at - publishedAt)
    })
    slowest.push(last)
    await sleep(300)
  }
  return result(samples, slowest, missing, perNode, bytes)
}

/**
 * Hands `body` to every node (each admits it to its own mempool) and waits until every
 * mempool holds all of it and every gossip queue is idle.
 */
export async function fillEveryMempool(
  nodes: readonly NodeProcess[],
  body: readonly Uint8Array[],
): Promise<number> {
  const started = performance.now()
  const ids = body.map((tx) => toHex(txHash(decodeTransaction(tx))))
  await Promise.all(nodes.map((node) => node.submit(body, { timeoutMs: 300_000 })))
  for (;;) {
    const reports = await Promise.all(nodes.map((node) => node.transactions({ ids })))
    if (reports.every((r) => r.pending === ids.length)) break
    if (performance.now() - started > 300_000)
      throw new Error('the mempools never held the block’s transactions')
    await sleep(250)
  }
  await Promise.all(nodes.map((node) => node.gossipIdle(120_000)))
  return performance.now() - started
}

export interface CompactRound {
  /**
   * Relay: each node's forward of the block (rebuilt, header checked: compact-judge.ts)
   * minus the announcer's publish (its own block added, just before it is flooded).
   */
  relay: RelayResult
  /** Accepted: each node's 'block' event (fully validated, added) minus the announce call. */
  accepted: RelayResult
  /** Per round, the announcer's own validation before it publishes (announce to added), ms. */
  announcerAddMs: number[]
  /** Per receiving node × round: gossipsub handing the message over to the forward (rebuild, checks, queue), ms. */
  judgeMs: number[]
  /** Per receiving node: the compact relay counters' change in the round. */
  compact: Array<Omit<CompactStats, 'lastForwarded'>>
  /** Per node × round (the announcer's included): compact block messages its gossipsub sent, and their bytes. */
  copiesPerNode: number[]
  compactBytesPerNode: number[]
}

/** Messages and data bytes sent on compact block topics between two statuses (countGossipsubSends). */
function compactSends(before: NodeStatus, after: NodeStatus): { messages: number; bytes: number } {
  let messages = 0
  let bytes = 0
  for (const [topic, count] of Object.entries(after.gossipsubSent ?? {})) {
    if (!topic.endsWith(`/blocks/${COMPACT_BLOCK_TOPIC_VERSION}`)) continue
    messages += count.messages - (before.gossipsubSent?.[topic]?.messages ?? 0)
    bytes += count.bytes - (before.gossipsubSent?.[topic]?.bytes ?? 0)
  }
  return { messages, bytes }
}

const compactOf = (status: NodeStatus): CompactStats =>
  (status.gossip as NodeStatus['gossip'] & { compact: CompactStats }).compact

/**
 * `bodies.length` rounds: each body's transactions put in every mempool, then a block of
 * exactly them announced at `origin` (compact relay); time and bytes to every node.
 */
export async function compactRelay(
  nodes: readonly NodeProcess[],
  origin: number,
  bodies: ReadonlyArray<readonly Uint8Array[]>,
  options: { fill: boolean; settleMs: number; onFill?: (ms: number) => void },
): Promise<CompactRound> {
  const samples: number[] = []
  const slowest: number[] = []
  const relaySamples: number[] = []
  const relaySlowest: number[] = []
  const announcerAddMs: number[] = []
  const judgeMs: number[] = []
  const perNode: number[] = []
  const compact: CompactRound['compact'] = []
  const copiesPerNode: number[] = []
  const compactBytesPerNode: number[] = []
  let missing = 0
  let relayMissing = 0
  let bytes = 0
  for (const body of bodies) {
    if (options.fill) options.onFill?.(await fillEveryMempool(nodes, body))
    await sleep(options.settleMs)
    const rates = await quietRates(nodes, 1_000)
    const statusBefore = await Promise.all(nodes.map((node) => node.status()))
    const before = tcpBytesSent(pidsOf(nodes))
    const started = performance.now()
    const sent = await (nodes[origin] as NodeProcess).announce({ transactions: body, timeoutMs: 120_000 })
    bytes = sent.bytes
    const arrivals = await Promise.allSettled(
      nodes.map((node, i) => (i === origin ? undefined : node.waitForBlock(sent.hash, 60_000))),
    )
    // The announcer's own build and mining are not relay: count from the announce.
    perNode.push(...bytesSince(nodes, before, rates, performance.now() - started))
    const statusAfter = await Promise.all(nodes.map((node) => node.status()))
    announcerAddMs.push(sent.addedAt - sent.announcedAt)
    statusAfter.forEach((after, i) => {
      const sends = compactSends(statusBefore[i] as NodeStatus, after)
      copiesPerNode.push(sends.messages)
      compactBytesPerNode.push(sends.bytes)
    })
    let last = 0
    let relayLast = 0
    arrivals.forEach((arrival, i) => {
      if (i === origin) return
      const a = compactOf(statusAfter[i] as NodeStatus)
      const b = compactOf(statusBefore[i] as NodeStatus)
      const { lastForwarded, ...counts } = a
      compact.push(
        Object.fromEntries(
          Object.entries(counts).map(([k, v]) => [
            k,
            (v as number) - ((b as unknown as Record<string, number>)[k] ?? 0),
          ]),
        ) as CompactRound['compact'][number],
      )
      if (lastForwarded?.hash === sent.hash) {
        relaySamples.push(lastForwarded.at - sent.addedAt)
        judgeMs.push(lastForwarded.at - lastForwarded.receivedAt)
        relayLast = Math.max(relayLast, lastForwarded.at - sent.addedAt)
      } else {
        relayMissing++
      }
      if (arrival.status === 'rejected' || arrival.value === undefined) {
        missing++
        return
      }
      samples.push(arrival.value.at - sent.announcedAt)
      last = Math.max(last, arrival.value.at - sent.announcedAt)
    })
    slowest.push(last)
    relaySlowest.push(relayLast)
    await sleep(500)
  }
  return {
    relay: result(relaySamples, relaySlowest, relayMissing, perNode, bytes),
    accepted: result(samples, slowest, missing, perNode, bytes),
    announcerAddMs,
    judgeMs,
    compact,
    copiesPerNode,
    compactBytesPerNode,
  }
}

/** Bytes per node and block: mean (all nodes' bytes over the nodes), median, p90, and the mean's share of the block. */
export function bytesSummary(r: RelayResult): { mean: number; median: number; p90: number; share: number } {
  const mean = r.bytesPerNode.reduce((sum, b) => sum + b, 0) / Math.max(1, r.bytesPerNode.length)
  return { mean, median: median(r.bytesPerNode), p90: percentile(r.bytesPerNode, 90), share: mean / r.bytes }
}
