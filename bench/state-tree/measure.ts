/**
 * Timing for the state tree benchmark, as bench/chain/measure.ts does it (machines are
 * shared and noisy: every round times each side once, starting from a different side each
 * round; ratios are taken within a round, then the median over rounds), plus the process's
 * CPU time (process.cpuUsage: every thread, the garbage collector's included) per item.
 *
 * A pass returns how many items it found valid; the round throws unless that is exactly
 * what was expected, so the work is consumed and a check that fails is a failed run. A pass
 * may also report the milliseconds of its critical part (the root update within update +
 * prune), kept apart.
 */
import { median } from '../stats.ts'

export interface PassResult {
  valid: number
  /** Milliseconds of the part that counts on its own, when the pass has one. */
  criticalMs?: number
  /** Milliseconds of a second part given apart (the store write after the root). */
  secondMs?: number
}

export interface Side {
  name: string
  itemsPerPass: number
  pass: () => PassResult | Promise<PassResult>
}

export interface MeasureOptions {
  rounds: number
  /** Least duration of one side in a round. */
  minRoundMs: number
  /** Warm-up per side before timing. */
  warmupMs: number
}

export interface SideResult {
  name: string
  passesPerRound: number
  itemsPerPass: number
  /** Per round: wall ms per item, CPU ms per item, critical ms per item, second part's. */
  roundMs: number[]
  roundCpuMs: number[]
  roundCriticalMs: number[]
  roundSecondMs: number[]
  /** Medians over rounds. */
  ms: number
  cpuMs: number
  criticalMs: number
  secondMs: number
}

/** The pause after a forced collection, for V8's concurrent sweeping to end. */
const SWEEP_MS = 200

function fail(message: string): never {
  throw new Error(`correctness check failed: ${message}`)
}

async function timePasses(
  side: Side,
  passes: number,
): Promise<{ ms: number; cpuMs: number; criticalMs: number; secondMs: number }> {
  let valid = 0
  let criticalMs = 0
  let secondMs = 0
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < passes; i++) {
    const result = await side.pass()
    valid += result.valid
    criticalMs += result.criticalMs ?? 0
    secondMs += result.secondMs ?? 0
  }
  const ms = performance.now() - t0
  const used = process.cpuUsage(cpu)
  if (valid !== passes * side.itemsPerPass) {
    fail(`${side.name}: ${passes} passes found ${valid} valid, expected ${passes * side.itemsPerPass}`)
  }
  return { ms, cpuMs: (used.user + used.system) / 1000, criticalMs, secondMs }
}

async function calibrate(side: Side, options: MeasureOptions): Promise<number> {
  const start = performance.now()
  let best = Number.POSITIVE_INFINITY
  do best = Math.min(best, (await timePasses(side, 1)).ms)
  while (performance.now() - start < options.warmupMs)
  return Math.max(1, Math.ceil(options.minRoundMs / best))
}

export async function measureRounds(sides: readonly Side[], options: MeasureOptions): Promise<SideResult[]> {
  const passes: number[] = []
  for (const side of sides) passes.push(await calibrate(side, options))
  const results = sides.map((side, i) => ({
    name: side.name,
    passesPerRound: passes[i] as number,
    itemsPerPass: side.itemsPerPass,
    roundMs: [] as number[],
    roundCpuMs: [] as number[],
    roundCriticalMs: [] as number[],
    roundSecondMs: [] as number[],
  }))
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length
      const side = sides[i] as Side
      // Garbage left by one side should not be collected on the next one's clock: neither
      // marked nor swept. V8 sweeps after a full collection on helper threads; with a tree
      // of a million accounts (half a gigabyte of heap) that takes about 100 ms and, on a
      // machine of 2 cores, would slow whichever side runs next. So let it finish.
      globalThis.gc?.()
      if (globalThis.gc !== undefined) await new Promise((resolve) => setTimeout(resolve, SWEEP_MS))
      const items = (passes[i] as number) * side.itemsPerPass
      const { ms, cpuMs, criticalMs, secondMs } = await timePasses(side, passes[i] as number)
      const result = results[i] as (typeof results)[number]
      result.roundMs.push(ms / items)
      result.roundCpuMs.push(cpuMs / items)
      result.roundCriticalMs.push(criticalMs / items)
      result.roundSecondMs.push(secondMs / items)
    }
  }
  return results.map((r) => ({
    ...r,
    ms: median(r.roundMs),
    cpuMs: median(r.roundCpuMs),
    criticalMs: median(r.roundCriticalMs),
    secondMs: median(r.roundSecondMs),
  }))
}
