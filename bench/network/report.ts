/**
 * bench/network's report: a text table with ratios to the baselines of the same run, or
 * the same as JSON.
 */
import type { BlockLatencyResult, LatencyResult } from '../gossip/measure.ts'
import { percentile } from '../gossip/measure.ts'
import { type machine, round, table } from '../report.ts'
import { median } from '../stats.ts'
import type { LostEdges } from './edges.ts'
import { type BurstResult, bytesPerNode, type FillResult, type Traffic } from './measure.ts'
import type { Floor } from './topology.ts'
import type { BlockTrace } from './trace.ts'
import type { DelayStats } from './wan.ts'

export interface RunResult {
  environment: ReturnType<typeof machine>
  options: {
    count: number
    outbound: number
    delayMs: number
    jitterMs: number
    rateMbit: number
    seed: number
    rounds: number
    blockTransfers: number
    submitters: number[]
    heapMiB: number
  }
  edges: number
  /** Edges that could not be connected (left out of the floor too). */
  leftOut: { paw: number; raw: number }
  diameter: number
  /** All nodes' traffic per second when nothing is asked of them, bytes. */
  idlePerSecond: number
  rawStream: number[]
  rawBlock: { result: LatencyResult; traffic: Traffic }
  /** Per round: the block's transactions brought into every mempool before it. */
  fills: FillResult[]
  burst: BurstResult | undefined
  blocks: Array<{ result: BlockLatencyResult; traffic: Traffic }>
  /** Floor of 1 MiB (the raw baseline's message) and of the block's bytes. */
  floor: Floor
  blockFloor: Floor
  rss: number[]
  delay: DelayStats
  queueDrops: number
  seconds: number
  /** Per-node timelines of the traced block rounds (--trace-ms), the warm-up's first. */
  traces: Array<{ label: string; trace: BlockTrace }>
  /** Per block round: the topology's connections lost before it (dialled again unless --keep-lost-edges). */
  lostEdges: LostEdges[]
}

/** The floor per node other than the origin: one sample per node, as latencies are per node. */
function floorOf(floor: Floor, pick: (f: Floor) => number[]): { p50: number; p99: number } {
  const values = pick(floor).filter((_, i) => floor.hops[i] !== 0)
  return { p50: percentile(values, 50), p99: percentile(values, 99) }
}

function summary(r: RunResult) {
  const samples = r.blocks.flatMap((b) => b.result.samples)
  const block = { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length }
  const blockBytes = r.blocks[0]?.result.bytes ?? 0
  const floor = floorOf(r.blockFloor, (f) => f.ms)
  const latencyFloor = floorOf(r.blockFloor, (f) => f.latencyOnlyMs)
  const rawFloor = floorOf(r.floor, (f) => f.ms)
  const blockBytesPerNode = median(r.blocks.map((b) => bytesPerNode(b.traffic, 1)))
  const rawBytesPerNode = bytesPerNode(r.rawBlock.traffic, r.rawBlock.result.rounds.length)
  const hops = r.blockFloor.hops.filter((h) => h > 0)
  // Traced rounds: when each node forwarded the block (rebuilt, root and header checked),
  // before its full validation, which 2 shared cores serialise over every node.
  const forwarded = r.traces
    .filter((t) => t.label.startsWith('block round'))
    .flatMap((t) => t.trace.nodes.map((n) => n.forwardedAt ?? Number.POSITIVE_INFINITY))
  const relayed = {
    p50: percentile(forwarded, 50),
    p99: percentile(forwarded, 99),
    samples: forwarded.length,
  }
  return {
    block,
    blockBytes,
    floor,
    latencyFloor,
    rawFloor,
    blockBytesPerNode,
    rawBytesPerNode,
    hops,
    relayed,
  }
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 100 ? 1 : 0) : '-')
const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : '-')
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

/** A measured case's table row: p50/p99, samples, both against `floor`, then p99 / raw and bytes as given. */
function measuredRow(
  label: string,
  measured: { p50: number; p99: number; samples: number },
  floor: { p50: number; p99: number },
  p99VsRaw: string,
  sent: string,
): string[] {
  const { p50, p99, samples } = measured
  return [label, ms(p50), ms(p99), `${samples}`, ratio(p50, floor.p50), ratio(p99, floor.p99), p99VsRaw, sent]
}

