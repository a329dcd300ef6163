/**
 * Canonical binary encoding of transactions, headers and blocks (docs/chain.md "Byte
 * layouts"). Every integer is big-endian and fixed width, every field has one encoding,
 * so a value has exactly one byte string and hashes are well defined. Browser-safe.
 *
 * Decoders take bytes from peers: anything malformed is a ChainError MALFORMED, never
 * another exception. Encoders refuse a value with no canonical encoding (a field of the
 * wrong length, an integer out of range) with the same error, so validating a `Block`
 * object that did not come from the decoder is just as safe.
 */
import { ErrorCode, hasErrorCode } from '../errors.ts'
import { type ByteInput, contiguous, utf8Encode } from '../wire/bytes.ts'
import { decodeChainId, encodeChainId } from '../wire/handshake.ts'
import { ChainError, ChainErrorCode } from './errors.ts'
import type { Block, BlockHeader, Transaction } from './types.ts'

/**
 * The only header format this version knows: 2, which added the state root (issue 18).
 * Version 1 (153 bytes, no state root) is refused like any unknown version: devnet data
 * written before it is not upgraded in place (docs/chain.md "Header").
 */
export const HEADER_VERSION = 2

export const ADDRESS_LENGTH = 32
export const HASH_LENGTH = 32
export const TARGET_LENGTH = 32
export const SIGNATURE_LENGTH = 64
export const CHAIN_ID_FIELD_LENGTH = 32

/** from(32) to(32) amount(8) fee(8) nonce(8): the part the signature covers. */
export const TRANSACTION_BODY_LENGTH = 88
/** The body, then the signature(64). */
export const TRANSACTION_LENGTH = TRANSACTION_BODY_LENGTH + SIGNATURE_LENGTH
/**
 * version(1) chainId(32) height(8) previousHash(32) timestamp(8) txRoot(32) stateRoot(32)
 * target(32) nonce(8).
 */
export const HEADER_LENGTH = 185
/** Offset of the header's nonce: the last 8 bytes, which mining rewrites. */
export const HEADER_NONCE_OFFSET = HEADER_LENGTH - 8
/** The header, then the u32 transaction count. */
export const BLOCK_PREFIX_LENGTH = HEADER_LENGTH + 4

/**
 * The domain tag before a transaction's signed bytes. With the chain ID field after it, a
 * signature made for one chain verifies on no other chain and means nothing as any other
 * PAW message.
 */
export const TRANSACTION_SIGNING_TAG = utf8Encode('paw-tx-v1')
/** tag(9) chainId(32) body(88). */
export const TRANSACTION_SIGNING_LENGTH =
  TRANSACTION_SIGNING_TAG.length + CHAIN_ID_FIELD_LENGTH + TRANSACTION_BODY_LENGTH

export const MAX_U64 = (1n << 64n) - 1n

function malformed(message: string): ChainError {
  return new ChainError(ChainErrorCode.Malformed, message)
}

/**
 * Chain ID fields already encoded: every signature check needs its chain's field, and a
 * node knows one or two chains. Bounded: a string that is no chain ID throws before this.
 */
const chainIdFields = new Map<string, Uint8Array>()
const MAX_CACHED_CHAIN_IDS = 64

/** The 32-byte chain ID field; MALFORMED for an ID that has none. */
export function chainIdField(chainId: string): Uint8Array {
  const known = chainIdFields.get(chainId)
  if (known !== undefined) return known
  try {
    const field = encodeChainId(chainId)
    if (chainIdFields.size < MAX_CACHED_CHAIN_IDS) chainIdFields.set(chainId, field)
    return field
  } catch (error) {
    if (hasErrorCode(error, ErrorCode.InvalidMessageFormat)) throw malformed(error.message)
    throw error
  }
}

function readChainId(field: Uint8Array): string {
  try {
    return decodeChainId(field)
  } catch (error) {
    if (hasErrorCode(error, ErrorCode.InvalidMessageFormat)) throw malformed(error.message)
    throw error
  }
}

function checkBytes(value: unknown, length: number, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw malformed(`${field} must be ${length} bytes`)
  }
  return value
}

function checkU64(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) {
    throw malformed(`${field} must be a u64 bigint`)
  }
  return value
}

function checkSafeU64(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw malformed(`${field} must be a safe non-negative integer`)
  }
  return value
}

function writeTransactionBody(out: Uint8Array, view: DataView, offset: number, tx: Transaction): void {
  out.set(checkBytes(tx.from, ADDRESS_LENGTH, 'transaction from'), offset)
  out.set(checkBytes(tx.to, ADDRESS_LENGTH, 'transaction to'), offset + 32)
  view.setBigUint64(offset + 64, checkU64(tx.amount, 'transaction amount'))
  view.setBigUint64(offset + 72, checkU64(tx.fee, 'transaction fee'))
  view.setBigUint64(offset + 80, checkU64(tx.nonce, 'transaction nonce'))
}

