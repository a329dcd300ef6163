/**
 * Properties of the chain codecs, each on 1,000 generated cases or more: any bytes either
 * decode to a value that re-encodes to exactly those bytes or fail with ChainError
 * MALFORMED (never another exception); every value round-trips.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BLOCK_PREFIX_LENGTH,
  decodeBlock,
  decodeHeader,
  decodeTransaction,
  encodeBlock,
  encodeHeader,
  encodeTransaction,
  HEADER_LENGTH,
  MAX_U64,
  TRANSACTION_LENGTH,
} from '../../src/chain/encoding.ts'
import { ChainErrorCode, isChainError } from '../../src/chain/errors.ts'
import type { Block, BlockHeader, Transaction } from '../../src/chain/types.ts'

const RUNS = { numRuns: 1000 }

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
const u64 = fc.bigInt({ min: 0n, max: MAX_U64 })
const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })

/** 1..32 bytes of UTF-8 without NUL, which survive a UTF-8 round trip. */
const chainIdArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((s) => {
  const encoded = new TextEncoder().encode(s)
  return !s.includes('\u0000') && encoded.length <= 32 && new TextDecoder().decode(encoded) === s
})

const txArb: fc.Arbitrary<Transaction> = fc.record({
  from: bytes(32),
  to: bytes(32),
  amount: u64,
  fee: u64,
  nonce: u64,
  signature: bytes(64),
})

const headerArb: fc.Arbitrary<BlockHeader> = fc.record({
  version: fc.constant(2),
  chainId: fc.oneof(chainIdArb, fc.constant('paw-devnet')),
  height: safe,
  previousHash: bytes(32),
  timestamp: safe,
  txRoot: bytes(32),
  stateRoot: bytes(32),
  target: bytes(32),
  nonce: u64,
})

const blockArb: fc.Arbitrary<Block> = fc.record({
  header: headerArb,
  transactions: fc.array(txArb, { maxLength: 6 }),
})

/** Mutations of a valid encoding: flipped bytes, cuts, additions, and noise. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([input, edits]) => {
        const copy = input.slice()
        for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value
        return copy
      }),
    fc.tuple(valid, fc.nat()).map(([input, cut]) => input.subarray(0, cut % (input.length + 1))),
    fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 200 })).map(([input, extra]) => {
      const out = new Uint8Array(input.length + extra.length)
      out.set(input)
      out.set(extra, input.length)
      return out
    }),
    fc.uint8Array({ maxLength: 800 }),
  )
}

/** Decoding either fails with MALFORMED or yields a value whose encoding is the input. */
function decodesCanonicallyOrRefuses<T>(
  input: Uint8Array,
  decode: (b: Uint8Array) => T,
  encode: (v: T) => Uint8Array,
): void {
  let value: T
  try {
    value = decode(input)
  } catch (error) {
    expect(isChainError(error)).toBe(true)
    expect((error as { code: string }).code).toBe(ChainErrorCode.Malformed)
    return
  }
  expect(Buffer.from(encode(value)).equals(Buffer.from(input))).toBe(true)
}

describe('round trips', () => {
  it('transaction', () => {
    fc.assert(
      fc.property(txArb, (tx) => {
        expect(decodeTransaction(encodeTransaction(tx))).toEqual(tx)
      }),
      RUNS,
    )
  })

  it('header', () => {
    fc.assert(
      fc.property(headerArb, (header) => {
        expect(decodeHeader(encodeHeader(header))).toEqual(header)
      }),
      RUNS,
    )
  })

  it('block', () => {
    fc.assert(
      fc.property(blockArb, (block) => {
        expect(decodeBlock(encodeBlock(block))).toEqual(block)
      }),
      RUNS,
    )
  })
})

describe('arbitrary bytes decode canonically or fail with MALFORMED', () => {
  it('transaction (any bytes, and any bytes of the right length)', () => {
    fc.assert(
      fc.property(fc.oneof(bytes(TRANSACTION_LENGTH), mutated(txArb.map(encodeTransaction))), (input) => {
        decodesCanonicallyOrRefuses(input, decodeTransaction, encodeTransaction)
      }),
      RUNS,
    )
  })

  it('header (including version 2 with random fields)', () => {
    const versionTwo = bytes(HEADER_LENGTH).map((b) => {
      b[0] = 2
      return b
    })
    fc.assert(
      fc.property(fc.oneof(versionTwo, mutated(headerArb.map(encodeHeader))), (input) => {
        decodesCanonicallyOrRefuses(input, decodeHeader, encodeHeader)
      }),
      RUNS,
    )
  })

  it('block', () => {
    fc.assert(
      fc.property(mutated(blockArb.map(encodeBlock)), (input) => {
        decodesCanonicallyOrRefuses(input, decodeBlock, encodeBlock)
      }),
      RUNS,
    )
  })

  it('block prefix with a random count', () => {
    const withCount = fc
      .tuple(blockArb.map(encodeBlock), fc.nat({ max: 0xffffffff }))
      .map(([encoded, count]) => {
        const copy = encoded.slice()
        new DataView(copy.buffer).setUint32(HEADER_LENGTH, count)
        return copy
      })
    fc.assert(
      fc.property(withCount, (input) => {
        expect(input.length).toBeGreaterThanOrEqual(BLOCK_PREFIX_LENGTH)
        decodesCanonicallyOrRefuses(input, decodeBlock, encodeBlock)
      }),
      RUNS,
    )
  })
})
