/**
 * Block validation and signature verification throughput (issue "bench/chain"):
 *
 * - blocks validated per second: validateBlock (size, header, proof of work, Merkle root,
 *   coinbase, every transfer's fields and signature, nonces and balances against the
 *   parent state) of blocks of 1,000 signed transfers on the paw-devnet params, and the
 *   transactions per second that makes;
 * - signature verifications per second: the chain's check (signing.ts: @noble/curves
 *   strict's answer, a valid one confirmed by node:crypto where it can) next to
 *   node:crypto's crypto.verify (OpenSSL) on the same transactions, measured in the same
 *   rounds, and their ratio;
 * - the share of block validation time spent verifying signatures.
 *
 *   npm run bench:chain [-- --json] [-- --rounds 9 --blocks 3 --round-ms 300 --warmup-ms 500]
 *   node --expose-gc bench/chain/index.ts
 *
 * Exits non-zero if a correctness check fails: a bench block refused, a signature either
 * side does not accept, or the negative control (one broken signature) not refused with
 * BAD_SIGNATURE by validateBlock and by crypto.verify alike.
 */
import { verify } from 'node:crypto'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { transactionSigningMessage } from '../../src/chain/encoding.ts'
import { signatureVerifyCounts, verifyTransactionSignature } from '../../src/chain/signing.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { positiveInteger } from '../report.ts'
import { median } from '../stats.ts'
import {
  blocksSide,
  chainVerifySide,
  cryptoVerifyFreshKeySide,
  cryptoVerifySide,
  ed25519KeyObject,
  type MeasureOptions,
  measureRounds,
  type SideResult,
} from './measure.ts'
import { BENCH_ACCOUNTS, type BenchChain, buildBenchChain, TRANSFERS_PER_BLOCK } from './setup.ts'

const ROUNDS = 9
const BLOCKS = 3

interface Results {
  blocks: SideResult
  blocksCached: SideResult
  chainVerify: SideResult
  cryptoVerify: SideResult
  cryptoVerifyFreshKey: SideResult
  /** Per round: chain verify / crypto.verify (cached KeyObject). */
  roundRatios: number[]
  roundFreshKeyRatios: number[]
  /** Per round: TRANSFERS_PER_BLOCK chain verifications' time over one block's validation time. */
  roundSignatureShares: number[]
  /** Per round: blocks/s if each verification cost crypto.verify's time instead (estimate). */
  roundProjectedBlocks: number[]
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}

function fail(message: string): never {
  throw new Error(`correctness check failed: ${message}`)
}

/**
 * Both verifiers must accept every transfer of every bench block and refuse the
 * negative control's broken one, untimed, before the timed passes count on it.
 */
function crossCheckSignatures(chain: BenchChain): void {
  const { chainId } = chain.params
  for (const { block } of chain.cases) {
    for (const tx of block.transactions.slice(1)) {
      const message = transactionSigningMessage(tx, chainId)
      if (!verify(null, message, ed25519KeyObject(tx.from), tx.signature))
        fail('crypto.verify refused a transfer')
    }
  }
  const good = chain.cases[0]?.block.transactions ?? []
  const broken = chain.brokenSignature.block.transactions.filter(
    (tx, i) => !Buffer.from(tx.signature).equals(good[i]?.signature as Uint8Array),
  )
  if (broken.length !== 1) fail(`the negative control changed ${broken.length} signatures, expected 1`)
  const tx = broken[0] as Transaction
  if (verifyTransactionSignature(tx, chainId)) fail('the chain verify accepted the broken signature')
  if (verify(null, transactionSigningMessage(tx, chainId), ed25519KeyObject(tx.from), tx.signature)) {
    fail('crypto.verify accepted the broken signature')
  }
}

