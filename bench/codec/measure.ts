/**
 * Timing for the codec benchmark. Machines are shared and noisy (bench/ rule: ratios
 * against a baseline measured in the same run, medians), so each case is measured in
 * rounds that time the codec and its Buffer.copy baseline back to back, in alternating
 * order, so drift and neighbours' load fall on both alike.
 */
import { median } from '../stats.ts'

/**
 * One pass over a batch. Returns the frame bytes it processed, which the caller sums and
 * checks, so the work is consumed and cannot be optimised away. Throws if a check fails.
 */
export type Pass = () => number

export interface MeasureOptions {
  /** Timed rounds; the median over them is reported. */
  rounds: number
  /** Least duration of one side (codec or baseline) of a round. */
  minRoundMs: number
  /** Warm-up per side before timing, so both are optimised by the JIT when timed. */
  warmupMs: number
}

export interface Side {
  pass: Pass
  /** What one pass must return; a round that sums to anything else is a failed check. */
  bytesPerPass: number
}

export interface Measurement {
  /** Median over rounds of the codec's MB/s (10^6 bytes per second). */
  mbps: number
  /** Median over rounds of the baseline's MB/s. */
  baselineMbps: number
  /** Median of the per-round ratios codec / baseline (not the ratio of the medians). */
  ratio: number
  passesPerRound: { codec: number; baseline: number }
  roundMbps: number[]
  roundBaselineMbps: number[]
  roundRatios: number[]
}

/**
 * Warms a side up and returns how many passes make a round of at least `minRoundMs`.
 * Counts are fixed before timing so that no clock is read inside the timed loop: a
 * zero-copy decode pass over four 1 MiB frames takes about as long as reading the clock.
 */
function calibrate(side: Side, options: MeasureOptions): number {
  const start = performance.now()
  let passes = 1
  // Fastest observed ms per pass: rounds then last at least minRoundMs unless disturbed.
  let best = Number.POSITIVE_INFINITY
  for (;;) {
    const ms = timePasses(side, passes)
    best = Math.min(best, ms / passes)
    if (ms >= 10 && performance.now() - start >= options.warmupMs) break
    if (ms < 10) passes *= 2
  }
  return Math.max(1, Math.ceil(options.minRoundMs / best))
}

/** Runs `passes` passes; returns the elapsed ms. */
function timePasses(side: Side, passes: number): number {
  let bytes = 0
  const t0 = performance.now()
  for (let i = 0; i < passes; i++) bytes += side.pass()
  const ms = performance.now() - t0
  if (bytes !== passes * side.bytesPerPass) {
    throw new Error(
      `correctness check failed: ${passes} passes processed ${bytes} bytes, expected ${passes * side.bytesPerPass}`,
    )
  }
  return ms
}

export function measure(codec: Side, baseline: Side, options: MeasureOptions): Measurement {
  const codecPasses = calibrate(codec, options)
  const baselinePasses = calibrate(baseline, options)
  const roundMbps: number[] = []
  const roundBaselineMbps: number[] = []
  const roundRatios: number[] = []
  for (let round = 0; round < options.rounds; round++) {
    let codecMs: number
    let baselineMs: number
    if (round % 2 === 0) {
      codecMs = timePasses(codec, codecPasses)
      baselineMs = timePasses(baseline, baselinePasses)
    } else {
      baselineMs = timePasses(baseline, baselinePasses)
      codecMs = timePasses(codec, codecPasses)
    }
    const mbps = (codecPasses * codec.bytesPerPass) / (codecMs * 1000)
    const baselineMbps = (baselinePasses * baseline.bytesPerPass) / (baselineMs * 1000)
    roundMbps.push(mbps)
    roundBaselineMbps.push(baselineMbps)
    roundRatios.push(mbps / baselineMbps)
  }
  return {
    mbps: median(roundMbps),
    baselineMbps: median(roundBaselineMbps),
    ratio: median(roundRatios),
    passesPerRound: { codec: codecPasses, baseline: baselinePasses },
    roundMbps,
    roundBaselineMbps,
    roundRatios,
  }
}
