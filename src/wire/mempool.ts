/**
 * `/paw/mempool/1` payloads (000 MEMPOOL_SYNC and TRANSACTION_REQUEST;
 * protocols/mempool.md):
 *
 *   mempool_hashes:   [u16 BE count 0..4096] then count × [32-byte transaction hash]
 *   get_transactions: [u16 BE count 1..256]  then count × [32-byte transaction hash]
 *   transactions:     [u16 BE found] found × [transaction encoding of the chain's fixed size]
 *                     [u16 BE missing] missing × [32-byte transaction hash]
 *                     with 1 ≤ found + missing ≤ 256
 *
 * A transaction hash is the id the chain gives a transaction encoding (its hash; the
 * chain's port computes it). Every fault is structural and rejects the whole message with
 * 0x05: a count over its limit, a count that disagrees with the bytes, a hash (or a
 * transaction encoding) listed twice. The codec checks the framing of transaction entries
 * only (each is exactly the chain's ChainShape.transactionBytes, src/ports/chain.ts;
 * protocols/mempool.md gives the size of the chain on a PAW network); their signatures and
 * chain rules are the receiver's checks.
 */
import { InvalidMessageFormatError } from '../errors.ts'
import { type ByteInput, contiguous } from './bytes.ts'

/** Bytes of a transaction hash, the id a chain gives a transaction (protocols/mempool.md: 32). */
export const MEMPOOL_HASH_LENGTH = 32

/**
 * Most hashes in one `mempool_hashes`: 4096 × 32 B = 128 KiB of payload, 1.25% of the
 * frame limit, and several blocks' worth of pending transactions. A node with more pending
 * lists the 4096 with the highest fee; gossip carries the rest.
 */
export const MAX_MEMPOOL_HASHES = 4096

/**
 * Most hashes in one `get_transactions`, and most entries (found + missing) in the
 * `transactions` answer: 256 transactions per answer, small enough that one answer never
 * holds up a stream for long, and a whole 4096-hash inventory is fetched in 16 requests.
 */
export const MAX_TRANSACTIONS_PER_REQUEST = 256

const COUNT_BYTES = 2

export interface TransactionsResponse {
  /** The requested transactions this node holds, in request order, each of the chain's size. */
  transactions: Uint8Array[]
  /** The requested hashes this node does not hold, in request order. */
  notFound: Uint8Array[]
}

function fail(what: string, message: string): never {
  throw new InvalidMessageFormatError(`${what}: ${message}`)
}

/** Whether `transactionBytes` can be a chain's transaction size. @throws RangeError if not */
function checkTransactionBytes(transactionBytes: number): void {
  if (!Number.isSafeInteger(transactionBytes) || transactionBytes < 1) {
    throw new RangeError(
      `a transaction encoding is a positive whole number of bytes, got ${transactionBytes}`,
    )
  }
}

/** A string key with one char per byte, for duplicate detection. */
function keyOf(bytes: Uint8Array): string {
  let key = ''
  for (const byte of bytes) key += String.fromCharCode(byte)
  return key
}

function checkDistinct(what: string, entries: readonly Uint8Array[], noun: string): void {
  const seen = new Set<string>()
  for (const [index, entry] of entries.entries()) {
    const key = keyOf(entry)
    if (seen.has(key)) fail(what, `${noun} ${index} repeats an earlier one`)
    seen.add(key)
  }
}

function checkEntries(what: string, entries: readonly Uint8Array[], length: number, noun: string): void {
  for (const [index, entry] of entries.entries()) {
    if (!(entry instanceof Uint8Array) || entry.length !== length) {
      fail(what, `${noun} ${index} must be ${length} bytes`)
    }
  }
  checkDistinct(what, entries, noun)
}

/** Writes a u16 BE count and the entries from `offset`; returns the offset after them. */
function writeList(out: Uint8Array, offset: number, entries: readonly Uint8Array[]): number {
  out[offset] = entries.length >> 8
  out[offset + 1] = entries.length & 0xff
  let at = offset + COUNT_BYTES
  for (const entry of entries) {
    out.set(entry, at)
    at += entry.length
  }
  return at
}

/** Reads a u16 BE count at `offset`, or fails if the payload ends first. */
function readCount(what: string, payload: Uint8Array, offset: number, field: string): number {
  if (offset + COUNT_BYTES > payload.length) fail(what, `payload ends before the 2-byte ${field}`)
  return ((payload[offset] as number) << 8) | (payload[offset + 1] as number)
}

function sliceEntries(payload: Uint8Array, offset: number, count: number, length: number): Uint8Array[] {
  const entries: Uint8Array[] = []
  for (let index = 0; index < count; index++) {
    const start = offset + index * length
    entries.push(payload.slice(start, start + length))
  }
  return entries
}

function encodeHashList(what: string, hashes: readonly Uint8Array[], min: number, max: number): Uint8Array {
  if (hashes.length < min || hashes.length > max) {
    fail(what, `holds ${hashes.length} hashes, must be ${min}..${max}`)
  }
  checkEntries(what, hashes, MEMPOOL_HASH_LENGTH, 'hash')
  const out = new Uint8Array(COUNT_BYTES + hashes.length * MEMPOOL_HASH_LENGTH)
  writeList(out, 0, hashes)
  return out
}

