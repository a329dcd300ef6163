/**
 * Frame codec throughput: encodeFrame and FrameDecoder for 64 B .. 1 MiB payloads, as MB/s
 * of frame bytes and as a ratio to Buffer.copy of the same bytes measured in the same run
 * (bench/ rule: machines are shared and noisy, so ratios and medians).
 *
 * Goal (issue "bench/codec"): decode >= 0.5x Buffer.copy for payloads of 64 KiB and more,
 * which needs zero-copy views and no per-byte loops.
 *
 *   npm run bench:codec [-- --json] [-- --rounds 9 --round-ms 150 --warmup-ms 250 --batch-mib 4]
 *   node --expose-gc bench/codec/index.ts   # lets it collect garbage between cases
 *
 * Exits non-zero only if a correctness check fails; a missed goal is reported, not fatal.
 */
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { positiveInteger } from '../report.ts'
import {
  type Batch,
  buildBatch,
  copyPerFrameSide,
  copyStreamSide,
  decodePerFrameSide,
  decodeStreamContiguousSide,
  decodeStreamSide,
  encodeHeaderSide,
  encodeSide,
  STREAM_CHUNK_BYTES,
  verifyBatch,
} from './cases.ts'
import type { Side } from './measure.ts'
import { type Measurement, type MeasureOptions, measure } from './measure.ts'

const PAYLOAD_SIZES = [64, 1024, 64 * 1024, 1024 * 1024]
/**
 * Default payload MiB per batch: several MiB, so the 64 B case is tens of thousands of
 * frames. Source and target of the baseline then stay in a large L3 cache, while a
 * decoder's copies go to new memory; --batch-mib 64 shows the out-of-cache picture.
 */
const BATCH_MIB = 4
/** Goal: both decode cases reach this fraction of Buffer.copy from GOAL_MIN_PAYLOAD up. */
const GOAL_RATIO = 0.5
const GOAL_MIN_PAYLOAD = 64 * 1024

interface CaseSpec {
  name: string
  baseline: string
  codec: (batch: Batch) => Side
  copy: (batch: Batch) => Side
}

const CASES: CaseSpec[] = [
  { name: 'encode', baseline: 'per frame', codec: encodeSide, copy: copyPerFrameSide },
  { name: 'encode header only', baseline: 'per frame', codec: encodeHeaderSide, copy: copyPerFrameSide },
  { name: 'decode per frame', baseline: 'per frame', codec: decodePerFrameSide, copy: copyPerFrameSide },
  { name: 'decode 64K stream', baseline: '64 KiB chunks', codec: decodeStreamSide, copy: copyStreamSide },
  {
    name: 'decode 64K + contiguous',
    baseline: '64 KiB chunks',
    codec: decodeStreamContiguousSide,
    copy: copyStreamSide,
  },
]

interface CaseResult extends Measurement {
  payloadBytes: number
  case: string
  baseline: string
  framesPerBatch: number
  frameBytesPerBatch: number
}

interface GoalResult {
  payloadBytes: number
  met: boolean
  decodePerFrameRatio: number
  decodeStreamRatio: number
  /** Not part of the goal: the stream case when every payload is made one Uint8Array. */
  decodeStreamContiguousRatio: number
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024) return `${bytes / 1024} KiB`
  return `${bytes} B`
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}

function run(options: MeasureOptions, batchBytes: number): { results: CaseResult[]; goals: GoalResult[] } {
  const results: CaseResult[] = []
  const goals: GoalResult[] = []
  for (const payloadBytes of PAYLOAD_SIZES) {
    const batch = buildBatch(payloadBytes, batchBytes)
    verifyBatch(batch)
    const ratios = new Map<string, number>()
    for (const spec of CASES) {
      // Garbage left by one case should not be collected on the next one's clock.
      globalThis.gc?.()
      const measurement = measure(spec.codec(batch), spec.copy(batch), options)
      ratios.set(spec.name, measurement.ratio)
      results.push({
        payloadBytes,
        case: spec.name,
        baseline: spec.baseline,
        framesPerBatch: batch.frames.length,
        frameBytesPerBatch: batch.frameBytes,
        ...measurement,
      })
    }
    if (payloadBytes >= GOAL_MIN_PAYLOAD) {
      const decodePerFrameRatio = ratios.get('decode per frame') as number
      const decodeStreamRatio = ratios.get('decode 64K stream') as number
      const met = decodePerFrameRatio >= GOAL_RATIO && decodeStreamRatio >= GOAL_RATIO
      const decodeStreamContiguousRatio = ratios.get('decode 64K + contiguous') as number
      goals.push({ payloadBytes, met, decodePerFrameRatio, decodeStreamRatio, decodeStreamContiguousRatio })
    }
  }
  return { results, goals }
}

