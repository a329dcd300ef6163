/**
 * Proof of work: the target comparison, work, retarget math and the nonce search.
 */
import { describe, expect, it } from 'vitest'
import { isChainError } from '../../src/chain/errors.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import {
  bigIntToTarget,
  MAX_TARGET_VALUE,
  meetsTarget,
  mineHeader,
  nextTarget,
  retarget,
  targetToBigInt,
  workForTarget,
} from '../../src/chain/pow.ts'
import type { BlockHeader, ChainParams } from '../../src/chain/types.ts'

const T = (value: bigint) => bigIntToTarget(value)
const MAX = T(1n << 240n)
const PREV = T(1n << 230n)
const big = targetToBigInt

const header: BlockHeader = {
  version: 2,
  chainId: 'paw-devnet',
  height: 1,
  previousHash: new Uint8Array(32),
  timestamp: 1_800_000_000_000,
  txRoot: new Uint8Array(32),
  stateRoot: new Uint8Array(32),
  target: PAW_DEVNET.initialTarget,
  nonce: 0n,
}

describe('targets', () => {
  it('round-trip between 32 big-endian bytes and bigint', () => {
    expect(big(T(0x0102n))).toBe(0x0102n)
    expect(T(0x0102n).subarray(30)).toEqual(new Uint8Array([1, 2]))
    expect(big(T(MAX_TARGET_VALUE))).toBe(MAX_TARGET_VALUE)
    expect(() => T(1n << 256n)).toThrow(RangeError)
    expect(() => T(-1n)).toThrow(RangeError)
  })

  it('meetsTarget: hash ≤ target as 256-bit numbers', () => {
    const target = T(1000n)
    expect(meetsTarget(T(999n), target)).toBe(true)
    expect(meetsTarget(T(1000n), target)).toBe(true)
    expect(meetsTarget(T(1001n), target)).toBe(false)
    expect(meetsTarget(T(1n << 200n), target)).toBe(false)
    expect(meetsTarget(T(MAX_TARGET_VALUE), T(MAX_TARGET_VALUE))).toBe(true)
  })

  it('workForTarget = 2^256 / (target + 1)', () => {
    expect(workForTarget(T(MAX_TARGET_VALUE))).toBe(1n)
    expect(workForTarget(T((1n << 255n) - 1n))).toBe(2n)
    expect(workForTarget(PAW_DEVNET.initialTarget)).toBe(4096n)
    expect(workForTarget(T(0n))).toBe(1n << 256n)
  })
})

describe('retarget', () => {
  const expected = 600_000

  it('keeps the target when blocks came on time', () => {
    expect(big(retarget(PREV, expected, expected, MAX))).toBe(big(PREV))
  })

  it('faster blocks → a harder (lower) target, proportionally', () => {
    expect(big(retarget(PREV, expected / 2, expected, MAX))).toBe(big(PREV) / 2n)
  })

  it('clamps at 4× harder however fast (even a negative timespan)', () => {
    expect(big(retarget(PREV, expected / 4, expected, MAX))).toBe(big(PREV) / 4n)
    expect(big(retarget(PREV, 1, expected, MAX))).toBe(big(PREV) / 4n)
    expect(big(retarget(PREV, -5_000, expected, MAX))).toBe(big(PREV) / 4n)
  })

  it('slower blocks → an easier (higher) target, clamped at 4×', () => {
    expect(big(retarget(PREV, 2 * expected, expected, MAX))).toBe(big(PREV) * 2n)
    expect(big(retarget(PREV, 4 * expected, expected, MAX))).toBe(big(PREV) * 4n)
    expect(big(retarget(PREV, 100 * expected, expected, MAX))).toBe(big(PREV) * 4n)
  })

  it('never above the chain maximum', () => {
    const nearMax = T(big(MAX) / 2n)
    expect(big(retarget(nearMax, 4 * expected, expected, MAX))).toBe(big(MAX))
    expect(big(retarget(MAX, 4 * expected, expected, MAX))).toBe(big(MAX))
  })

  it('never 0', () => {
    expect(big(retarget(T(1n), 1, expected, MAX))).toBe(1n)
  })

  it('refuses a non-positive expected timespan', () => {
    expect(() => retarget(PREV, 1, 0, MAX)).toThrow(RangeError)
  })
})

