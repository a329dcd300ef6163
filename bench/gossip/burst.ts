/**
 * A transaction burst (issue 19 "Transaction bursts delivered"): `transactions` submitted
 * at once at one node (node.submitTransaction for each, as fast as the node admits them: no
 * window, no pacing, no re-publishing by the harness), then every node's mempool watched
 * until it holds all of them or the deadline passes. Reports how long until every mempool
 * held every one, how much of node × transaction had arrived at fixed moments, and the
 * nodes' shedding counters meanwhile (lane drops, throttling, late forwards).
 */
import type { NodeProcess, NodeStatus } from '../../test/support/node-process.ts'
import { admittedSince, sheddingSince, transactionIds } from './measure.ts'

export interface BurstResult {
  transactions: number
  nodes: number
  /** From the first submission until the origin had admitted the last one, ms. */
  submitMs: number
  /** From the first submission until the last node admitted the last transaction, ms (NaN if never). */
  everywhereMs: number
  /** node × transaction delivered (the origin excluded), out of `(nodes - 1) × transactions`. */
  delivered: number
  expected: number
  /** Share delivered at these seconds after the first submission. */
  progress: Array<{ seconds: number; share: number }>
  refused: Record<string, number>
  /** Summed over the nodes during the burst. */
  laneDropped: number
  throttled: number
  republished: number
  ignored: number
  /** Most transactions any node had queued at once. */
  highWater: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Submits `transactions` at `nodes[origin]` at once and waits until every mempool holds them, up to `timeoutMs`. */
export async function transactionBurst(
  nodes: readonly NodeProcess[],
  origin: number,
  transactions: readonly Uint8Array[],
  options: { timeoutMs: number; onProgress?: (seconds: number, share: number) => void },
): Promise<BurstResult> {
  const before = await Promise.all(nodes.map((node) => node.status()))
  const expected = (nodes.length - 1) * transactions.length
  const deliveredNow = async (): Promise<number> => {
    const reports = await Promise.all(nodes.map((node) => node.transactions()))
    return reports.reduce(
      (sum, report, index) =>
        index === origin
          ? sum
          : sum + Math.min(transactions.length, admittedSince(before[index] as NodeStatus, report)),
      0,
    )
  }
  const startedAt = performance.now()
  const submitted = (nodes[origin] as NodeProcess).submit(transactions, { timeoutMs: options.timeoutMs })
  const progress: BurstResult['progress'] = []
  const marks = [1, 2, 5, 10, 20, 30, 60, 120, 180, 300, 600]
  let delivered = 0
  while (performance.now() - startedAt < options.timeoutMs) {
    await sleep(250)
    delivered = await deliveredNow()
    const seconds = (performance.now() - startedAt) / 1000
    while (marks.length > 0 && seconds >= (marks[0] as number)) {
      const mark = marks.shift() as number
      progress.push({ seconds: mark, share: delivered / expected })
      options.onProgress?.(mark, delivered / expected)
    }
    if (delivered >= expected) break
  }
  const report = await submitted
  const ids = transactionIds(transactions)
  const reports = await Promise.all(nodes.map((node) => node.transactions({ arrivals: true, ids })))
  const after = await Promise.all(nodes.map((node) => node.status()))
  let last = 0
  for (const r of reports) for (const [, at] of r.arrivals ?? []) last = Math.max(last, at)
  const complete = reports.every((r, index) => index === origin || r.pending === ids.length)
  return {
    transactions: transactions.length,
    nodes: nodes.length,
    submitMs: report.endedAt - report.startedAt,
    everywhereMs: complete ? last - report.startedAt : Number.NaN,
    delivered: reports.reduce((sum, r, index) => (index === origin ? sum : sum + (r.pending ?? 0)), 0),
    expected,
    progress,
    refused: report.failed,
    ...sheddingSince(before, after),
  }
}

/** One line of text for the burst. */
export function burstLine(b: BurstResult): string {
  const share = (100 * b.delivered) / b.expected
  return (
    `transaction burst: ${b.transactions} submitted at once at one node (admitted in ${(b.submitMs / 1000).toFixed(1)} s), ` +
    (Number.isFinite(b.everywhereMs)
      ? `in every one of ${b.nodes} mempools after ${(b.everywhereMs / 1000).toFixed(1)} s (100%)`
      : `NOT in every mempool: ${share.toFixed(2)}% of node x transaction delivered`) +
    (b.progress.length > 0
      ? `; delivered by ${b.progress.map((p) => `${p.seconds} s ${(100 * p.share).toFixed(1)}%`).join(', ')}`
      : '') +
    (Object.keys(b.refused).length > 0 ? `; refused at the origin ${JSON.stringify(b.refused)}` : '') +
    `; lane dropped ${b.laneDropped}, throttled ${b.throttled}, forwarded late ${b.republished}, ignored ${b.ignored}, high water ${b.highWater}`
  )
}
