/**
 * The coverage-guided loop: pick a target, mutate an input of its corpus, run the decoder,
 * read the blocks it ran; an input that reached a new feature (a block, or a block at a new
 * hit-count bucket) joins the corpus. Without guidance the same mutations are applied to
 * the seeds only, with coverage measured the same way, as the baseline it must beat.
 *
 * A coverage read costs about as much as 20 decoder calls, so inputs run in batches with
 * one read per batch; a batch that reached something new is run again input by input to
 * find the ones to keep (rare once the corpus has settled).
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BlockCoverage, type ExecCoverage } from './block-coverage.ts'
import type { DecoderTarget, FuzzInput } from './decoders.ts'
import { mutate, mutateCuts, Random } from './mutate.ts'

export interface FuzzOptions {
  targets: readonly DecoderTarget[]
  /** Inputs every target starts from (the vectors' payloads and the regression corpus). */
  sharedSeeds: readonly Uint8Array[]
  durationMs: number
  guided: boolean
  /** Where the grown corpus is kept between runs (one folder per target), or undefined. */
  corpusDir: string | undefined
  crashDir: string
  /** The regression corpus crashes are appended to, or undefined to leave it alone. */
  regressionFile: string | undefined
  seed: number
  maxLength: number
  /** Inputs run per coverage read. */
  batchSize: number
  progressEveryMs: number
  /** Which script URLs count for coverage. */
  includes: (url: string) => boolean
  log: (line: string) => void
}

export interface Crash {
  target: string
  hex: string
  cuts: number[] | undefined
  error: string
  stack: string
  file: string
  appendedToRegression: boolean
}

export interface ProgressPoint {
  seconds: number
  execs: number
  blocks: number
  features: number
  corpus: number
}

export interface TargetSummary {
  name: string
  execs: number
  blocks: number
  corpus: number
  /** Corpus entries found by mutation (not seeds), and how many of them added a block, not just a bucket. */
  found: number
  foundWithNewBlocks: number
}

export interface FuzzSummary {
  seconds: number
  execs: number
  reruns: number
  blocks: number
  knownBlocks: number
  /** Blocks seen (reported as not run) that no input ran: what the fuzzer has not reached. */
  uncovered: string[]
  features: number
  corpus: number
  crashes: Crash[]
  /** Executions that crashed, the repeats of a known crash included. */
  crashingExecs: number
  slowestExecMs: number
  slowestTarget: string
  timeline: ProgressPoint[]
  targets: TargetSummary[]
}

interface CorpusEntry extends FuzzInput {
  seed: boolean
  newBlocks: number
}

interface TargetState {
  target: DecoderTarget
  corpus: CorpusEntry[]
  /** Mutation bases without guidance: every seed. */
  bases: Uint8Array[]
  features: Set<string>
  /** Features of whole batches (hit counts summed over the batch). */
  batchFeatures: Set<string>
  blocks: Set<string>
  execs: number
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

function idOf(input: FuzzInput): string {
  return createHash('sha1')
    .update(input.bytes)
    .update(JSON.stringify(input.cuts ?? null))
    .digest('hex')
    .slice(0, 16)
}

function loadCorpusDir(dir: string): FuzzInput[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map(
      (name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as { hex: string; cuts: number[] | null },
    )
    .map(({ hex, cuts }) => ({ bytes: new Uint8Array(Buffer.from(hex, 'hex')), cuts: cuts ?? undefined }))
}

/** The stack frames in the project's sources: what tells one crash from another. */
function crashSignature(target: string, error: Error): string {
  const frame = (error.stack ?? '').split('\n').find((line) => /\/src\//.test(line)) ?? ''
  return `${target}|${error.constructor.name}|${frame.trim()}`
}

interface RegressionCorpus {
  inputs: Array<{ name: string; hex: string }>
}

/** Appends `hex` to the regression corpus unless it is there already; keeps the file's layout. */
function appendRegression(file: string, name: string, hex: string): boolean {
  const corpus = JSON.parse(readFileSync(file, 'utf8')) as RegressionCorpus
  if (corpus.inputs.some((entry) => entry.hex === hex)) return false
  corpus.inputs.push({ name, hex })
  writeFileSync(file, `${JSON.stringify(corpus, null, 2)}\n`)
  return true
}

export class Fuzzer {
  readonly #options: FuzzOptions
  readonly #random: Random
  readonly #coverage: BlockCoverage
  readonly #states: TargetState[]
  readonly #blocks = new Set<string>()
  readonly #crashes: Crash[] = []
  readonly #crashSignatures = new Set<string>()
  #crashingExecs = 0
  #execs = 0
  /** Executions repeated to find which input of a batch reached something new. */
  #reruns = 0
  #slowest = { ms: 0, target: '' }

  constructor(options: FuzzOptions) {
    this.#options = options
    this.#random = new Random(options.seed)
    this.#coverage = new BlockCoverage(options.includes)
    this.#states = options.targets.map((target) => ({
      target,
      corpus: [],
      bases: [...target.seeds, ...options.sharedSeeds],
      features: new Set(),
      batchFeatures: new Set(),
      blocks: new Set(),
      execs: 0,
    }))
  }