async function run(chain: BenchChain, options: MeasureOptions): Promise<Results> {
  const { chainId } = chain.params
  // One block's transfers: the signatures a block validation verifies.
  const txs = (chain.cases[0]?.block.transactions ?? []).slice(1)
  const [blocks, chainVerify, cryptoVerify, cryptoVerifyFreshKey, blocksCached] = (await measureRounds(
    [
      blocksSide(chain.cases, { cold: true }),
      chainVerifySide(txs, chainId),
      cryptoVerifySide(txs, chainId),
      cryptoVerifyFreshKeySide(txs, chainId),
      // Last: chainVerifySide has just verified the first block's signatures, as gossip
      // does before the block arrives.
      blocksSide(chain.cases.slice(0, 1), { cold: false, name: 'validateBlock, signatures cached' }),
    ],
    options,
  )) as [SideResult, SideResult, SideResult, SideResult, SideResult]
  const roundRatios: number[] = []
  const roundFreshKeyRatios: number[] = []
  const roundSignatureShares: number[] = []
  const roundProjectedBlocks: number[] = []
  for (let r = 0; r < options.rounds; r++) {
    const blockRate = blocks.roundPerSecond[r] as number
    const chainRate = chainVerify.roundPerSecond[r] as number
    const cryptoRate = cryptoVerify.roundPerSecond[r] as number
    roundRatios.push(chainRate / cryptoRate)
    roundFreshKeyRatios.push(chainRate / (cryptoVerifyFreshKey.roundPerSecond[r] as number))
    const signatureSeconds = TRANSFERS_PER_BLOCK / chainRate
    roundSignatureShares.push(signatureSeconds * blockRate)
    roundProjectedBlocks.push(1 / (1 / blockRate - signatureSeconds + TRANSFERS_PER_BLOCK / cryptoRate))
  }
  return {
    blocks,
    blocksCached,
    chainVerify,
    cryptoVerify,
    cryptoVerifyFreshKey,
    roundRatios,
    roundFreshKeyRatios,
    roundSignatureShares,
    roundProjectedBlocks,
  }
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US')

function printTable(header: string, r: Results): void {
  const perTx = (rate: number) => count(1e6 / rate)
  const rows = [
    ['case', 'per s', 'µs each', 'ratio'],
    [
      `validateBlock, ${count(TRANSFERS_PER_BLOCK)}-transfer block`,
      `${r.blocks.perSecond.toFixed(2)} blocks`,
      count(1e6 / r.blocks.perSecond),
      '',
    ],
    [
      '  = transactions validated',
      `${count(r.blocks.perSecond * TRANSFERS_PER_BLOCK)} tx`,
      perTx(r.blocks.perSecond * TRANSFERS_PER_BLOCK),
      '',
    ],
    [
      '  same, signatures seen before (cache)',
      `${r.blocksCached.perSecond.toFixed(2)} blocks`,
      count(1e6 / r.blocksCached.perSecond),
      `${(r.blocksCached.perSecond / r.blocks.perSecond).toFixed(1)}x`,
    ],
    [
      'chain verify (signing.ts)',
      `${count(r.chainVerify.perSecond)} sig`,
      perTx(r.chainVerify.perSecond),
      `${median(r.roundRatios).toFixed(3)}x`,
    ],
    [
      'crypto.verify (OpenSSL), cached KeyObject',
      `${count(r.cryptoVerify.perSecond)} sig`,
      perTx(r.cryptoVerify.perSecond),
      '1.000x',
    ],
    [
      'crypto.verify, new KeyObject per call',
      `${count(r.cryptoVerifyFreshKey.perSecond)} sig`,
      perTx(r.cryptoVerifyFreshKey.perSecond),
      `(chain ${median(r.roundFreshKeyRatios).toFixed(3)}x)`,
    ],
  ]
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] as string).length))) ?? []
  const line = (row: string[]) =>
    row
      .map((cell, col) =>
        col === 0 || col === 3 ? cell.padEnd(widths[col] as number) : cell.padStart(widths[col] as number),
      )
      .join('  ')
      .trimEnd()
  console.log(header)
  for (const row of rows) console.log(line(row))
  const shares = r.roundSignatureShares.map((s) => `${(s * 100).toFixed(0)}%`).join(' ')
  console.log(
    `signature share of block validation: ${(median(r.roundSignatureShares) * 100).toFixed(1)}% ` +
      `(${count(TRANSFERS_PER_BLOCK)} chain verifications / one validateBlock; per round: ${shares})`,
  )
  console.log(
    `estimate with crypto.verify's cost per signature: ${median(r.roundProjectedBlocks).toFixed(1)} blocks/s ` +
      `(${(median(r.roundProjectedBlocks) / r.blocks.perSecond).toFixed(1)}x)`,
  )
  console.log('ratio = chain verify / crypto.verify (cached KeyObject), median of per-round ratios')
  const { fast, noble, cached } = signatureVerifyCounts
  console.log(
    `chain verify answers: ${count(fast)} confirmed by node:crypto, ${count(noble)} by @noble/curves, ${count(cached)} from the signature cache`,
  )
}

