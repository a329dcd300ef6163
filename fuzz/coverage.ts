/**
 * Coverage-guided fuzzing of the wire and chain decoders (issue 9 item 4), on demand:
 * the long-running counterpart of test/reliability/fuzz.test.ts. @jazzer.js/core does not
 * run on this machine (its prebuilt addon needs glibc 2.38), so this is the same idea on
 * V8's own block coverage (fuzz/block-coverage.ts), with no native code.
 *
 * Every decoder fuzz.test.ts runs is a target, seeded with the protocols/*.vectors.json
 * payloads and the regression corpus; crashes (anything but returning or throwing a typed
 * PawError/ChainError) go to a crash file and are appended to
 * test/reliability/corpus/decoders.json, which the fast-check test replays. The corpus
 * grown here stays out of the repository (--corpus-dir, fuzz/corpus by default).
 *
 *   node fuzz/coverage.ts [--minutes N] [--target name|all] [--corpus-dir fuzz/corpus]
 *                         [--no-guidance] [--no-seeds] [--seed N] [--json]
 *
 * --no-guidance mutates the seeds only (the baseline guidance must beat); --no-seeds starts
 * every target from the empty input instead of the vectors and the regression corpus.
 *
 * Exits 1 if it found a crash.
 */
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { median } from '../bench/stats.ts'
import { ALL_SEEDS, DECODER_TARGETS, type DecoderTarget } from './decoders.ts'
import { Fuzzer, type FuzzSummary } from './engine.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const REGRESSION_FILE = resolve(ROOT, 'test/reliability/corpus/decoders.json')
/** The decoders' code, and the errors they build: what coverage is measured on. */
const COVERED_SOURCES = ['src/wire/', 'src/chain/encoding.ts', 'src/errors.ts', 'src/chain/errors.ts'].map(
  (path) => pathToFileURL(resolve(ROOT, path)).href + (path.endsWith('/') ? '/' : ''),
)
/** Longest mutant: the largest seeds are 16 KiB; longer inputs only slow every execution. */
const MAX_INPUT_BYTES = 20 * 1024
/** Inputs per coverage read: the read costs ~1 ms, a decoder call ~0.05 ms. */
const BATCH_SIZE = 16

function parseOptions() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '1' },
      target: { type: 'string', default: 'all' },
      'corpus-dir': { type: 'string', default: resolve(ROOT, 'fuzz/corpus') },
      'crash-dir': { type: 'string', default: resolve(ROOT, 'fuzz/crashes') },
      'no-guidance': { type: 'boolean', default: false },
      'no-seeds': { type: 'boolean', default: false },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
  const minutes = Number(values.minutes)
  if (!(minutes > 0)) throw new TypeError('--minutes must be a positive number')
  const seed = values.seed === undefined ? Date.now() >>> 0 : Number(values.seed)
  if (!Number.isInteger(seed)) throw new TypeError('--seed must be an integer')
  const targets = selectTargets(values.target)
  return {
    ...values,
    minutes,
    seed,
    targets: values['no-seeds']
      ? targets.map((target) => ({ ...target, seeds: [new Uint8Array(0)] }))
      : targets,
  }
}

function selectTargets(name: string): DecoderTarget[] {
  if (name === 'all') return [...DECODER_TARGETS]
  const target = DECODER_TARGETS.find((candidate) => candidate.name === name)
  if (target === undefined) {
    const names = DECODER_TARGETS.map((candidate) => `'${candidate.name}'`).join(', ')
    throw new TypeError(`unknown --target ${name}; one of all, ${names}`)
  }
  return [target]
}

/** Every target's seeds and the regression corpus, each input once. */
function sharedSeeds(): Uint8Array[] {
  const corpus = JSON.parse(readFileSync(REGRESSION_FILE, 'utf8')) as { inputs: Array<{ hex: string }> }
  const hexes = new Set([
    ...ALL_SEEDS.map((bytes) => Buffer.from(bytes).toString('hex')),
    ...corpus.inputs.map((entry) => entry.hex),
  ])
  return [...hexes].map((hex) => new Uint8Array(Buffer.from(hex, 'hex')))
}