function writeTransaction(out: Uint8Array, view: DataView, offset: number, tx: Transaction): void {
  writeTransactionBody(out, view, offset, tx)
  out.set(
    checkBytes(tx.signature, SIGNATURE_LENGTH, 'transaction signature'),
    offset + TRANSACTION_BODY_LENGTH,
  )
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * The encoding each decoded transaction was read from. A transaction from the network is
 * hashed, sized and re-sent several times on its way (its id at gossip, the pool, block
 * validation, the mempool and the recent-transactions index when its block connects):
 * keeping the bytes it came in saves re-encoding it each time. Its `from`, `to` and
 * `signature` are views into these bytes, so changing them in place changes the encoding
 * with them; a field given a new value is noticed by `sourceOf`, which then answers nothing.
 */
const decodedFrom = new WeakMap<Transaction, DecodedFrom>()

/** A decoded transaction's bytes and the numbers read from them (compared, not re-read, by sourceOf). */
interface DecodedFrom {
  bytes: Uint8Array
  amount: bigint
  fee: bigint
  nonce: bigint
}

/** The bytes `tx` was decoded from, if it was and still matches them. */
function sourceOf(tx: Transaction): Uint8Array | undefined {
  const from = decodedFrom.get(tx)
  if (from === undefined) return undefined
  const { bytes } = from
  const intact =
    tx.from.buffer === bytes.buffer &&
    tx.from.byteOffset === bytes.byteOffset &&
    tx.to.buffer === bytes.buffer &&
    tx.to.byteOffset === bytes.byteOffset + ADDRESS_LENGTH &&
    tx.signature.buffer === bytes.buffer &&
    tx.signature.byteOffset === bytes.byteOffset + TRANSACTION_BODY_LENGTH &&
    tx.from.length === ADDRESS_LENGTH &&
    tx.to.length === ADDRESS_LENGTH &&
    tx.signature.length === SIGNATURE_LENGTH &&
    tx.amount === from.amount &&
    tx.fee === from.fee &&
    tx.nonce === from.nonce
  if (!intact) decodedFrom.delete(tx)
  return intact ? bytes : undefined
}

/**
 * The 152-byte encoding of a transaction, signature included (what its hash covers). For
 * a decoded transaction, the bytes it was decoded from: the caller must not write to them.
 */
export function encodeTransaction(tx: Transaction): Uint8Array {
  const source = sourceOf(tx)
  if (source !== undefined) return source
  const out = new Uint8Array(TRANSACTION_LENGTH)
  writeTransaction(out, viewOf(out), 0, tx)
  return out
}

/**
 * The bytes a transaction's signature covers: the tag "paw-tx-v1", the 32-byte chain ID
 * field, then from, to, amount, fee and nonce (the encoding without the signature).
 */
export function transactionSigningMessage(tx: Transaction, chainId: string): Uint8Array {
  const out = new Uint8Array(TRANSACTION_SIGNING_LENGTH)
  out.set(TRANSACTION_SIGNING_TAG, 0)
  out.set(chainIdField(chainId), TRANSACTION_SIGNING_TAG.length)
  writeTransactionBody(out, viewOf(out), TRANSACTION_SIGNING_TAG.length + CHAIN_ID_FIELD_LENGTH, tx)
  return out
}

function readTransaction(bytes: Uint8Array, view: DataView, offset: number): Transaction {
  // One copy of the 152 bytes (not a view of the message or block they came in, which
  // would keep all of it alive; Buffer's slice is such a view), which the byte fields view
  // and encodeTransaction returns.
  const own = new Uint8Array(TRANSACTION_LENGTH)
  own.set(bytes.subarray(offset, offset + TRANSACTION_LENGTH))
  const amount = view.getBigUint64(offset + 64)
  const fee = view.getBigUint64(offset + 72)
  const nonce = view.getBigUint64(offset + 80)
  const tx: Transaction = {
    from: own.subarray(0, ADDRESS_LENGTH),
    to: own.subarray(ADDRESS_LENGTH, 2 * ADDRESS_LENGTH),
    amount,
    fee,
    nonce,
    signature: own.subarray(TRANSACTION_BODY_LENGTH, TRANSACTION_LENGTH),
  }
  decodedFrom.set(tx, { bytes: own, amount, fee, nonce })
  return tx
}

/** @throws ChainError MALFORMED unless `input` is exactly one transaction's encoding */
export function decodeTransaction(input: ByteInput): Transaction {
  const bytes = contiguous(input)
  if (bytes.length !== TRANSACTION_LENGTH) {
    throw malformed(`a transaction is ${TRANSACTION_LENGTH} bytes, got ${bytes.length}`)
  }
  return readTransaction(bytes, viewOf(bytes), 0)
}

/** Transactions decoded from received messages, by the message's bytes object (decodeReceivedTransaction). */
const decodedFromMessage = new WeakMap<Uint8Array, Transaction>()

/**
 * decodeTransaction for a received message's bytes, which nobody writes to: the same bytes
 * object gives the same Transaction, so a gossiped transaction is decoded and hashed once
 * for its gossip message ID, its judge and the pool, not once each.
 * @throws ChainError MALFORMED as decodeTransaction
 */
export function decodeReceivedTransaction(encoded: Uint8Array): Transaction {
  const known = decodedFromMessage.get(encoded)
  if (known !== undefined && sourceOf(known) !== undefined) return known
  const tx = decodeTransaction(encoded)
  decodedFromMessage.set(encoded, tx)
  return tx
}

function writeHeader(out: Uint8Array, view: DataView, header: BlockHeader): void {
  if (header.version !== HEADER_VERSION) {
    throw malformed(`header version must be ${HEADER_VERSION}, got ${String(header.version)}`)
  }
  out[0] = header.version
  out.set(chainIdField(header.chainId), 1)
  view.setBigUint64(33, BigInt(checkSafeU64(header.height, 'header height')))
  out.set(checkBytes(header.previousHash, HASH_LENGTH, 'header previousHash'), 41)
  view.setBigUint64(73, BigInt(checkSafeU64(header.timestamp, 'header timestamp')))
  out.set(checkBytes(header.txRoot, HASH_LENGTH, 'header txRoot'), 81)
  out.set(checkBytes(header.stateRoot, HASH_LENGTH, 'header stateRoot'), 113)
  out.set(checkBytes(header.target, TARGET_LENGTH, 'header target'), 145)
  view.setBigUint64(HEADER_NONCE_OFFSET, checkU64(header.nonce, 'header nonce'))
}

/** The 185-byte header encoding (what the block hash covers). */
export function encodeHeader(header: BlockHeader): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH)
  writeHeader(out, viewOf(out), header)
  return out
}

