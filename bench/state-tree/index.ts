/**
 * The state tree's costs (issue 18, "What the project must show"):
 *
 * - account proof size, bytes, median and max over sampled accounts present and absent,
 *   and verification time (decode + verifyAccountProof), at each tree size (default
 *   10,000 and 1,000,000 accounts), against one transaction signature check (signing.ts)
 *   measured in the same rounds;
 * - the cost of the state root in block validation: the root of the accounts a real signed
 *   block touches (1,000 transfers from 1,000 senders to 1,000 recipients: T = 2,001 with
 *   the miner), their keys and values and `prepare`, as a ratio to validateBlock
 *   (src/chain/validation.ts) of that block, in the same rounds: (validate + root) /
 *   validate, median of per-round ratios. Cold (the signature cache emptied: a block never
 *   seen) and warm (its transactions seen by gossip first). The goal is ≤ 1.2×. The
 *   commit (the store write) and the prune that drops the version before (keep 1) are
 *   timed in the same pass and given apart, each with its ratio: both run only for a block
 *   whose root matched, after it is accepted.
 *
 *   npm run bench:state [-- --json] [-- --accounts 10000,1000000 --rounds 9 --round-ms 300]
 *
 * Exits non-zero if a check fails: a block refused, a proof not verifying to its account,
 * an update not reaching the root it reached before.
 */
import { parseArgs } from 'node:util'
import { sha256 } from '@noble/hashes/sha2.js'
import { encodedBlockLength } from '../../src/chain/encoding.ts'
import { clearSignatureCache, verifyTransactionSignature } from '../../src/chain/signing.ts'
import {
  accountKey,
  accountValue,
  decodeStateProof,
  verifyAccountProof,
} from '../../src/chain/state-tree/index.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { validateBlock } from '../../src/chain/validation.ts'
import { machine, positiveInteger, round, table } from '../report.ts'
import { median } from '../stats.ts'
import { type BenchBlock, buildBenchBlock } from './block.ts'
import { measureInclusion } from './inclusion.ts'
import { type MeasureOptions, measureRounds, type Side, type SideResult } from './measure.ts'
import { type BenchTree, buildBenchTree } from './trees.ts'

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const count = (n: number) => Math.round(n).toLocaleString('en-US')
const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), 0)

function validateSide(bench: BenchBlock, cold: boolean): Side {
  return {
    name: cold ? 'validateBlock, cold' : 'validateBlock, signatures cached',
    itemsPerPass: 1,
    pass: async () => {
      if (cold) clearSignatureCache()
      await validateBlock(bench.block, bench.parent, bench.parentState, bench.context, bench.stateRootAfter)
      return { valid: 1 }
    },
  }
}

/**
 * One block's root: the touched accounts' keys and values, then `prepare` (timed as the
 * critical part); then `commit` (the second part) and the prune that drops the previous
 * version. Passes alternate between the block's changes and their reverse, so every pass
 * does the same amount of work on the same tree.
 */
function rootSide(tree: BenchTree, bench: BenchBlock, written: number[]): Side {
  let forward = true
  const expected = new Map<boolean, string>([[false, hexOf(tree.root)]])
  return {
    name: `state root update, ${count(tree.accounts)} accounts`,
    itemsPerPass: 1,
    pass: () => {
      const start = performance.now()
      const changes = new Map<Uint8Array, Uint8Array | undefined>()
      for (const { address, before, after } of bench.touched) {
        changes.set(accountKey(address), accountValue(forward ? after : before))
      }
      const pending = tree.tree.prepare(changes)
      const criticalMs = performance.now() - start
      const nodesBefore = tree.store.size
      const root = hexOf(pending.commit())
      const secondMs = performance.now() - start - criticalMs
      written.push(tree.store.size - nodesBefore)
      tree.tree.prune()
      const want = expected.get(forward)
      if (want === undefined) expected.set(forward, root)
      const valid = want === undefined || want === root ? 1 : 0
      forward = !forward
      return { valid, criticalMs, secondMs }
    },
  }
}

function verifySide(tree: BenchTree, member: boolean): Side {
  const proofs = member ? tree.members : tree.absentees
  return {
    name: `verify ${member ? 'member' : 'absent'} proof, ${count(tree.accounts)} accounts`,
    itemsPerPass: proofs.length,
    pass: () => {
      let valid = 0
      for (const { address, bytes } of proofs) {
        const account = verifyAccountProof(tree.root, address, decodeStateProof(bytes))
        if ((account !== undefined) === member) valid++
      }
      return { valid }
    },
  }
}

/** SHA-256 of a 65-byte node input (@noble/hashes' one-shot call): the unit of a tree's work. */
function hashSide(): Side {
  const input = new Uint8Array(65).fill(0x5a)
  const n = 10_000
  return {
    name: 'SHA-256 of 65 bytes, baseline',
    itemsPerPass: n,
    pass: () => {
      let valid = 0
      for (let i = 0; i < n; i++) {
        input[1] = i
        if (sha256(input).length === 32) valid++
      }
      return { valid }
    },
  }
}

