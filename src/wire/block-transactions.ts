/**
 * The `/paw/blocks/1` request a compact block's receiver sends for what its mempool lacks
 * (protocols/blocks.md "Request: get_block_transactions"; BIP152's getblocktxn/blocktxn):
 *
 *   get_block_transactions: [32-byte block hash] [u32 BE k ≥ 1] k × [u32 BE index]
 *                           indexes strictly increasing, each below the block's n
 *   block_transactions:     [32-byte block hash] [u32 BE k] k × [transaction: T bytes]
 *                           the transactions at the indexes asked for, in that order
 *
 * k is at most the chain's most transactions per block (compact-block.ts maxTransactions).
 * A responder that does not hold the block answers `not_found`. Every fault rejects the
 * whole message (InvalidMessageFormatError). Browser-safe.
 */
import { InvalidMessageFormatError } from '../errors.ts'
import type { ChainShape } from '../ports/chain.ts'
import { BLOCK_HASH_LENGTH } from './blocks.ts'
import { readerOf, u32At, writeU32 } from './byte-reader.ts'
import type { ByteInput } from './bytes.ts'
import { maxTransactions } from './compact-block.ts'

/** The sizes these payloads are read by: the chain's. */
export type TransactionsShape = Pick<ChainShape, 'transactionBytes' | 'maxBlockBytes'>

export interface BlockTransactionsRequest {
  hash: Uint8Array
  /** Positions in the block, strictly increasing. */
  indexes: number[]
}

export interface BlockTransactions {
  hash: Uint8Array
  /** Transaction encodings, T bytes each. */
  transactions: Uint8Array[]
}

const PREFIX = BLOCK_HASH_LENGTH + 4

function fail(what: string, message: string): never {
  throw new InvalidMessageFormatError(`${what}: ${message}`)
}

/** Bytes of a get_block_transactions payload asking for `k` transactions. */
export function getBlockTransactionsLength(k: number): number {
  return PREFIX + 4 * k
}

/** Bytes of a block_transactions payload of `k` transactions. */
export function blockTransactionsLength(k: number, shape: Pick<ChainShape, 'transactionBytes'>): number {
  return PREFIX + k * shape.transactionBytes
}

/** @throws InvalidMessageFormatError */
export function encodeGetBlockTransactions(
  request: BlockTransactionsRequest,
  shape: TransactionsShape,
): Uint8Array {
  const what = 'get_block_transactions'
  const { hash, indexes } = request
  if (hash.length !== BLOCK_HASH_LENGTH) fail(what, `the block hash must be ${BLOCK_HASH_LENGTH} bytes`)
  if (indexes.length < 1 || indexes.length > maxTransactions(shape)) {
    fail(what, `asks for ${indexes.length} transactions, must be 1..${maxTransactions(shape)}`)
  }
  const out = new Uint8Array(getBlockTransactionsLength(indexes.length))
  out.set(hash, 0)
  writeU32(out, BLOCK_HASH_LENGTH, indexes.length)
  let previous = -1
  indexes.forEach((index, k) => {
    if (!Number.isInteger(index) || index <= previous || index >= maxTransactions(shape)) {
      fail(what, `index ${index} must be above ${previous} and below ${maxTransactions(shape)}`)
    }
    writeU32(out, PREFIX + 4 * k, index)
    previous = index
  })
  return out
}

/** @throws InvalidMessageFormatError for any fault (the whole message is rejected) */
export function decodeGetBlockTransactions(
  input: ByteInput,
  shape: TransactionsShape,
): BlockTransactionsRequest {
  const what = 'get_block_transactions'
  const reader = readerOf(input)
  if (reader.length < PREFIX) fail(what, `${reader.length} bytes end before the count`)
  const k = u32At(reader, BLOCK_HASH_LENGTH)
  if (k < 1 || k > maxTransactions(shape))
    fail(what, `asks for ${k} transactions, must be 1..${maxTransactions(shape)}`)
  if (reader.length !== getBlockTransactionsLength(k)) {
    fail(what, `k ${k} needs ${getBlockTransactionsLength(k)} bytes, the payload has ${reader.length}`)
  }
  const indexes: number[] = []
  let previous = -1
  for (let at = PREFIX; at < reader.length; at += 4) {
    const index = u32At(reader, at)
    if (index <= previous || index >= maxTransactions(shape)) {
      fail(what, `index ${index} must be above ${previous} and below ${maxTransactions(shape)}`)
    }
    indexes.push(index)
    previous = index
  }
  return { hash: reader.view(0, BLOCK_HASH_LENGTH).slice(), indexes }
}

/** @throws InvalidMessageFormatError */
export function encodeBlockTransactions(answer: BlockTransactions, shape: TransactionsShape): Uint8Array {
  const what = 'block_transactions'
  const { hash, transactions } = answer
  const T = shape.transactionBytes
  if (hash.length !== BLOCK_HASH_LENGTH) fail(what, `the block hash must be ${BLOCK_HASH_LENGTH} bytes`)
  if (transactions.length > maxTransactions(shape))
    fail(what, `${transactions.length} transactions is too many`)
  const out = new Uint8Array(blockTransactionsLength(transactions.length, shape))
  out.set(hash, 0)
  writeU32(out, BLOCK_HASH_LENGTH, transactions.length)
  transactions.forEach((transaction, k) => {
    if (transaction.length !== T) fail(what, `transaction ${k} must be ${T} bytes`)
    out.set(transaction, PREFIX + k * T)
  })
  return out
}

/** The transactions of a block_transactions payload, as views of the input where it allows. */
export function decodeBlockTransactions(input: ByteInput, shape: TransactionsShape): BlockTransactions {
  const what = 'block_transactions'
  const reader = readerOf(input)
  const T = shape.transactionBytes
  if (reader.length < PREFIX) fail(what, `${reader.length} bytes end before the count`)
  const k = u32At(reader, BLOCK_HASH_LENGTH)
  if (k > maxTransactions(shape))
    fail(what, `${k} transactions is over the chain's ${maxTransactions(shape)}`)
  if (reader.length !== blockTransactionsLength(k, shape)) {
    fail(what, `k ${k} needs ${blockTransactionsLength(k, shape)} bytes, the payload has ${reader.length}`)
  }
  const transactions: Uint8Array[] = []
  for (let i = 0; i < k; i++) transactions.push(reader.view(PREFIX + i * T, PREFIX + (i + 1) * T))
  return { hash: reader.view(0, BLOCK_HASH_LENGTH).slice(), transactions }
}