/** "file:///…/src/wire/x.ts#120:130-150" → "src/wire/x.ts:7" (type stripping keeps offsets). */
function sourceLine(key: string): string {
  const match = /^(.*)#(\d+)(?::(\d+)-\d+)?$/.exec(key)
  if (match === null) return key
  const path = fileURLToPath(match[1] as string)
  const offset = Number(match[3] ?? match[2])
  const line = readFileSync(path, 'utf8').slice(0, offset).split('\n').length
  return `${relative(ROOT, path)}:${line}`
}

function printSummary(summary: FuzzSummary, guided: boolean): void {
  const perSecond = summary.execs / summary.seconds
  const windows = summary.timeline
    .slice(2) // from the first window after the seeds were loaded
    .map((point, i) => {
      const before = summary.timeline[i + 1] as (typeof summary.timeline)[number]
      return (point.execs - before.execs) / (point.seconds - before.seconds)
    })
  console.log(
    `\n${guided ? 'coverage-guided' : 'unguided (--no-guidance)'} run of ${summary.seconds.toFixed(0)} s`,
  )
  console.log(
    `  execs ${summary.execs} (${perSecond.toFixed(0)}/s overall, median of ${windows.length} windows` +
      ` ${windows.length > 0 ? median(windows).toFixed(0) : '-'}/s; ${summary.reruns} more re-running` +
      ' batches that reached something new)',
  )
  console.log(
    `  blocks covered ${summary.blocks} of ${summary.knownBlocks} seen` +
      (guided ? `; features ${summary.features}` : ''),
  )
  console.log(`  corpus ${summary.corpus} inputs`)
  console.log(`  crashes ${summary.crashes.length} distinct (${summary.crashingExecs} crashing execs)`)
  console.log(`  slowest exec ${summary.slowestExecMs.toFixed(1)} ms (${summary.slowestTarget})`)
  console.log('  target                       execs   blocks  corpus  found (with new blocks)')
  for (const target of summary.targets) {
    console.log(
      `  ${target.name.padEnd(26)} ${String(target.execs).padStart(9)} ${String(target.blocks).padStart(7)}` +
        ` ${String(target.corpus).padStart(7)}  ${target.found} (${target.foundWithNewBlocks})`,
    )
  }
  if (summary.uncovered.length > 0) console.log('  blocks seen but never run:')
  for (const key of summary.uncovered.slice(0, 30)) console.log(`    ${sourceLine(key)}`)
  for (const crash of summary.crashes) {
    console.log(`  crash ${crash.target}: ${crash.error} → ${crash.file}`)
    console.log(`    ${crash.appendedToRegression ? 'appended to' : 'already in'} ${REGRESSION_FILE}`)
  }
}

const options = parseOptions()
const guided = !options['no-guidance']
console.log(
  `fuzz/coverage.ts: ${options.targets.length} target(s), ${options.minutes} min, ` +
    `${guided ? 'coverage-guided' : 'unguided'}, seed ${options.seed}`,
)
const fuzzer = new Fuzzer({
  targets: options.targets,
  sharedSeeds: options['no-seeds'] ? [] : sharedSeeds(),
  durationMs: options.minutes * 60_000,
  guided,
  corpusDir: resolve(options['corpus-dir']),
  crashDir: resolve(options['crash-dir']),
  regressionFile: REGRESSION_FILE,
  seed: options.seed,
  maxLength: MAX_INPUT_BYTES,
  batchSize: BATCH_SIZE,
  progressEveryMs: 5_000,
  includes: (url) => COVERED_SOURCES.some((prefix) => url.startsWith(prefix)),
  log: (line) => console.log(line),
})
const summary = await fuzzer.run()
printSummary(summary, guided)
if (options.json) console.log(JSON.stringify({ ...summary, guided, seed: options.seed }))
process.exitCode = summary.crashes.length > 0 ? 1 : 0