function signatureSide(transfers: readonly Transaction[], chainId: string): Side {
  return {
    name: 'signature check (signing.ts), baseline',
    itemsPerPass: transfers.length,
    pass: () => {
      clearSignatureCache()
      let valid = 0
      for (const tx of transfers) if (verifyTransactionSignature(tx, chainId)) valid++
      return { valid }
    },
  }
}

/**
 * Per round: (validate + root) / validate, from the two sides' times in that round; the
 * root's part: `root` (keys + prepare), `commit` (that and the store write) or `all` (that
 * and the prune).
 */
function ratios(validate: SideResult, root: SideResult, part: 'root' | 'commit' | 'all'): number {
  const perRound = validate.roundMs.map((v, r) => {
    const critical = root.roundCriticalMs[r] as number
    const extra =
      part === 'root'
        ? critical
        : part === 'commit'
          ? critical + (root.roundSecondMs[r] as number)
          : (root.roundMs[r] as number)
    return (v + extra) / v
  })
  return median(perRound)
}

function sizes(list: Array<{ bytes: Uint8Array }>) {
  const bytes = list.map((p) => p.bytes.length)
  return { median: median(bytes), max: max(bytes) }
}

async function main(): Promise<void> {
  const started = performance.now()
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      accounts: { type: 'string', default: '10000,1000000' },
      transfers: { type: 'string', default: '1000' },
      samples: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '9' },
      'round-ms': { type: 'string', default: '300' },
      'warmup-ms': { type: 'string', default: '500' },
      'inclusion-blocks': { type: 'string', default: '1000,10000,68983' },
    },
  })
  const options: MeasureOptions = {
    rounds: positiveInteger(values.rounds, '--rounds'),
    minRoundMs: positiveInteger(values['round-ms'], '--round-ms'),
    warmupMs: positiveInteger(values['warmup-ms'], '--warmup-ms'),
  }
  const sizesWanted = values.accounts.split(',').map((text) => positiveInteger(text, '--accounts'))
  const samples = positiveInteger(values.samples, '--samples')
  const env = machine()
  const setupStart = performance.now()
  const bench = await buildBenchBlock(positiveInteger(values.transfers, '--transfers'))
  const trees = sizesWanted.map((n) => buildBenchTree(n, bench.parentState, samples))
  globalThis.gc?.()
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20
  const setupS = (performance.now() - setupStart) / 1000
  const transfers = bench.block.transactions.slice(1)
  const written = trees.map((): number[] => [])
  const sides = [
    validateSide(bench, true),
    validateSide(bench, false),
    ...trees.map((tree, i) => rootSide(tree, bench, written[i] as number[])),
    ...trees.flatMap((tree) => [verifySide(tree, true), verifySide(tree, false)]),
    hashSide(),
    signatureSide(transfers, bench.context.params.chainId),
  ]
  const results = await measureRounds(sides, options)
  // Inclusion proofs depend on a block's transaction count, not on the accounts: blocks of
  // 1,000 and 10,000 transfers, and the most a 10 MiB block holds (68,983).
  const inclusion = await measureInclusion(
    values['inclusion-blocks'].split(',').map((text) => positiveInteger(text, '--inclusion-blocks')),
    { rounds: options.rounds },
  )
  const [cold, warm] = results as [SideResult, SideResult]
  const roots = results.slice(2, 2 + trees.length)
  const verifies = results.slice(2 + trees.length, 2 + 3 * trees.length)
  const signature = results.at(-1) as SideResult
  const hash = results.at(-2) as SideResult
  const perTree = trees.map((tree, i) => {
    const root = roots[i] as SideResult
    const member = verifies[2 * i] as SideResult
    const absent = verifies[2 * i + 1] as SideResult
    const emptyShare = tree.absentees.filter((p) => p.kind === 'empty').length / tree.absentees.length
    return {
      accounts: tree.accounts,
      nodes: tree.store.size,
      buildSeconds: round(tree.buildMs / 1000, 1),
      memberProofBytes: sizes(tree.members),
      absentProofBytes: sizes(tree.absentees),
      memberSiblings: { median: median(tree.memberDepths), max: max(tree.memberDepths) },
      absentSiblings: { median: median(tree.absentDepths), max: max(tree.absentDepths) },
      absentEmptySlotShare: round(emptyShare, 3),
      verifyMemberUs: round(member.ms * 1000, 1),
      verifyMemberCpuUs: round(member.cpuMs * 1000, 1),
      verifyMemberPerSignature: round(
        median(member.roundMs.map((m, r) => m / (signature.roundMs[r] as number))),
        3,
      ),
      verifyAbsentUs: round(absent.ms * 1000, 1),
      nodesWrittenPerUpdate: median(written[i] as number[]),
      updateMs: round(root.criticalMs, 2),
      updateInHashes: Math.round(median(root.roundCriticalMs.map((m, r) => m / (hash.roundMs[r] as number)))),
      commitMs: round(root.secondMs, 2),
      updateAndPruneMs: round(root.ms, 2),
      updateAndPruneCpuMs: round(root.cpuMs, 2),
      ratioCold: round(ratios(cold, root, 'root'), 3),
      ratioColdWithCommit: round(ratios(cold, root, 'commit'), 3),
      ratioColdWithPrune: round(ratios(cold, root, 'all'), 3),
      ratioWarm: round(ratios(warm, root, 'root'), 3),
    }
  })
  const report = {
    ...env,
    unit: 'medians over rounds; ratio = median of per-round (validateBlock + root) / validateBlock',
    ...options,
    block: {
      transfers: transfers.length,
      touchedAccounts: bench.touched.length,
      bytes: encodedBlockLength(bench.block),
    },
    samples,
    setupSeconds: round(setupS, 1),
    heapMiBAfterSetup: round(heapMiB, 0),
    validateColdMs: round(cold.ms, 2),
    validateColdCpuMs: round(cold.cpuMs, 2),
    validateWarmMs: round(warm.ms, 2),
    signatureCheckUs: round(signature.ms * 1000, 1),
    sha256Us: round(hash.ms * 1000, 3),
    trees: perTree,
    inclusion,
    totalSeconds: round((performance.now() - started) / 1000, 0),
  }
  if (values.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(
    `state tree bench | node ${env.node} | ${env.cpu} (${env.cores} cores, load ${env.loadAverageAtStart}) | ${env.date} | ` +
      `block of ${count(transfers.length)} transfers touching ${count(bench.touched.length)} accounts, ` +
      `${options.rounds} rounds, medians | setup ${setupS.toFixed(0)} s (heap ${heapMiB.toFixed(0)} MiB), total ${report.totalSeconds} s` +
      (globalThis.gc === undefined ? ' | no --expose-gc' : ''),
  )
  const rows = [['', ...perTree.map((t) => `${count(t.accounts)} accounts`)]]
  const add = (label: string, cell: (t: (typeof perTree)[number]) => string) =>
    rows.push([label, ...perTree.map(cell)])
  add('tree: nodes, bulk build', (t) => `${count(t.nodes)}, ${t.buildSeconds} s`)
  add('member proof bytes (median / max)', (t) => `${t.memberProofBytes.median} / ${t.memberProofBytes.max}`)
  add('absent proof bytes (median / max)', (t) => `${t.absentProofBytes.median} / ${t.absentProofBytes.max}`)
  add('siblings, member (median / max)', (t) => `${t.memberSiblings.median} / ${t.memberSiblings.max}`)
  add('absent answered by an empty slot', (t) => `${(t.absentEmptySlotShare * 100).toFixed(0)}%`)
  add('verify member proof µs (CPU µs)', (t) => `${t.verifyMemberUs} (${t.verifyMemberCpuUs})`)
  add('  = signature checks', (t) => `${t.verifyMemberPerSignature}x`)
  add('verify absent proof µs', (t) => `${t.verifyAbsentUs}`)
  add(`root of ${count(bench.touched.length)} accounts (keys + prepare), ms`, (t) => `${t.updateMs}`)
  add(
    '  nodes written; time in SHA-256 times',
    (t) => `${count(t.nodesWrittenPerUpdate)}; ${count(t.updateInHashes)}`,
  )
  add('  commit (store write), ms', (t) => `${t.commitMs}`)
  add(
    '  root + commit + prune of the version before, ms (CPU)',
    (t) => `${t.updateAndPruneMs} (${t.updateAndPruneCpuMs})`,
  )
  add('validate + root / validate, cold', (t) => `${t.ratioCold.toFixed(3)}x`)
  add('  same, commit included', (t) => `${t.ratioColdWithCommit.toFixed(3)}x`)
  add('  same, commit and prune included', (t) => `${t.ratioColdWithPrune.toFixed(3)}x`)
  add('  root only, warm (signatures cached)', (t) => `${t.ratioWarm.toFixed(3)}x`)
  for (const line of table(rows)) console.log(line)
  console.log(
    `validateBlock of that block: ${report.validateColdMs} ms cold (CPU ${report.validateColdCpuMs} ms), ` +
      `${report.validateWarmMs} ms with signatures cached; one signature check ${report.signatureCheckUs} µs, ` +
      `one SHA-256 of 65 bytes ${report.sha256Us} µs`,
  )
  console.log('goal: validate + root / validate ≤ 1.2x (issue 18)')
  const inclusionRows = [
    ['inclusion proof (block of n transactions)', ...inclusion.map((m) => `n = ${count(m.transactions)}`)],
  ]
  inclusionRows.push([
    'proof bytes (median / max)',
    ...inclusion.map((m) => `${m.proofBytes.median} / ${m.proofBytes.max}`),
  ])
  inclusionRows.push(['verify µs (decode + verify)', ...inclusion.map((m) => `${round(m.verifyMicros, 1)}`)])
  inclusionRows.push(['prove ms (whole tree hashed)', ...inclusion.map((m) => `${round(m.proveMillis, 2)}`)])
  for (const line of table(inclusionRows)) console.log(line)
}

try {
  await main()
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exitCode = 1
}
