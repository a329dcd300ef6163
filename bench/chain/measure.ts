/**
 * Timing for the chain benchmark. Machines are shared and noisy (bench/ rule: ratios
 * against a baseline measured in the same run, medians), so every round times each side
 * once, starting from a different side each round, and ratios and shares are taken within
 * a round before the median over rounds.
 *
 * Every pass counts what it validated and the round throws unless the count is exactly
 * what was expected, so the work is consumed and a validation that fails is a failed run.
 */

import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import { transactionSigningMessage } from '../../src/chain/encoding.ts'
import { clearSignatureCache, verifyTransactionSignature } from '../../src/chain/signing.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { validateBlock } from '../../src/chain/validation.ts'
import { median } from '../stats.ts'
import type { BlockCase } from './setup.ts'

/** One pass; resolves to how many items (blocks or signatures) it found valid. */
export type Pass = () => number | Promise<number>

export interface Side {
  name: string
  pass: Pass
  /** Items one pass must find valid. */
  itemsPerPass: number
}

function fail(message: string): never {
  throw new Error(`correctness check failed: ${message}`)
}

/**
 * validateBlock of every bench block against its parent state; any refusal fails the run.
 * `cold`: the signature cache is emptied before each block, so every signature is verified
 * (a block whose transactions this node never saw). Otherwise the cache is left as it is.
 */
export function blocksSide(cases: readonly BlockCase[], options: { cold: boolean; name?: string }): Side {
  return {
    name: options.name ?? 'validateBlock',
    itemsPerPass: cases.length,
    pass: async () => {
      let valid = 0
      for (const { block, parent, parentState, context, stateRootAfter } of cases) {
        if (options.cold) clearSignatureCache()
        try {
          await validateBlock(block, parent, parentState, context, stateRootAfter)
        } catch (error) {
          fail(`block ${block.header.height} was refused: ${(error as Error).message}`)
        }
        valid++
      }
      return valid
    },
  }
}

/** The chain's own check (signing.ts): strict RFC 8032, node:crypto fast path where available. */
export function chainVerifySide(txs: readonly Transaction[], chainId: string): Side {
  return {
    name: 'chain verify',
    itemsPerPass: txs.length,
    pass: () => {
      // Every signature verified: the cache starts empty (and ends holding these).
      clearSignatureCache()
      let valid = 0
      for (const tx of txs) if (verifyTransactionSignature(tx, chainId)) valid++
      return valid
    },
  }
}

/** A node:crypto (OpenSSL) public key from a raw 32-byte Ed25519 key. */
export function ed25519KeyObject(address: Uint8Array): KeyObject {
  const x = Buffer.from(address.buffer, address.byteOffset, address.byteLength).toString('base64url')
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
}

/**
 * crypto.verify on the same transactions, building the same signing message per call as
 * the chain's check does, with one KeyObject per transaction made beforehand (what a
 * node caching a KeyObject per sender would pay).
 */
export function cryptoVerifySide(txs: readonly Transaction[], chainId: string): Side {
  const keys = txs.map((tx) => ed25519KeyObject(tx.from))
  return {
    name: 'crypto.verify',
    itemsPerPass: txs.length,
    pass: () => {
      let valid = 0
      for (let i = 0; i < txs.length; i++) {
        const tx = txs[i] as Transaction
        const message = transactionSigningMessage(tx, chainId)
        if (verify(null, message, keys[i] as KeyObject, tx.signature)) valid++
      }
      return valid
    },
  }
}

/** The same, making the KeyObject from the raw key on every call (no cache). */
export function cryptoVerifyFreshKeySide(txs: readonly Transaction[], chainId: string): Side {
  return {
    name: 'crypto.verify, new KeyObject',
    itemsPerPass: txs.length,
    pass: () => {
      let valid = 0
      for (const tx of txs) {
        const message = transactionSigningMessage(tx, chainId)
        if (verify(null, message, ed25519KeyObject(tx.from), tx.signature)) valid++
      }
      return valid
    },
  }
}

/** Runs `passes` passes; returns the elapsed ms. */
async function timePasses(side: Side, passes: number): Promise<number> {
  let items = 0
  const t0 = performance.now()
  for (let i = 0; i < passes; i++) items += await side.pass()
  const ms = performance.now() - t0
  if (items !== passes * side.itemsPerPass) {
    fail(`${side.name}: ${passes} passes found ${items} valid, expected ${passes * side.itemsPerPass}`)
  }
  return ms
}

/**
 * Warms a side up (at least one pass and `warmupMs`) and returns how many passes make a
 * round of at least `minRoundMs`, fixed before timing.
 */
async function calibrate(side: Side, minRoundMs: number, warmupMs: number): Promise<number> {
  const start = performance.now()
  let best = Number.POSITIVE_INFINITY
  do best = Math.min(best, await timePasses(side, 1))
  while (performance.now() - start < warmupMs)
  return Math.max(1, Math.ceil(minRoundMs / best))
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
  /** Median over rounds of items per second. */
  perSecond: number
  roundPerSecond: number[]
}

/** Times every side in each round, rotating which goes first. */
export async function measureRounds(sides: readonly Side[], options: MeasureOptions): Promise<SideResult[]> {
  const passes: number[] = []
  for (const side of sides) passes.push(await calibrate(side, options.minRoundMs, options.warmupMs))
  const rates: number[][] = sides.map(() => [])
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length
      const side = sides[i] as Side
      // Garbage left by one side should not be collected on the next one's clock.
      globalThis.gc?.()
      const ms = await timePasses(side, passes[i] as number)
      ;(rates[i] as number[]).push(((passes[i] as number) * side.itemsPerPass * 1000) / ms)
    }
  }
  return sides.map((side, i) => ({
    name: side.name,
    passesPerRound: passes[i] as number,
    itemsPerPass: side.itemsPerPass,
    perSecond: median(rates[i] as number[]),
    roundPerSecond: rates[i] as number[],
  }))
}
