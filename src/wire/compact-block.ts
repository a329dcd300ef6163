/**
 * Compact blocks (protocols/compact-blocks.md; BIP152 is the model): the gossip message on
 * `/paw/<chainId>/blocks/2`. A block travels as its header, a nonce, and per transaction
 * either the transaction itself (prefilled: the receiver cannot have it, the coinbase at
 * least) or a 6-byte short id that names it in the receiver's mempool:
 *
 *   [header: H bytes] [nonce: 8] [u32 BE n: transactions] [u32 BE p: prefilled]
 *   p × ([u32 BE index] [transaction: T bytes])   indexes strictly increasing, < n
 *   (n − p) × [short id: 6 bytes]                  the other positions, in block order
 *
 * H and T are the chain's fixed header and transaction sizes (ChainShape; 185 and 152 on the
 * reference chain). Short ids are SipHash-2-4 of the transaction id under a key taken from
 * the block id and the nonce (`shortIdKey`), so a sender's nonce makes collisions differ
 * from one relay of a block to the next, and nobody can grind transactions that collide
 * for every node. Every fault rejects the whole message (InvalidMessageFormatError).
 * Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { InvalidMessageFormatError } from '../errors.ts'
import type { ChainShape } from '../ports/chain.ts'
import { readerOf, u32At, writeU32 } from './byte-reader.ts'
import type { ByteInput } from './bytes.ts'
import { type SipKey, sipHash24, sipHash24Low48, sipKey } from './siphash.ts'

/** Bytes of the nonce that salts the short ids. */
export const COMPACT_NONCE_BYTES = 8

/** Bytes of a short transaction id (BIP152: 6). */
export const SHORT_ID_BYTES = 6

/** Bytes between the header and the prefilled transactions: nonce, n, p. */
export const COMPACT_FIXED_BYTES = COMPACT_NONCE_BYTES + 4 + 4

/** The sizes a compact block is read by: the chain's. */
export type CompactShape = Pick<ChainShape, 'headerBytes' | 'transactionBytes' | 'maxBlockBytes'>

export interface PrefilledTransaction {
  /** The transaction's position in the block. */
  index: number
  /** Its encoding (T bytes). */
  transaction: Uint8Array
}

export interface CompactBlock {
  /** The header encoding (H bytes). */
  header: Uint8Array
  /** 8 bytes, chosen at random by the sender; part of the short-id key. */
  nonce: Uint8Array
  /** Transactions in the block, n. */
  transactionCount: number
  /** In increasing index order. */
  prefilled: PrefilledTransaction[]
  /** (n − p) × 6 bytes: the short ids of the positions not prefilled, in block order. */
  shortIds: Uint8Array
}

function fail(message: string): never {
  throw new InvalidMessageFormatError(`compact block: ${message}`)
}

/**
 * Most transactions a block of the chain can hold: its largest block over its transaction
 * size (68,983 on the reference chain). A larger n is malformed.
 */
export function maxTransactions(shape: Pick<ChainShape, 'transactionBytes' | 'maxBlockBytes'>): number {
  return Math.floor(shape.maxBlockBytes / shape.transactionBytes)
}

/** Bytes of a compact block of n transactions, p of them prefilled. */
export function compactLength(shape: CompactShape, n: number, p: number): number {
  return shape.headerBytes + COMPACT_FIXED_BYTES + p * (4 + shape.transactionBytes) + (n - p) * SHORT_ID_BYTES
}

/**
 * The short-id key of a block: the first 16 bytes of SHA-256(block id ‖ nonce), as
 * SipHash's k0 ‖ k1 (each little-endian, BIP152's convention).
 */
export function shortIdKey(blockId: Uint8Array, nonce: Uint8Array): SipKey {
  if (nonce.length !== COMPACT_NONCE_BYTES) throw new RangeError(`a nonce is ${COMPACT_NONCE_BYTES} bytes`)
  const input = new Uint8Array(blockId.length + COMPACT_NONCE_BYTES)
  input.set(blockId, 0)
  input.set(nonce, blockId.length)
  return sipKey(sha256(input).subarray(0, 16))
}

/** The short id of a transaction: the first 6 bytes of SipHash-2-4(key, id), i.e. its low 48 bits, little-endian. */
export function shortId(key: SipKey, transactionId: Uint8Array): Uint8Array {
  return sipHash24(key, transactionId).subarray(0, SHORT_ID_BYTES)
}

