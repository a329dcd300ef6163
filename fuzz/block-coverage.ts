/**
 * V8's own block coverage, read in-process through node:inspector after every execution.
 *
 * With `callCount: true`, Profiler.takePreciseCoverage returns the counts since the last
 * take and resets them, so each take is exactly what one execution ran. V8 leaves out a
 * block whose count equals its enclosing range's (a taken `if` in a function called once
 * is folded into the function), so a block is known from the first take that reports it
 * (typically as not run, count 0) and is then judged in every take by the innermost
 * reported range that contains it.
 */
import { Session } from 'node:inspector'

interface CoverageRange {
  startOffset: number
  endOffset: number
  count: number
}

interface FunctionCoverage {
  ranges: CoverageRange[]
}

interface ScriptCoverage {
  url: string
  functions: FunctionCoverage[]
}

/** One execution's coverage: blocks run, and features (block × hit-count bucket) for guidance. */
export interface ExecCoverage {
  blocks: string[]
  features: string[]
}

/** AFL's hit-count buckets: a loop run 1, 2, 3, 4-7, 8-15, 16-31, 32-127 or 128+ times is new behaviour. */
function bucket(count: number): number {
  if (count <= 3) return count
  if (count <= 7) return 4
  if (count <= 15) return 5
  if (count <= 31) return 6
  return count <= 127 ? 7 : 8
}

/** The count the innermost reported range containing [start, end) gives it. */
function effectiveCount(ranges: readonly CoverageRange[], start: number, end: number): number {
  let count = 0
  let width = Number.POSITIVE_INFINITY
  for (const range of ranges) {
    if (range.startOffset <= start && end <= range.endOffset) {
      const rangeWidth = range.endOffset - range.startOffset
      if (rangeWidth < width) {
        width = rangeWidth
        count = range.count
      }
    }
  }
  return count
}

export class BlockCoverage {
  readonly #session = new Session()
  readonly #includes: (url: string) => boolean
  /** Per function ("url#offset"), the block ranges seen so far, keyed "start-end". */
  readonly #knownBlocks = new Map<string, Map<string, CoverageRange>>()

  /** Starts block coverage of the scripts whose URL `includes` accepts. */
  constructor(includes: (url: string) => boolean) {
    this.#includes = includes
    this.#session.connect()
    this.#post('Profiler.enable')
    this.#post('Profiler.startPreciseCoverage', { callCount: true, detailed: true })
  }

  /** Blocks the session has seen in the included scripts, run or not. */
  get knownBlocks(): number {
    let total = 0
    for (const blocks of this.#knownBlocks.values()) total += blocks.size + 1
    return total
  }

  /** Keys of every block seen, run or not, in the form take() reports them. */
  knownBlockKeys(): string[] {
    const keys: string[] = []
    for (const [fnKey, blocks] of this.#knownBlocks) {
      keys.push(fnKey)
      for (const block of blocks.keys()) keys.push(`${fnKey}:${block}`)
    }
    return keys
  }

  /** Drops the counts gathered so far (the fuzzer's own start-up, a seed's parsing). */
  reset(): void {
    this.#take()
  }

  /** What ran since the last take, in the included scripts. */
  take(): ExecCoverage {
    const blocks: string[] = []
    const features: string[] = []
    for (const script of this.#take()) {
      if (!this.#includes(script.url)) continue
      for (const fn of script.functions) {
        const [whole] = fn.ranges
        if (whole === undefined || whole.count === 0) continue
        const fnKey = `${script.url}#${whole.startOffset}`
        blocks.push(fnKey)
        features.push(`${fnKey}/${bucket(whole.count)}`)
        const known = this.#learn(fnKey, fn.ranges)
        for (const [block, range] of known) {
          const count = effectiveCount(fn.ranges, range.startOffset, range.endOffset)
          if (count === 0) continue
          blocks.push(`${fnKey}:${block}`)
          features.push(`${fnKey}:${block}/${bucket(count)}`)
        }
      }
    }
    return { blocks, features }
  }

  stop(): void {
    this.#post('Profiler.stopPreciseCoverage')
    this.#session.disconnect()
  }

  #learn(fnKey: string, ranges: readonly CoverageRange[]): Map<string, CoverageRange> {
    let known = this.#knownBlocks.get(fnKey)
    if (known === undefined) {
      known = new Map()
      this.#knownBlocks.set(fnKey, known)
    }
    for (let i = 1; i < ranges.length; i++) {
      const range = ranges[i] as CoverageRange
      const block = `${range.startOffset}-${range.endOffset}`
      if (!known.has(block)) known.set(block, range)
    }
    return known
  }

  #take(): ScriptCoverage[] {
    return (this.#post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] }).result
  }

  /** A same-thread session answers synchronously: the callback has run when post returns. */
  #post(method: string, params?: object): unknown {
    let answer: unknown
    let failure: Error | null = null
    this.#session.post(method, params, (error, result) => {
      failure = error
      answer = result
    })
    if (failure !== null) throw failure
    return answer
  }
}
