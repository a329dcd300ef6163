/**
 * Transaction inclusion proofs (docs/chain.md "Inclusion proofs"; issue 18, "What the
 * project must show"): for a block of n transactions,
 *
 * - proof size, bytes: median and max over every index (exact, from the encoding's rule,
 *   and checked against the proofs made for the sampled indices);
 * - verification time, µs: decode + verifyInclusion of proofs for sampled indices spread
 *   over the block (the last included), median over rounds;
 * - proving time, ms: proveInclusion, which hashes the whole tree, what a full node spends
 *   per transaction_status answer if it keeps no tree; median over the sampled indices.
 *
 * Throws if a proof does not verify to its index and count. The lead wires it into
 * bench/state-tree/index.ts; alone:
 *
 *   node bench/state-tree/inclusion.ts [--counts 1000,10000,68983] [--rounds 9] [--round-ms 200]
 */
import { parseArgs } from 'node:util'
import { sha256 } from '@noble/hashes/sha2.js'
import { merkleRoot } from '../../src/chain/hashing.ts'
import { inclusionProofSiblings, proveInclusion, verifyInclusion } from '../../src/chain/inclusion-proof.ts'
import { machine, positiveInteger, round, table } from '../report.ts'
import { median } from '../stats.ts'

export interface InclusionMeasurement {
  transactions: number
  proofBytes: { median: number; max: number }
  /** decode + verifyInclusion, µs per proof, median over rounds. */
  verifyMicros: number
  /** proveInclusion, ms per proof, median over the sampled indices. */
  proveMillis: number
}

export interface InclusionOptions {
  /** @default 9 */
  rounds?: number
  /** Least duration of one round. @default 200 */
  roundMs?: number
  /** Indices sampled per block, spread evenly, the last always among them. @default 32 */
  samples?: number
}

const yieldToLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/** Transaction ids as a block holds them: SHA-256 of distinct bytes. */
function transactionIds(count: number): Uint8Array[] {
  const seed = new Uint8Array(8)
  const view = new DataView(seed.buffer)
  return Array.from({ length: count }, (_, i) => {
    view.setUint32(0, i)
    view.setUint32(4, count)
    return sha256(seed)
  })
}

function fail(message: string): never {
  throw new Error(`correctness check failed: ${message}`)
}

async function measureOne(count: number, options: Required<InclusionOptions>): Promise<InclusionMeasurement> {
  const ids = transactionIds(count)
  const root = merkleRoot(ids)
  const sizes = Array.from({ length: count }, (_, index) => 8 + 32 * inclusionProofSiblings(count, index))

  const samples = Math.min(options.samples, count)
  const indices = [
    ...new Set(Array.from({ length: samples }, (_, i) => Math.round((i * (count - 1)) / (samples - 1 || 1)))),
  ]
  const proveMs: number[] = []
  const proofs = indices.map((index) => {
    const start = performance.now()
    const proof = proveInclusion(ids, index)
    proveMs.push(performance.now() - start)
    if (proof.length !== sizes[index])
      fail(`index ${index} of ${count}: ${proof.length} bytes, not ${sizes[index]}`)
    return { index, proof, id: ids[index] as Uint8Array }
  })

  const verifyAll = () => {
    for (const { index, proof, id } of proofs) {
      const result = verifyInclusion(root, id, proof)
      if (result.index !== index || result.count !== count)
        fail(`index ${index} of ${count} verified as ${result.index}`)
    }
  }
  verifyAll()
  const perRound: number[] = []
  for (let r = 0; r < options.rounds; r++) {
    await yieldToLoop()
    let verified = 0
    const start = performance.now()
    while (performance.now() - start < options.roundMs) {
      verifyAll()
      verified += proofs.length
    }
    perRound.push(((performance.now() - start) * 1000) / verified)
  }
  return {
    transactions: count,
    proofBytes: { median: median(sizes), max: sizes.reduce((a, b) => Math.max(a, b), 0) },
    verifyMicros: median(perRound),
    proveMillis: median(proveMs),
  }
}

/** Proof size and verification time for blocks of each of `counts` transactions. */
export async function measureInclusion(
  counts: number[],
  options: InclusionOptions = {},
): Promise<InclusionMeasurement[]> {
  const resolved = {
    rounds: options.rounds ?? 9,
    roundMs: options.roundMs ?? 200,
    samples: options.samples ?? 32,
  }
  const results: InclusionMeasurement[] = []
  for (const count of counts) results.push(await measureOne(count, resolved))
  return results
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      counts: { type: 'string', default: '1000,10000,68983' },
      rounds: { type: 'string', default: '9' },
      'round-ms': { type: 'string', default: '200' },
    },
  })
  const counts = values.counts.split(',').map((text) => positiveInteger(text, '--counts'))
  const rounds = positiveInteger(values.rounds, '--rounds')
  const roundMs = positiveInteger(values['round-ms'], '--round-ms')
  const m = machine()
  console.log(`inclusion proofs: ${m.cpu}, ${m.cores} cores, load ${m.loadAverageAtStart}, node ${m.node}`)
  const results = await measureInclusion(counts, { rounds, roundMs })
  const rows = [['transactions', 'proof bytes median', 'max', 'verify µs median', 'prove ms median']]
  for (const r of results) {
    rows.push([
      r.transactions.toLocaleString('en-US'),
      String(r.proofBytes.median),
      String(r.proofBytes.max),
      String(round(r.verifyMicros, 1)),
      String(round(r.proveMillis, 2)),
    ])
  }
  for (const line of table(rows)) console.log(line)
}