function decodeHashList(what: string, input: ByteInput, min: number, max: number): Uint8Array[] {
  const payload = contiguous(input)
  const count = readCount(what, payload, 0, 'count')
  if (count < min || count > max) fail(what, `count ${count} is outside ${min}..${max}`)
  const expected = COUNT_BYTES + count * MEMPOOL_HASH_LENGTH
  if (payload.length !== expected) {
    fail(what, `count ${count} needs ${expected} bytes, the payload has ${payload.length}`)
  }
  const hashes = sliceEntries(payload, COUNT_BYTES, count, MEMPOOL_HASH_LENGTH)
  checkDistinct(what, hashes, 'hash')
  return hashes
}

/**
 * MEMPOOL_SYNC inventory: up to 4096 distinct transaction hashes (none is allowed: an empty
 * mempool).
 * @throws InvalidMessageFormatError
 */
export function encodeMempoolHashes(hashes: readonly Uint8Array[]): Uint8Array {
  return encodeHashList('mempool_hashes', hashes, 0, MAX_MEMPOOL_HASHES)
}

/** @throws InvalidMessageFormatError for any fault (the whole message is rejected) */
export function decodeMempoolHashes(input: ByteInput): Uint8Array[] {
  return decodeHashList('mempool_hashes', input, 0, MAX_MEMPOOL_HASHES)
}

/**
 * TRANSACTION_REQUEST: 1 to 256 distinct transaction hashes.
 * @throws InvalidMessageFormatError
 */
export function encodeGetTransactions(hashes: readonly Uint8Array[]): Uint8Array {
  return encodeHashList('get_transactions', hashes, 1, MAX_TRANSACTIONS_PER_REQUEST)
}

/** @throws InvalidMessageFormatError for any fault (the whole message is rejected) */
export function decodeGetTransactions(input: ByteInput): Uint8Array[] {
  return decodeHashList('get_transactions', input, 1, MAX_TRANSACTIONS_PER_REQUEST)
}

/**
 * The answer to a `get_transactions`: the transactions found (each `transactionBytes`, the
 * chain's ChainShape.transactionBytes), then the hashes not found. Refuses anything the
 * decoder would reject.
 * @throws InvalidMessageFormatError; RangeError for a `transactionBytes` no chain can have
 */
export function encodeTransactions(response: TransactionsResponse, transactionBytes: number): Uint8Array {
  const what = 'transactions'
  checkTransactionBytes(transactionBytes)
  const { transactions, notFound } = response
  const total = transactions.length + notFound.length
  if (total < 1 || total > MAX_TRANSACTIONS_PER_REQUEST) {
    fail(what, `holds ${total} entries (found + not found), must be 1..${MAX_TRANSACTIONS_PER_REQUEST}`)
  }
  checkEntries(what, transactions, transactionBytes, 'transaction')
  checkEntries(what, notFound, MEMPOOL_HASH_LENGTH, 'missing hash')
  const out = new Uint8Array(
    2 * COUNT_BYTES + transactions.length * transactionBytes + notFound.length * MEMPOOL_HASH_LENGTH,
  )
  writeList(out, writeList(out, 0, transactions), notFound)
  return out
}

/**
 * The transactions (each `transactionBytes`, the chain's) and missing hashes of a
 * `transactions` payload.
 * @throws InvalidMessageFormatError for any fault (the whole message is rejected);
 *   RangeError for a `transactionBytes` no chain can have
 */
export function decodeTransactions(input: ByteInput, transactionBytes: number): TransactionsResponse {
  const what = 'transactions'
  checkTransactionBytes(transactionBytes)
  const payload = contiguous(input)
  const found = readCount(what, payload, 0, 'transaction count')
  if (found > MAX_TRANSACTIONS_PER_REQUEST) {
    fail(what, `transaction count ${found} is over ${MAX_TRANSACTIONS_PER_REQUEST}`)
  }
  const missingAt = COUNT_BYTES + found * transactionBytes
  if (missingAt + COUNT_BYTES > payload.length) {
    fail(
      what,
      `${found} transactions and the missing count need ${missingAt + COUNT_BYTES} bytes, the payload has ${payload.length}`,
    )
  }
  const missing = readCount(what, payload, missingAt, 'missing count')
  const total = found + missing
  if (total < 1 || total > MAX_TRANSACTIONS_PER_REQUEST) {
    fail(what, `${found} found + ${missing} missing is outside 1..${MAX_TRANSACTIONS_PER_REQUEST}`)
  }
  const expected = missingAt + COUNT_BYTES + missing * MEMPOOL_HASH_LENGTH
  if (payload.length !== expected) {
    fail(
      what,
      `the counts (${found} found, ${missing} missing) need ${expected} bytes, the payload has ${payload.length}`,
    )
  }
  const transactions = sliceEntries(payload, COUNT_BYTES, found, transactionBytes)
  const notFound = sliceEntries(payload, missingAt + COUNT_BYTES, missing, MEMPOOL_HASH_LENGTH)
  checkDistinct(what, transactions, 'transaction')
  checkDistinct(what, notFound, 'missing hash')
  return { transactions, notFound }
}