  async run(): Promise<FuzzSummary> {
    const options = this.#options
    const started = performance.now()
    await this.#loadSeeds()
    const timeline: ProgressPoint[] = [this.#point((performance.now() - started) / 1000)]
    this.#report(timeline[0] as ProgressPoint, 0)
    const deadline = started + options.durationMs
    let nextReport = performance.now() + options.progressEveryMs
    let lastExecs = this.#execs
    let lastReport = performance.now()
    let turn = 0
    for (;;) {
      const state = this.#states[turn++ % this.#states.length] as TargetState
      await this.#batch(
        state,
        Array.from({ length: options.batchSize }, () => this.#next(state)),
      )
      if ((turn & 7) !== 0) continue
      const now = performance.now()
      if (now >= nextReport || now >= deadline) {
        const point = this.#point((now - started) / 1000)
        timeline.push(point)
        this.#report(point, ((this.#execs - lastExecs) * 1000) / (now - lastReport))
        lastExecs = this.#execs
        lastReport = now
        nextReport = now + options.progressEveryMs
      }
      if (now >= deadline) break
    }
    this.#coverage.stop()
    const seconds = (performance.now() - started) / 1000
    return {
      seconds,
      execs: this.#execs,
      reruns: this.#reruns,
      blocks: this.#blocks.size,
      knownBlocks: this.#coverage.knownBlocks,
      uncovered: this.#coverage.knownBlockKeys().filter((key) => !this.#blocks.has(key)),
      features: this.#states.reduce((n, state) => n + state.features.size, 0),
      corpus: this.#corpusSize(),
      crashes: this.#crashes,
      crashingExecs: this.#crashingExecs,
      slowestExecMs: this.#slowest.ms,
      slowestTarget: this.#slowest.target,
      timeline,
      targets: this.#states.map((state) => {
        const found = state.corpus.filter((entry) => !entry.seed)
        return {
          name: state.target.name,
          execs: state.execs,
          blocks: state.blocks.size,
          corpus: state.corpus.length,
          found: found.length,
          foundWithNewBlocks: found.filter((entry) => entry.newBlocks > 0).length,
        }
      }),
    }
  }

  /** Every seed (and, guided, every input kept by earlier runs) through its target once. */
  async #loadSeeds(): Promise<void> {
    this.#coverage.reset()
    for (const state of this.#states) {
      const stored =
        this.#corpusDir(state) === undefined ? [] : loadCorpusDir(this.#corpusDir(state) as string)
      const seeds: FuzzInput[] = [
        ...state.bases.map((bytes) => ({ bytes, cuts: undefined })),
        ...(this.#options.guided ? stored : []),
      ]
      for (const input of seeds) await this.#exec(state, input, true, true)
      if (state.corpus.length === 0)
        state.corpus.push({ bytes: new Uint8Array(0), cuts: undefined, seed: true, newBlocks: 0 })
    }
  }

  /** The next input for `state`'s target: a mutant of a corpus entry (guided) or of a seed, or random bytes. */
  #next(state: TargetState): FuzzInput {
    const random = this.#random
    const { maxLength } = this.#options
    if (random.chance(32)) {
      const bytes = new Uint8Array(random.below(400))
      for (let i = 0; i < bytes.length; i++) bytes[i] = random.below(256)
      return { bytes, cuts: undefined }
    }
    // Guided, the corpus is the parent 7 times in 8; the seeds stay in play, so guidance
    // only adds to what mutating them gives.
    const parent: FuzzInput =
      this.#options.guided && !random.chance(8)
        ? random.pick(state.corpus)
        : { bytes: random.pick(state.bases), cuts: undefined }
    const bytes = mutate(parent.bytes, random, () => this.#donor(state), maxLength)
    const cuts = random.chance(4) ? mutateCuts(parent.cuts, bytes.length, random) : parent.cuts
    return { bytes, cuts }
  }

  /** Material for splices: any target's corpus when guided (their finds are plausible wrong payloads), else any seed. */
  #donor(state: TargetState): Uint8Array {
    const random = this.#random
    if (!this.#options.guided) return random.pick(state.bases)
    const other = random.pick(this.#states)
    return random.chance(2) ? random.pick(other.corpus).bytes : random.pick(other.bases)
  }

  /**
   * Runs `inputs` with one coverage read for them all (a read costs ~20 decoder calls). Only
   * if together they reached something new are they run again one at a time, to keep the
   * ones that did. Summed hit counts can hide a new bucket of one input; never a new block.
   */
  async #batch(state: TargetState, inputs: readonly FuzzInput[]): Promise<void> {
    for (const input of inputs) await this.#exec(state, input, true, false)
    const union = this.#coverage.take()
    // Summed counts land in buckets no single input reaches: a batch's own features are
    // compared with earlier batches', or every batch would look new.
    let novel = union.blocks.some((block) => !state.blocks.has(block))
    for (const feature of union.features) {
      if (state.batchFeatures.has(feature)) continue
      state.batchFeatures.add(feature)
      novel = true
    }
    if (!novel) return
    // Without guidance nothing is kept: the batch's blocks are all that is needed.
    if (!this.#options.guided) return void this.#addBlocks(state, union.blocks)
    this.#reruns += inputs.length
    for (const input of inputs) await this.#exec(state, input, false, false)
  }

  /** Runs one input; `fresh` counts it and records its crash (a re-run of a batch does neither). */
  async #exec(state: TargetState, input: FuzzInput, fresh: boolean, isSeed: boolean): Promise<void> {
    const began = performance.now()
    const outcome = state.target.run(input)
    const crash = outcome instanceof Promise ? await outcome : outcome
    const ms = performance.now() - began
    if (ms > this.#slowest.ms) this.#slowest = { ms, target: state.target.name }
    if (fresh) {
      this.#execs++
      state.execs++
      if (crash !== undefined) this.#recordCrash(state.target.name, input, crash)
      if (!isSeed) return
    }
    this.#absorb(state, this.#coverage.take(), { ...input, seed: isSeed })
  }

  /** Adds what ran to the target's coverage; keeps `input` (if any) if that was new. */
  /** Adds what one input ran to the target's coverage; keeps the input if that was new. */
  #absorb(
    state: TargetState,
    { blocks, features }: ExecCoverage,
    input: FuzzInput & { seed: boolean },
  ): void {
    let newFeatures = 0
    for (const feature of features) {
      if (state.features.has(feature)) continue
      state.features.add(feature)
      newFeatures++
    }
    const newBlocks = this.#addBlocks(state, blocks)
    if (newFeatures > 0 && (this.#options.guided || input.seed))
      this.#keep(state, input, input.seed, newBlocks)
  }

  /** Counts `blocks` as covered; says how many were not yet. */
  #addBlocks(state: TargetState, blocks: readonly string[]): number {
    let added = 0
    for (const block of blocks) {
      if (state.blocks.has(block)) continue
      state.blocks.add(block)
      this.#blocks.add(block)
      added++
    }
    return added
  }

  #keep(state: TargetState, input: FuzzInput, isSeed: boolean, newBlocks: number): void {
    state.corpus.push({ ...input, seed: isSeed, newBlocks })
    const dir = this.#corpusDir(state)
    if (dir === undefined || isSeed) return
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, `${idOf(input)}.json`),
      JSON.stringify({ hex: hexOf(input.bytes), cuts: input.cuts ?? null }),
    )
  }

  #corpusDir(state: TargetState): string | undefined {
    const { corpusDir, guided } = this.#options
    return corpusDir === undefined || !guided ? undefined : join(corpusDir, fileSafe(state.target.name))
  }

  #recordCrash(target: string, input: FuzzInput, error: Error): void {
    this.#crashingExecs++
    const signature = crashSignature(target, error)
    if (this.#crashSignatures.has(signature)) return
    this.#crashSignatures.add(signature)
    const { crashDir, regressionFile, log } = this.#options
    const hex = hexOf(input.bytes)
    const summary = `${error.constructor.name}: ${error.message}`
    const file = join(crashDir, `crash-${fileSafe(target)}-${idOf(input)}.json`)
    mkdirSync(crashDir, { recursive: true })
    const stack = error.stack ?? summary
    writeFileSync(
      file,
      `${JSON.stringify({ target, hex, cuts: input.cuts ?? null, error: summary, stack }, null, 2)}\n`,
    )
    const chunks = input.cuts === undefined ? '' : ` (fed in chunks cut at ${input.cuts.join(', ')})`
    const name = `fuzz/coverage.ts: ${target} threw ${summary.slice(0, 120)}${chunks}`
    const appended = regressionFile !== undefined && appendRegression(regressionFile, name, hex)
    this.#crashes.push({
      target,
      hex,
      cuts: input.cuts,
      error: summary,
      stack,
      file,
      appendedToRegression: appended,
    })
    log(
      `CRASH ${target}: ${summary}\n  input ${hex.length > 200 ? `${hex.slice(0, 200)}…` : hex}\n  written to ${file}`,
    )
  }

  #corpusSize(): number {
    return this.#states.reduce((n, state) => n + state.corpus.length, 0)
  }

  #point(seconds: number): ProgressPoint {
    return {
      seconds,
      execs: this.#execs,
      blocks: this.#blocks.size,
      features: this.#states.reduce((n, state) => n + state.features.size, 0),
      corpus: this.#corpusSize(),
    }
  }

  #report(point: ProgressPoint, execsPerSecond: number): void {
    this.#options.log(
      `[${point.seconds.toFixed(0).padStart(5)}s] execs ${point.execs} (${execsPerSecond.toFixed(0)}/s)` +
        ` blocks ${point.blocks} features ${point.features} corpus ${point.corpus} crashes ${this.#crashes.length}`,
    )
  }
}