describe('nextTarget', () => {
  const params: ChainParams = {
    ...PAW_DEVNET,
    initialTarget: MAX,
    retargetInterval: 10,
    targetBlockTimeMs: 1_000,
  }
  const at = (height: number, timestamp: number, target = PREV): BlockHeader => ({
    ...header,
    height,
    timestamp,
    target,
  })

  it('carries the parent target between retarget heights, and with retargetInterval 0', async () => {
    const never = { ...params, retargetInterval: 0 }
    expect(await nextTarget(params, at(4, 0), () => undefined)).toEqual(PREV)
    expect(await nextTarget(never, at(9, 0), () => undefined)).toEqual(PREV)
  })

  it('at a multiple of the interval, times the last interval blocks (interval − 1 block times)', async () => {
    // Blocks 10..19 timed: 9 block times of 1 s expected; 4.5 s taken → half the target.
    const first = at(10, 100_000)
    const lookup = (height: number) => (height === 10 ? first : undefined)
    expect(big(await nextTarget(params, at(19, 104_500), lookup))).toBe(big(PREV) / 2n)
    // Async lookups (a store) work the same.
    expect(big(await nextTarget(params, at(19, 118_000), async (h) => lookup(h)))).toBe(big(PREV) * 2n)
  })

  it('UNKNOWN_PARENT when the window start is missing', async () => {
    const error = await nextTarget(params, at(19, 0), () => undefined).catch((e: unknown) => e)
    expect(isChainError(error) && error.code).toBe('UNKNOWN_PARENT')
  })
})

describe('mineHeader', () => {
  it('finds a nonce meeting the devnet target', async () => {
    const mined = await mineHeader(header)
    expect(mined).toBeDefined()
    expect(meetsTarget(blockHash(mined as BlockHeader), header.target)).toBe(true)
    expect({ ...mined, nonce: 0n }).toEqual(header)
  })

  it('gives up after maxIterations', async () => {
    const impossible = { ...header, target: T(0n) }
    expect(await mineHeader(impossible, { maxIterations: 5000, batchSize: 1000 })).toBeUndefined()
  })

  it('wraps the nonce at 2^64', async () => {
    const mined = await mineHeader({ ...header, nonce: (1n << 64n) - 3n })
    expect(mined).toBeDefined()
    expect((mined as BlockHeader).nonce).toBeLessThan(1n << 64n)
    expect(meetsTarget(blockHash(mined as BlockHeader), header.target)).toBe(true)
  })

  it('keeps to hashesPerSecond on average: 8,192 hashes at 16,384/s take at least 375 ms', async () => {
    const impossible = { ...header, target: T(0n) }
    const started = performance.now()
    const result = await mineHeader(impossible, {
      maxIterations: 8192,
      batchSize: 1024,
      hashesPerSecond: 16_384,
    })
    expect(result).toBeUndefined()
    // 7 sleeps after the first 7 batches: 7,168 hashes at 16,384/s = 437.5 ms, less timer slack.
    expect(performance.now() - started).toBeGreaterThanOrEqual(375)
  })

  it('wakes from a hashesPerSecond sleep when aborted', async () => {
    const impossible = { ...header, target: T(0n) }
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('stop mining')), 50)
    const started = performance.now()
    const error = await mineHeader(impossible, {
      signal: controller.signal,
      batchSize: 1024,
      hashesPerSecond: 1,
    }).catch((e: unknown) => e)
    expect((error as Error).message).toBe('stop mining')
    // One batch at 1 hash/s asks for a 1,024 s sleep; the abort ends it.
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('throws at once for an already aborted signal', async () => {
    await expect(mineHeader(header, { signal: AbortSignal.abort() })).rejects.toThrow()
  })

  it('keeps the event loop turning on a hard target and stops promptly when aborted', async () => {
    const hard = { ...header, target: T(1n << 200n) }
    let ticks = 0
    const interval = setInterval(() => ticks++, 5)
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('stop mining')), 300)
    const started = performance.now()
    let abortedAt = 0
    controller.signal.addEventListener('abort', () => {
      abortedAt = performance.now()
    })
    const error = await mineHeader(hard, { signal: controller.signal }).catch((e: unknown) => e)
    const stoppedAt = performance.now()
    clearInterval(interval)
    expect((error as Error).message).toBe('stop mining')
    expect(stoppedAt - started).toBeGreaterThanOrEqual(290)
    // One batch is a few ms; the margin is for a loaded CI machine.
    expect(stoppedAt - abortedAt).toBeLessThan(100)
    // ~60 ticks in 300 ms if the loop is free; a blocked loop would give 0 or 1.
    expect(ticks).toBeGreaterThan(10)
  })
})