function readSafeU64(view: DataView, offset: number, field: string): number {
  const value = view.getBigUint64(offset)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`${field} ${value} is over 2^53 - 1`)
  return Number(value)
}

function readHeader(bytes: Uint8Array, view: DataView): BlockHeader {
  const version = bytes[0] as number
  // Another version may lay out its header differently: nothing after the byte can be judged.
  if (version !== HEADER_VERSION)
    throw malformed(`unknown header version ${version}, expected ${HEADER_VERSION}`)
  return {
    version,
    chainId: readChainId(bytes.subarray(1, 33)),
    height: readSafeU64(view, 33, 'height'),
    previousHash: bytes.slice(41, 73),
    timestamp: readSafeU64(view, 73, 'timestamp'),
    txRoot: bytes.slice(81, 113),
    stateRoot: bytes.slice(113, 145),
    target: bytes.slice(145, 177),
    nonce: view.getBigUint64(HEADER_NONCE_OFFSET),
  }
}

/** @throws ChainError MALFORMED unless `input` is exactly one header's encoding */
export function decodeHeader(input: ByteInput): BlockHeader {
  const bytes = contiguous(input)
  if (bytes.length !== HEADER_LENGTH) {
    throw malformed(`a header is ${HEADER_LENGTH} bytes, got ${bytes.length}`)
  }
  return readHeader(bytes, viewOf(bytes))
}

/** The length of a block's encoding, computed without encoding it. */
export function encodedBlockLength(block: Block): number {
  return BLOCK_PREFIX_LENGTH + block.transactions.length * TRANSACTION_LENGTH
}

/** Header, u32 transaction count, then the transactions. */
export function encodeBlock(block: Block): Uint8Array {
  const count = block.transactions.length
  if (count > 0xffff_ffff) throw malformed(`${count} transactions do not fit a u32 count`)
  const out = new Uint8Array(encodedBlockLength(block))
  const view = viewOf(out)
  writeHeader(out, view, block.header)
  view.setUint32(HEADER_LENGTH, count)
  let offset = BLOCK_PREFIX_LENGTH
  for (const tx of block.transactions) {
    writeTransaction(out, view, offset, tx)
    offset += TRANSACTION_LENGTH
  }
  return out
}

/**
 * @throws ChainError MALFORMED unless `input` is exactly one block's encoding: the count
 *   must account for every byte after the header, no more and no fewer
 */
export function decodeBlock(input: ByteInput): Block {
  const bytes = contiguous(input)
  if (bytes.length < BLOCK_PREFIX_LENGTH) {
    throw malformed(`a block is at least ${BLOCK_PREFIX_LENGTH} bytes, got ${bytes.length}`)
  }
  const view = viewOf(bytes)
  const count = view.getUint32(HEADER_LENGTH)
  const expected = BLOCK_PREFIX_LENGTH + count * TRANSACTION_LENGTH
  if (bytes.length !== expected) {
    throw malformed(`a block of ${count} transactions is ${expected} bytes, got ${bytes.length}`)
  }
  const header = readHeader(bytes, view)
  const transactions: Transaction[] = new Array(count)
  for (let i = 0; i < count; i++) {
    transactions[i] = readTransaction(bytes, view, BLOCK_PREFIX_LENGTH + i * TRANSACTION_LENGTH)
  }
  return { header, transactions }
}
