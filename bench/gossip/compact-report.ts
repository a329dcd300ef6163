/** What bench/gossip prints of compact relay (compact.ts): a table, or JSON. */
import type { machine } from '../report.ts'
import { round, table } from '../report.ts'
import { median } from '../stats.ts'
import { bytesSummary, type CompactRound, type RelayResult } from './compact.ts'

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 100 ? 1 : 0) : '-')
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
const mean = (values: readonly number[]): number =>
  values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length)

export interface CompactReportContext {
  environment: ReturnType<typeof machine>
  count: number
  edges: number
  diameter: number
  seconds: number
  json: boolean
}

/** The lines to print: a JSON document with `json`, else a header, a table and the counters. */
export function compactLines(
  result: { raw: RelayResult; paw: CompactRound; fillMs: number[] },
  context: CompactReportContext,
): string[] {
  const { raw, paw, fillMs } = result
  const rawBytes = bytesSummary(raw)
  const pawBytes = bytesSummary(paw.relay)
  const sum = (key: keyof CompactRound['compact'][number]) =>
    paw.compact.reduce((total, c) => total + c[key], 0)
  const counters = {
    received: sum('received'),
    rebuilt: sum('rebuilt'),
    fetched: sum('fetched'),
    transactionsFetched: sum('transactionsFetched'),
    fallbacks: sum('fallbacks'),
    forwardedEarly: sum('forwardedEarly'),
    bridged: sum('bridged'),
    collisions: sum('collisions'),
  }
  if (context.json) {
    const pick = (r: RelayResult, b: ReturnType<typeof bytesSummary>) => ({
      p50: round(r.p50, 1),
      p99: round(r.p99, 1),
      samples: r.samples.length,
      missing: r.missing,
      slowestPerRound: r.rounds.map((v) => round(v, 1)),
      bytesPerNodeMean: Math.round(b.mean),
      bytesPerNodeMedian: Math.round(b.median),
      bytesPerNodeP90: Math.round(b.p90),
      messageBytes: r.bytes,
    })
    return [
      JSON.stringify(
        {
          rawGossip1MiB: pick(raw, rawBytes),
          compact1MiB: {
            ...pick(paw.relay, pawBytes),
            accepted: { ...pick(paw.accepted, pawBytes), ratioP99: round(paw.accepted.p99 / raw.p99, 2) },
            announcerAddMs: paw.announcerAddMs.map((v) => round(v, 1)),
            announcerPublishMs: paw.announcerPublishMs.map((v) => round(v, 1)),
            judgeMsMedian: round(median(paw.judgeMs), 1),
            compactMessagesSentPerNodeMean: round(mean(paw.copiesPerNode), 2),
            compactDataBytesSentPerNodeMean: Math.round(mean(paw.compactBytesPerNode)),
            judgeMsMax: round(Math.max(...paw.judgeMs), 1),
            ratioP50: round(paw.relay.p50 / raw.p50, 2),
            ratioP99: round(paw.relay.p99 / raw.p99, 2),
            bytesShareOfBlock: round(pawBytes.share, 4),
            bytesRatioToRaw: round(pawBytes.mean / rawBytes.mean, 3),
            mempoolFillMs: fillMs.map((v) => Math.round(v)),
            counters,
          },
        },
        null,
        2,
      ),
    ]
  }
  const { environment } = context
  const lines = [
    `compact relay | node ${environment.node} | ${environment.cpu} (${environment.cores} cores) | load avg ` +
      `${environment.loadAverageAtStart} at start | ${context.count} processes, loopback TCP, sparse ` +
      `(${context.edges} edges, diameter ${context.diameter}) | ${context.seconds.toFixed(0)} s`,
    ...table([
      ['case', 'p50 ms', 'p99 ms', 'samples', 'p99 ratio', 'bytes/node/block (mean)', 'of the block'],
      [
        'raw gossipsub, 1 MiB, announcer -> every node',
        ms(raw.p50),
        ms(raw.p99),
        `${raw.samples.length}`,
        '1.00x',
        kib(rawBytes.mean),
        `${((100 * rawBytes.share) / 1).toFixed(1)}%`,
      ],
      [
        `PAW compact block, ${kib(paw.relay.bytes)} (${BLOCK_NOTE}): announcer's publish -> forwarded by every node`,
        ms(paw.relay.p50),
        ms(paw.relay.p99),
        `${paw.relay.samples.length}`,
        `${(paw.relay.p99 / raw.p99).toFixed(2)}x`,
        kib(pawBytes.mean),
        `${(100 * pawBytes.share).toFixed(1)}%`,
      ],
      [
        'PAW, the same blocks: announce call -> fully validated at every node',
        ms(paw.accepted.p50),
        ms(paw.accepted.p99),
        `${paw.accepted.samples.length}`,
        `${(paw.accepted.p99 / raw.p99).toFixed(2)}x`,
        '',
        '',
      ],
    ]),
    `announcer: announce call to compact publish ${paw.announcerPublishMs.map(ms).join(', ')} ms, to its own import's end ${paw.announcerAddMs.map(ms).join(', ')} ms; at each ` +
      `receiving node, message handed over -> forwarded (queue, rebuild, root and header checks): median ` +
      `${ms(median(paw.judgeMs))} ms, max ${ms(Math.max(...paw.judgeMs))} ms`,
    `compact relay: p50 ${(paw.relay.p50 / raw.p50).toFixed(2)}x raw gossipsub, p99 ${(paw.relay.p99 / raw.p99).toFixed(2)}x; ` +
      `bytes per node and block: mean ${kib(pawBytes.mean)} (median ${kib(pawBytes.median)}, p90 ${kib(pawBytes.p90)}) = ` +
      `${(100 * pawBytes.share).toFixed(1)}% of the block, ${(pawBytes.mean / rawBytes.mean).toFixed(3)}x raw gossipsub's ` +
      `${kib(rawBytes.mean)}; slowest node per round ${paw.relay.rounds.map(ms).join(', ')} ms (raw ${raw.rounds.map(ms).join(', ')})`,
    `compact counters over the receiving nodes: ${JSON.stringify(counters)}; mempools filled in ` +
      `${fillMs.map((v) => (v / 1000).toFixed(1)).join(', ')} s (median ${(median(fillMs) / 1000).toFixed(1)} s)` +
      (paw.relay.missing + raw.missing > 0 ? `; MISSING arrivals: ${paw.relay.missing + raw.missing}` : ''),
    `compact block messages each node's gossipsub sent per block: mean ${mean(paw.copiesPerNode).toFixed(2)} ` +
      `(max ${Math.max(...paw.copiesPerNode)}), ${kib(mean(paw.compactBytesPerNode))} of message data; ` +
      `the rest of the bytes above is /paw/blocks/1 (fetches)`,
  ]
  return lines
}

const BLOCK_NOTE = 'its transactions in every mempool'