async function main(): Promise<void> {
  const started = performance.now()
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      rounds: { type: 'string', default: String(ROUNDS) },
      blocks: { type: 'string', default: String(BLOCKS) },
      'round-ms': { type: 'string', default: '300' },
      'warmup-ms': { type: 'string', default: '500' },
    },
  })
  const options: MeasureOptions = {
    rounds: positiveInteger(values.rounds, '--rounds'),
    minRoundMs: positiveInteger(values['round-ms'], '--round-ms'),
    warmupMs: positiveInteger(values['warmup-ms'], '--warmup-ms'),
  }
  const blockCount = positiveInteger(values.blocks, '--blocks')
  const environment = {
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores)`,
    date: new Date().toISOString(),
    gcBetweenSides: globalThis.gc !== undefined,
  }
  const setupStart = performance.now()
  const chain = await buildBenchChain(blockCount)
  crossCheckSignatures(chain)
  const setupMs = performance.now() - setupStart
  const r = await run(chain, options)
  const totalS = (performance.now() - started) / 1000
  if (values.json) {
    const side = (s: SideResult) => ({
      ...s,
      perSecond: round(s.perSecond, 3),
      roundPerSecond: s.roundPerSecond.map((v) => round(v, 3)),
    })
    const json = {
      ...environment,
      chainId: chain.params.chainId,
      unit: 'per second; medians over rounds; ratio = median of per-round chain verify / crypto.verify',
      ...options,
      blocks: blockCount,
      transfersPerBlock: TRANSFERS_PER_BLOCK,
      accounts: BENCH_ACCOUNTS,
      negativeControl: 'one broken signature refused with BAD_SIGNATURE: passed',
      setupMs: round(setupMs, 0),
      totalSeconds: round(totalS, 1),
      blocksPerSecond: round(r.blocks.perSecond, 3),
      transactionsPerSecond: round(r.blocks.perSecond * TRANSFERS_PER_BLOCK, 1),
      chainVerifyPerSecond: round(r.chainVerify.perSecond, 1),
      cryptoVerifyPerSecond: round(r.cryptoVerify.perSecond, 1),
      cryptoVerifyFreshKeyPerSecond: round(r.cryptoVerifyFreshKey.perSecond, 1),
      ratio: round(median(r.roundRatios), 4),
      freshKeyRatio: round(median(r.roundFreshKeyRatios), 4),
      signatureShare: round(median(r.roundSignatureShares), 4),
      projectedBlocksPerSecondWithCryptoVerify: round(median(r.roundProjectedBlocks), 2),
      sides: [r.blocks, r.chainVerify, r.cryptoVerify, r.cryptoVerifyFreshKey].map(side),
      roundRatios: r.roundRatios.map((v) => round(v, 4)),
      roundSignatureShares: r.roundSignatureShares.map((v) => round(v, 4)),
    }
    console.log(JSON.stringify(json, null, 2))
    return
  }
  const header =
    `chain bench | node ${environment.node} | ${environment.cpu} | ${environment.date} | ` +
    `${chain.params.chainId}, ${blockCount} blocks x ${count(TRANSFERS_PER_BLOCK)} transfers ` +
    `from ${BENCH_ACCOUNTS} accounts, ${options.rounds} rounds, medians | setup ${(setupMs / 1000).toFixed(1)} s, ` +
    `total ${totalS.toFixed(0)} s` +
    (environment.gcBetweenSides ? '' : ' | no --expose-gc')
  printTable(header, r)
  console.log(
    'negative control: a block with one broken signature refused with BAD_SIGNATURE (crypto.verify agrees)',
  )
}

try {
  await main()
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exitCode = 1
}