export function printText(r: RunResult): void {
  const s = summary(r)
  const { options: o, environment: e } = r
  const raw = r.rawBlock.result
  console.log(
    `network bench | node ${e.node} | ${e.cpu} (${e.cores} cores, ${e.memoryGiB} GiB) | load avg ${e.loadAverageAtStart} at start | ` +
      `${e.date} | ${o.count} processes, one namespace each, ${o.delayMs} ± ${o.jitterMs} ms one way per hop, ${o.rateMbit} Mbit/s uplinks | ` +
      `random ${o.outbound} outbound each (${r.edges} edges${r.leftOut.paw + r.leftOut.raw > 0 ? `, left out: ${r.leftOut.paw} PAW, ${r.leftOut.raw} raw` : ''}, diameter ${r.diameter}, origin's hops median ${median(s.hops)} max ${Math.max(...s.hops)}) | ${r.seconds.toFixed(0)} s`,
  )
  const rows = [
    ['case', 'p50 ms', 'p99 ms', 'samples', 'p50 / floor', 'p99 / floor', 'p99 / raw', 'sent per node'],
    [
      `physical floor, ${kib(s.blockBytes)}: hops x (${o.delayMs} ms + ${r.blockFloor.serialisationMs.toFixed(1)} ms serialisation)`,
      ms(s.floor.p50),
      ms(s.floor.p99),
      `${s.hops.length}`,
      '1.00x',
      '1.00x',
      '-',
      '-',
    ],
    [
      `latency-only floor: hops x ${o.delayMs} ms`,
      ms(s.latencyFloor.p50),
      ms(s.latencyFloor.p99),
      `${s.hops.length}`,
      '-',
      '-',
      '-',
      '-',
    ],
    [
      'raw libp2p stream, 1 MiB, one hop (+ 1-byte ack)',
      ms(median(r.rawStream)),
      '-',
      `${r.rawStream.length}`,
      '-',
      '-',
      '-',
      '-',
    ],
    measuredRow(
      'raw gossipsub, 1 MiB, origin -> every node',
      { p50: raw.p50, p99: raw.p99, samples: raw.samples.length },
      s.rawFloor,
      '1.00x',
      kib(s.rawBytesPerNode),
    ),
    measuredRow(
      `PAW block, ${kib(s.blockBytes)} (${r.blocks[0]?.result.transactions ?? 0} tx, all in every mempool) -> every node`,
      s.block,
      s.floor,
      ratio(s.block.p99, raw.p99),
      kib(s.blockBytesPerNode),
    ),
  ]
  if (s.relayed.samples > 0) {
    rows.push(
      measuredRow(
        '  the same block forwarded (rebuilt, root and header checked; traced) at every node',
        s.relayed,
        s.floor,
        ratio(s.relayed.p99, raw.p99),
        '-',
      ),
    )
  }
  for (const line of table(rows)) console.log(line)
  console.log(
    `bytes per node per message: the links' counters (TCP/IP headers included) less idle traffic ` +
      `(${kib(r.idlePerSecond / o.count)}/s per node); PAW block ${(100 * (s.blockBytesPerNode / s.blockBytes)).toFixed(0)}% of its size, ` +
      `raw gossipsub ${(100 * (s.rawBytesPerNode / (1024 * 1024))).toFixed(0)}% of 1 MiB`,
  )
  for (const [i, b] of r.blocks.entries()) {
    const res = b.result
    console.log(
      `PAW block round ${i + 1}: slowest node ${ms(res.rounds[0] ?? Number.NaN)} ms; announcer's own import (after its compact block left, with compact relay) ` +
        `${ms(res.announcerAddMs[0] ?? Number.NaN)} ms; validation at a receiving node median ${ms(median(res.validationMs))} ms; ` +
        `CPU of all ${o.count} processes meanwhile ${((res.totalCpuMs[0] ?? 0) / 1000).toFixed(1)} s (${e.cores} cores)` +
        (res.missing > 0 ? `; ${res.missing} arrivals MISSING` : ''),
    )
  }
  for (const [i, l] of r.lostEdges.entries()) {
    if (l.lostEnds === 0) continue
    console.log(
      `  before block round ${i + 1}: ${l.nodesShort} of ${o.count} nodes had lost peers (${l.lostEnds} connection ends, ` +
        `${l.isolated} nodes with none): keep-alive drops a peer whose ping waits 30 s behind the flood of the fill`,
    )
  }
  for (const [i, f] of r.fills.entries()) {
    console.log(
      `  before block round ${i + 1}: its ${f.transactions} transactions submitted at every node, in every mempool after ` +
        `${(f.ms / 1000).toFixed(1)} s`,
    )
  }
  const b = r.burst
  if (b !== undefined) {
    console.log(
      `transaction burst: ${b.transactions} transactions submitted at once at ${o.submitters.length} nodes ` +
        (b.submitUnfinished
          ? '(the submitters still admitting theirs when the window ended); '
          : `(${(b.submitMs / 1000).toFixed(1)} s to hand over); `) +
        (b.missing === 0
          ? `in every mempool after ${(b.everywhereMs / 1000).toFixed(1)} s (${((1000 * b.transactions) / b.everywhereMs).toFixed(0)} tx/s), 100% delivered`
          : `NOT in every mempool: ${b.deliveredPercent.toFixed(1)}% of ${b.deliveries} node x tx delivered, last arrival after ` +
            `${(b.everywhereMs / 1000).toFixed(1)} s`) +
        `; nodes holding all ${b.nodesWithAll}/${o.count}; CPU of all processes ${(b.cpuMs / 1000).toFixed(1)} s` +
        ` (${(b.cpuMs / (b.transactions * o.count)).toFixed(2)} ms per node x tx); lane dropped ${b.laneDropped}, throttled ${b.throttled}, ignored ${b.ignored}`,
    )
  }
  console.log(
    `emulation: ${r.delay.packets} packets delayed, verdicts late by p50 ${r.delay.lateUs.p50} µs, p99 ${r.delay.lateUs.p99} µs, ` +
      `max ${(r.delay.lateUs.max / 1000).toFixed(1)} ms; ${r.queueDrops} dropped at the hub`,
  )
  console.log(
    `RSS per node at the end: median ${(median(r.rss) / 2 ** 20).toFixed(0)} MiB, max ${(Math.max(...r.rss) / 2 ** 20).toFixed(0)} MiB ` +
      `(heap limit ${o.heapMiB} MiB); all ${o.count}: ${(r.rss.reduce((a, b) => a + b, 0) / 2 ** 30).toFixed(1)} GiB`,
  )
}