function printTable(header: string, results: CaseResult[], goals: GoalResult[]): void {
  const rows = [['payload', 'case', 'MB/s', 'Buffer.copy MB/s', 'ratio', 'copy chunks']]
  for (const r of results) {
    rows.push([
      formatSize(r.payloadBytes),
      r.case,
      r.mbps.toFixed(0),
      r.baselineMbps.toFixed(0),
      `${r.ratio.toFixed(2)}x`,
      r.baseline,
    ])
  }
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] as string).length))) ?? []
  // Text columns left-aligned, figures right-aligned.
  const line = (row: string[]) =>
    row
      .map((cell, col) =>
        col < 2 || col === 5 ? cell.padEnd(widths[col] as number) : cell.padStart(widths[col] as number),
      )
      .join('  ')
  console.log(header)
  for (const row of rows) console.log(line(row).trimEnd())
  for (const g of goals) {
    console.log(
      `goal decode >= ${GOAL_RATIO}x Buffer.copy at ${formatSize(g.payloadBytes)}: ${g.met ? 'met' : 'NOT met'}` +
        ` (per frame ${g.decodePerFrameRatio.toFixed(2)}x, 64K stream ${g.decodeStreamRatio.toFixed(2)}x;` +
        ` a consumer that copies straddling payloads into one buffer: ${g.decodeStreamContiguousRatio.toFixed(2)}x)`,
    )
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '9' },
      'round-ms': { type: 'string', default: '150' },
      'warmup-ms': { type: 'string', default: '250' },
      'batch-mib': { type: 'string', default: String(BATCH_MIB) },
    },
  })
  const options: MeasureOptions = {
    rounds: positiveInteger(values.rounds, '--rounds'),
    minRoundMs: positiveInteger(values['round-ms'], '--round-ms'),
    warmupMs: positiveInteger(values['warmup-ms'], '--warmup-ms'),
  }
  const batchBytes = positiveInteger(values['batch-mib'], '--batch-mib') * 1024 * 1024
  const environment = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
    gcBetweenCases: globalThis.gc !== undefined,
  }
  const { results, goals } = run(options, batchBytes)
  if (values.json) {
    const json = {
      ...environment,
      unit: 'MB/s = 10^6 frame bytes per second; medians over rounds; ratio = median of per-round codec/Buffer.copy',
      ...options,
      batchPayloadBytes: batchBytes,
      streamChunkBytes: STREAM_CHUNK_BYTES,
      results: results.map((r) => ({
        ...r,
        mbps: round(r.mbps, 1),
        baselineMbps: round(r.baselineMbps, 1),
        ratio: round(r.ratio, 3),
        roundMbps: r.roundMbps.map((v) => round(v, 1)),
        roundBaselineMbps: r.roundBaselineMbps.map((v) => round(v, 1)),
        roundRatios: r.roundRatios.map((v) => round(v, 3)),
      })),
      goals: goals.map((g) => ({
        ...g,
        goal: `decode >= ${GOAL_RATIO}x Buffer.copy`,
        decodePerFrameRatio: round(g.decodePerFrameRatio, 3),
        decodeStreamRatio: round(g.decodeStreamRatio, 3),
        decodeStreamContiguousRatio: round(g.decodeStreamContiguousRatio, 3),
      })),
    }
    console.log(JSON.stringify(json, null, 2))
    return
  }
  const header =
    `codec bench | node ${environment.node} | ${environment.cpu} | ${environment.date} | ` +
    `${batchBytes / (1024 * 1024)} MiB batches, ${options.rounds} rounds >= ${options.minRoundMs} ms, ` +
    'medians, MB = 10^6 frame bytes' +
    (environment.gcBetweenCases ? '' : ' | no --expose-gc')
  printTable(header, results, goals)
}

try {
  main()
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exitCode = 1
}