/** The short id of a transaction as a number (its 48 bits): shortIdNumber(shortId(key, id)), faster. */
export function shortIdValue(key: SipKey, transactionId: Uint8Array): number {
  return sipHash24Low48(key, transactionId)
}

/**
 * A short id as a number (its 48 bits, exact in a double), for maps: the 6 bytes at `at`
 * of `bytes`, little-endian.
 */
export function shortIdNumber(bytes: Uint8Array, at = 0): number {
  const lo =
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  return lo + ((bytes[at + 4] as number) | ((bytes[at + 5] as number) << 8)) * 0x1_0000_0000
}

/**
 * The message of `block`, checked as the decoder checks it.
 * @throws InvalidMessageFormatError for anything the decoder would reject
 */
export function encodeCompactBlock(block: CompactBlock, shape: CompactShape): Uint8Array {
  const { header, nonce, transactionCount: n, prefilled, shortIds } = block
  const T = shape.transactionBytes
  if (header.length !== shape.headerBytes) fail(`the header must be ${shape.headerBytes} bytes`)
  if (nonce.length !== COMPACT_NONCE_BYTES) fail(`the nonce must be ${COMPACT_NONCE_BYTES} bytes`)
  if (!Number.isInteger(n) || n < 0 || n > maxTransactions(shape)) {
    fail(`${n} transactions: must be 0..${maxTransactions(shape)}`)
  }
  const p = prefilled.length
  if (p > n) fail(`${p} prefilled of ${n} transactions`)
  if (shortIds.length !== (n - p) * SHORT_ID_BYTES) fail(`${n - p} short ids need ${(n - p) * 6} bytes`)
  const out = new Uint8Array(compactLength(shape, n, p))
  out.set(header, 0)
  let at = shape.headerBytes
  out.set(nonce, at)
  writeU32(out, at + COMPACT_NONCE_BYTES, n)
  writeU32(out, at + COMPACT_NONCE_BYTES + 4, p)
  at += COMPACT_FIXED_BYTES
  let previous = -1
  for (const { index, transaction } of prefilled) {
    if (!Number.isInteger(index) || index <= previous || index >= n) {
      fail(`prefilled index ${index} must be above ${previous} and below ${n}`)
    }
    if (transaction.length !== T) fail(`prefilled transaction ${index} must be ${T} bytes`)
    writeU32(out, at, index)
    out.set(transaction, at + 4)
    at += 4 + T
    previous = index
  }
  out.set(shortIds, at)
  return out
}

/**
 * Reads a compact block; its parts are views of `input` where it allows.
 * @throws InvalidMessageFormatError for any fault (the whole message is rejected)
 */
export function decodeCompactBlock(input: ByteInput, shape: CompactShape): CompactBlock {
  const reader = readerOf(input)
  const H = shape.headerBytes
  const T = shape.transactionBytes
  if (reader.length < H + COMPACT_FIXED_BYTES) fail(`${reader.length} bytes end before the counts`)
  const n = u32At(reader, H + COMPACT_NONCE_BYTES)
  const p = u32At(reader, H + COMPACT_NONCE_BYTES + 4)
  if (n > maxTransactions(shape)) fail(`${n} transactions: over the chain's ${maxTransactions(shape)}`)
  if (p > n) fail(`${p} prefilled of ${n} transactions`)
  const expected = compactLength(shape, n, p)
  if (reader.length !== expected)
    fail(`n ${n} and p ${p} need ${expected} bytes, the message has ${reader.length}`)
  const prefilled: PrefilledTransaction[] = []
  let at = H + COMPACT_FIXED_BYTES
  let previous = -1
  for (let k = 0; k < p; k++) {
    const index = u32At(reader, at)
    if (index <= previous || index >= n)
      fail(`prefilled index ${index} must be above ${previous} and below ${n}`)
    prefilled.push({ index, transaction: reader.view(at + 4, at + 4 + T) })
    at += 4 + T
    previous = index
  }
  return {
    header: reader.view(0, H),
    nonce: reader.view(H, H + COMPACT_NONCE_BYTES),
    transactionCount: n,
    prefilled,
    shortIds: reader.view(at, expected),
  }
}
