/**
 * Compact block relay against raw gossipsub of the whole block, in the same network and run
 * (issue 19 "What the project must show"): time to every node, p50/p99 over node × round
 * samples, and bytes each node sent per block.
 *
 * Bytes are what each node sent for the message (bytesSent): every copy its gossipsub sent
 * of it, and for PAW what it sent on /paw/blocks/1 (fetches), counted by the node processes
 * from just before the publish until every node had it. (The kernel's per-socket counters or
 * /proc/<pid>/io, less a background measured before, were tried: under CPU load the
 * background is not steady, and they came out below the message data alone.) The raw gossipsub nodes
 * live in the same processes and are measured the same way, so the ratio compares like with
 * like.
 *
 * Mempools are filled directly: every node is handed the block's transactions
 * (submitTransaction), so the measurement does not depend on how well a burst floods.
 */
import type { CompactCounts, CompactStats } from '../../src/gossip/compact-stats.ts'
import { COMPACT_BLOCK_TOPIC_VERSION } from '../../src/gossip/topics.ts'
import type { NodeProcess, NodeStatus } from '../../test/support/node-process.ts'
import { median } from '../stats.ts'
import { percentile, transactionIds } from './measure.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * What a node's gossipsub sent between two of its statuses on the topics `onTopic` accepts:
 * messages and their data bytes, every copy (published, forwarded, answered IWANTs).
 * Framing (protobuf, yamux, Noise) adds under 1% to a 40 KiB message.
 */
function gossipSent(
  before: NodeStatus,
  after: NodeStatus,
  onTopic: (topic: string) => boolean,
): { messages: number; bytes: number } {
  let messages = 0
  let bytes = 0
  for (const [topic, count] of Object.entries(after.gossipsubSent)) {
    if (!onTopic(topic)) continue
    messages += count.messages - (before.gossipsubSent[topic]?.messages ?? 0)
    bytes += count.bytes - (before.gossipsubSent[topic]?.bytes ?? 0)
  }
  return { messages, bytes }
}

/** Bytes a node sent for a relay: its gossip copies, plus /paw/blocks/1 (the fetches a compact block's receivers make). */
function bytesSent(before: NodeStatus, after: NodeStatus, onTopic: (topic: string) => boolean): number {
  const blocks = (status: NodeStatus) => status.protocolTraffic?.['/paw/blocks/1']?.bytesSent ?? 0
  return gossipSent(before, after, onTopic).bytes + blocks(after) - blocks(before)
}

const isRawTopic = (topic: string) => topic.startsWith('/bench/raw/')
const isCompactTopic = (topic: string) => topic.endsWith(`/blocks/${COMPACT_BLOCK_TOPIC_VERSION}`)

export interface RelayResult {
  /** Every node × round sample: arrival minus publish, ms. */
  samples: number[]
  p50: number
  p99: number
  /** Per round, the slowest node. */
  rounds: number[]
  missing: number
  /** Per node × round: bytes sent for the message (bytesSent). */
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
    const before = await Promise.all(nodes.map((node) => node.status()))
    const { publishedAt } = await (nodes[origin] as NodeProcess).rawPublish(seq, bytes)
    const deadline = performance.now() + 10_000
    let arrivals: Array<Array<{ seq: number; at: number }>> = []
    while (performance.now() < deadline) {
      arrivals = await Promise.all(nodes.map((node, i) => (i === origin ? [] : node.rawArrivals())))
      if (arrivals.every((list, i) => i === origin || list.some((a) => a.seq === seq))) break
      await sleep(20)
    }
    const after = await Promise.all(nodes.map((node) => node.status()))
    perNode.push(...after.map((a, i) => bytesSent(before[i] as NodeStatus, a, isRawTopic)))
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
  const ids = transactionIds(body)
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
   * minus the announcer's compact publish (before its own import: compact-stats.ts lastPublished).
   */
  relay: RelayResult
  /** Accepted: each node's 'block' event (fully validated, added) minus the announce call. */
  accepted: RelayResult
  /** Per round, the announcer's own import (announce call to added), ms. */
  announcerAddMs: number[]
  /**
   * Per round, the announce call to the compact block's publish, ms: before the import
   * (protocols/compact-blocks.md "Sending"), or after it if the block went out late.
   */
  announcerPublishMs: number[]
  /** Per receiving node × round: gossipsub handing the message over to the forward (rebuild, checks, queue), ms. */
  judgeMs: number[]
  /** Per receiving node: the compact relay counters' change in the round. */
  compact: Array<CompactCounts>
  /** Per node × round (the announcer's included): compact block messages its gossipsub sent, and their bytes. */
  copiesPerNode: number[]
  compactBytesPerNode: number[]
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
  const announcerPublishMs: number[] = []
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
    const statusBefore = await Promise.all(nodes.map((node) => node.status()))
    const sent = await (nodes[origin] as NodeProcess).announce({ transactions: body, timeoutMs: 120_000 })
    bytes = sent.bytes
    const arrivals = await Promise.allSettled(
      nodes.map((node, i) => (i === origin ? undefined : node.waitForBlock(sent.hash, 60_000))),
    )
    const statusAfter = await Promise.all(nodes.map((node) => node.status()))
    perNode.push(...statusAfter.map((a, i) => bytesSent(statusBefore[i] as NodeStatus, a, isCompactTopic)))
    announcerAddMs.push(sent.addedAt - sent.announcedAt)
    // The announcer's compact publish: before its import since the block goes out early.
    const published = compactOf(statusAfter[origin] as NodeStatus).lastPublished
    const publishedAt = published?.hash === sent.hash ? published.at : sent.addedAt
    announcerPublishMs.push(publishedAt - sent.announcedAt)
    statusAfter.forEach((after, i) => {
      const sends = gossipSent(statusBefore[i] as NodeStatus, after, isCompactTopic)
      copiesPerNode.push(sends.messages)
      compactBytesPerNode.push(sends.bytes)
    })
    let last = 0
    let relayLast = 0
    arrivals.forEach((arrival, i) => {
      if (i === origin) return
      const a = compactOf(statusAfter[i] as NodeStatus)
      const b = compactOf(statusBefore[i] as NodeStatus)
      const { lastForwarded, lastPublished: _, ...counts } = a
      compact.push(
        Object.fromEntries(
          Object.entries(counts).map(([k, v]) => [
            k,
            (v as number) - ((b as unknown as Record<string, number>)[k] ?? 0),
          ]),
        ) as CompactRound['compact'][number],
      )
      if (lastForwarded?.hash === sent.hash) {
        relaySamples.push(lastForwarded.at - publishedAt)
        judgeMs.push(lastForwarded.at - lastForwarded.receivedAt)
        relayLast = Math.max(relayLast, lastForwarded.at - publishedAt)
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
    announcerPublishMs,
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