export function printJson(r: RunResult): void {
  const s = summary(r)
  const pick = (x: LatencyResult) => ({
    p50: round(x.p50, 1),
    p99: round(x.p99, 1),
    samples: x.samples.length,
    missing: x.missing,
    slowestPerRound: x.rounds.map((v) => round(v, 1)),
  })
  console.log(
    JSON.stringify(
      {
        ...r.environment,
        ...r.options,
        unit: 'ms unless named; latencies per node and round: arrival minus announce/publish; bytes: sent per node, link counters less idle',
        edges: r.edges,
        leftOut: r.leftOut,
        diameter: r.diameter,
        seconds: round(r.seconds, 1),
        floor: {
          blockBytes: s.blockBytes,
          serialisationMs: round(r.blockFloor.serialisationMs, 2),
          p50: round(s.floor.p50, 1),
          p99: round(s.floor.p99, 1),
          latencyOnly: { p50: round(s.latencyFloor.p50, 1), p99: round(s.latencyFloor.p99, 1) },
          hops: s.hops,
        },
        rawStream1MiB: { median: round(median(r.rawStream), 1), rounds: r.rawStream.map((v) => round(v, 1)) },
        rawGossip1MiB: {
          ...pick(r.rawBlock.result),
          bytesPerNode: Math.round(s.rawBytesPerNode),
          p50OverFloor: round(r.rawBlock.result.p50 / s.rawFloor.p50, 2),
          p99OverFloor: round(r.rawBlock.result.p99 / s.rawFloor.p99, 2),
        },
        pawBlock: {
          p50: round(s.block.p50, 1),
          p99: round(s.block.p99, 1),
          samples: s.block.samples,
          rounds: r.blocks.map((b) => pick(b.result)),
          bytes: s.blockBytes,
          transactions: r.blocks[0]?.result.transactions ?? 0,
          bytesPerNode: Math.round(s.blockBytesPerNode),
          bytesPerNodePerRound: r.blocks.map((b) => Math.round(bytesPerNode(b.traffic, 1))),
          p50OverFloor: round(s.block.p50 / s.floor.p50, 2),
          p99OverFloor: round(s.block.p99 / s.floor.p99, 2),
          p99OverRawGossip: round(s.block.p99 / r.rawBlock.result.p99, 2),
          cpuAllProcessesMs: r.blocks.map((b) => Math.round(b.result.totalCpuMs[0] ?? 0)),
          forwarded:
            s.relayed.samples === 0
              ? undefined
              : { p50: round(s.relayed.p50, 1), p99: round(s.relayed.p99, 1), samples: s.relayed.samples },
          validationMedianMs: round(median(r.blocks.flatMap((b) => b.result.validationMs)), 1),
        },
        fillsMs: r.fills.map((f) => Math.round(f.ms)),
        burst:
          r.burst === undefined
            ? undefined
            : {
                transactions: r.burst.transactions,
                everywhereMs: Math.round(r.burst.everywhereMs),
                submitMs: Math.round(r.burst.submitMs),
                submitUnfinished: r.burst.submitUnfinished,
                deliveredPercent: round(r.burst.deliveredPercent, 2),
                nodesWithAll: r.burst.nodesWithAll,
                cpuMs: Math.round(r.burst.cpuMs),
                laneDropped: r.burst.laneDropped,
                throttled: r.burst.throttled,
                ignored: r.burst.ignored,
              },
        emulation: { ...r.delay, hubDrops: r.queueDrops, idleBytesPerSecond: Math.round(r.idlePerSecond) },
        lostEdges: r.lostEdges,
        traces: r.traces.length === 0 ? undefined : r.traces,
        rssMiB: { median: round(median(r.rss) / 2 ** 20, 0), max: round(Math.max(...r.rss) / 2 ** 20, 0) },
      },
      null,
      2,
    ),
  )
}
