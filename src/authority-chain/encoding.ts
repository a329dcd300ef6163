/**
 * The authority chain's canonical encodings (docs/authority-chain.md "Byte layouts"):
 * fixed-width big-endian fields, one byte string per value, so hashes are well defined and
 * headers and transactions have the fixed sizes protocols/blocks.md and mempool.md pack
 * them at. Decoders take a peer's bytes: anything else is a MalformedError, never another
 * exception. Encoders refuse values with no encoding the same way. Browser-safe.
 */
import type { ChainCodec } from '../ports/chain.ts'
import { type ByteInput, contiguous, utf8Encode } from '../wire/bytes.ts'
import {
  BLOCK_PREFIX_BYTES,
  HEADER_OFFSET as H,
  HASH_BYTES,
  HEADER_BYTES,
  HEADER_SIGNING_TAG,
  HEADER_VERSION,
  KEY_BYTES,
  MAX_BLOCK_BYTES,
  MAX_U32,
  MAX_U64,
  SALT_BYTES,
  SIGNATURE_BYTES,
  TRANSACTION_OFFSET as T,
  TRANSACTION_BYTES,
  TRANSACTION_SIGNING_TAG,
  UNSIGNED_HEADER_BYTES,
  UNSIGNED_TRANSACTION_BYTES,
} from './constants.ts'
import { MalformedError } from './errors.ts'
import type { AuthorityBlock, AuthorityHeader, AuthorityTransaction } from './types.ts'

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function bytesOf(value: unknown, length: number, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new MalformedError(`${field} must be ${length} bytes`)
  }
  return value
}

function integerOf(value: unknown, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new MalformedError(`${field} must be an integer in 0..${max}`)
  }
  return value
}

function writeHeader(out: Uint8Array, header: AuthorityHeader): void {
  if (header.version !== HEADER_VERSION) throw new MalformedError(`header version must be ${HEADER_VERSION}`)
  const view = viewOf(out)
  out[H.version] = header.version
  view.setUint32(H.height, integerOf(header.height, MAX_U32, 'header height'))
  out.set(bytesOf(header.parentHash, HASH_BYTES, 'header parentHash'), H.parentHash)
  view.setBigUint64(H.timestamp, BigInt(integerOf(header.timestamp, Number.MAX_SAFE_INTEGER, 'timestamp')))
  out.set(bytesOf(header.txRoot, HASH_BYTES, 'header txRoot'), H.txRoot)
  view.setUint16(H.proposer, integerOf(header.proposer, 0xffff, 'header proposer'))
  out.set(bytesOf(header.signature, SIGNATURE_BYTES, 'header signature'), H.signature)
}

/** The 143-byte header encoding (what the block hash covers). */
export function encodeHeader(header: AuthorityHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES)
  writeHeader(out, header)
  return out
}

function readHeader(bytes: Uint8Array): AuthorityHeader {
  // Another version may lay its header out otherwise: nothing after the byte can be read.
  if (bytes[H.version] !== HEADER_VERSION) throw new MalformedError(`unknown header version ${bytes[0]}`)
  const view = viewOf(bytes)
  const timestamp = view.getBigUint64(H.timestamp)
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedError('timestamp is over 2^53 − 1')
  return {
    version: HEADER_VERSION,
    height: view.getUint32(H.height),
    parentHash: bytes.slice(H.parentHash, H.parentHash + HASH_BYTES),
    timestamp: Number(timestamp),
    txRoot: bytes.slice(H.txRoot, H.txRoot + HASH_BYTES),
    proposer: view.getUint16(H.proposer),
    signature: bytes.slice(H.signature, H.signature + SIGNATURE_BYTES),
  }
}

/** @throws MalformedError unless `input` is exactly one header's encoding */
export function decodeHeader(input: ByteInput): AuthorityHeader {
  const bytes = contiguous(input)
  if (bytes.length !== HEADER_BYTES) throw new MalformedError(`a header is ${HEADER_BYTES} bytes`)
  return readHeader(bytes)
}

function writeTransaction(out: Uint8Array, offset: number, tx: AuthorityTransaction): void {
  const view = viewOf(out)
  out.set(bytesOf(tx.from, KEY_BYTES, 'transaction from'), offset + T.from)
  out.set(bytesOf(tx.to, KEY_BYTES, 'transaction to'), offset + T.to)
  if (typeof tx.amount !== 'bigint' || tx.amount < 0n || tx.amount > MAX_U64) {
    throw new MalformedError('transaction amount must be a u64 bigint')
  }
  view.setBigUint64(offset + T.amount, tx.amount)
  out.set(bytesOf(tx.salt, SALT_BYTES, 'transaction salt'), offset + T.salt)
  view.setUint32(offset + T.expiry, integerOf(tx.expiry, MAX_U32, 'transaction expiry'))
  out.set(bytesOf(tx.signature, SIGNATURE_BYTES, 'transaction signature'), offset + T.signature)
}

/** The 156-byte transaction encoding, signature included (what its id covers). */
export function encodeTransaction(tx: AuthorityTransaction): Uint8Array {
  const out = new Uint8Array(TRANSACTION_BYTES)
  writeTransaction(out, 0, tx)
  return out
}

function readTransaction(bytes: Uint8Array, offset: number): AuthorityTransaction {
  const view = viewOf(bytes)
  return {
    from: bytes.slice(offset + T.from, offset + T.from + KEY_BYTES),
    to: bytes.slice(offset + T.to, offset + T.to + KEY_BYTES),
    amount: view.getBigUint64(offset + T.amount),
    salt: bytes.slice(offset + T.salt, offset + T.salt + SALT_BYTES),
    expiry: view.getUint32(offset + T.expiry),
    signature: bytes.slice(offset + T.signature, offset + T.signature + SIGNATURE_BYTES),
  }
}

/** @throws MalformedError unless `input` is exactly one transaction's encoding */
export function decodeTransaction(input: ByteInput): AuthorityTransaction {
  const bytes = contiguous(input)
  if (bytes.length !== TRANSACTION_BYTES) {
    throw new MalformedError(`a transaction is ${TRANSACTION_BYTES} bytes`)
  }
  return readTransaction(bytes, 0)
}

/** Whether `length` can be a block encoding's: 147 + 156·n bytes, at most 1 MiB. */
export function isBlockLength(length: number): boolean {
  return (
    Number.isInteger(length) &&
    length >= BLOCK_PREFIX_BYTES &&
    length <= MAX_BLOCK_BYTES &&
    (length - BLOCK_PREFIX_BYTES) % TRANSACTION_BYTES === 0
  )
}

/** Header, u32 transaction count, then the transactions. */
export function encodeBlock(block: AuthorityBlock): Uint8Array {
  const length = BLOCK_PREFIX_BYTES + block.transactions.length * TRANSACTION_BYTES
  if (length > MAX_BLOCK_BYTES) throw new MalformedError(`a block of ${length} bytes is over 1 MiB`)
  const out = new Uint8Array(length)
  writeHeader(out, block.header)
  viewOf(out).setUint32(HEADER_BYTES, block.transactions.length)
  block.transactions.forEach((tx, i) => {
    writeTransaction(out, BLOCK_PREFIX_BYTES + i * TRANSACTION_BYTES, tx)
  })
  return out
}

/** @throws MalformedError unless the count accounts for every byte after the header, within 1 MiB */
export function decodeBlock(input: ByteInput): AuthorityBlock {
  const bytes = contiguous(input)
  if (!isBlockLength(bytes.length)) throw new MalformedError(`${bytes.length} bytes is no block length`)
  const count = viewOf(bytes).getUint32(HEADER_BYTES)
  if (BLOCK_PREFIX_BYTES + count * TRANSACTION_BYTES !== bytes.length) {
    throw new MalformedError(`the count ${count} does not match the block's ${bytes.length} bytes`)
  }
  const header = readHeader(bytes.subarray(0, HEADER_BYTES))
  const transactions: AuthorityTransaction[] = new Array(count)
  for (let i = 0; i < count; i++)
    transactions[i] = readTransaction(bytes, BLOCK_PREFIX_BYTES + i * TRANSACTION_BYTES)
  return { header, transactions }
}

/** u8 length, then the chain ID's UTF-8: the chain a signature is valid on. */
export function chainIdBytes(chainId: string): Uint8Array {
  const utf8 = utf8Encode(chainId)
  if (utf8.length === 0 || utf8.length > 32) throw new TypeError('a chain ID is 1..32 bytes of UTF-8')
  const out = new Uint8Array(1 + utf8.length)
  out[0] = utf8.length
  out.set(utf8, 1)
  return out
}

function signingMessage(tag: Uint8Array, chainId: string, body: Uint8Array): Uint8Array {
  const id = chainIdBytes(chainId)
  const out = new Uint8Array(tag.length + id.length + body.length)
  out.set(tag, 0)
  out.set(id, tag.length)
  out.set(body, tag.length + id.length)
  return out
}

/** "paw-authority-header-v1", the chain ID, then the header's first 79 bytes (all but the signature). */
export function headerSigningMessage(header: AuthorityHeader, chainId: string): Uint8Array {
  const unsigned = encodeHeader({ ...header, signature: new Uint8Array(SIGNATURE_BYTES) })
  return signingMessage(HEADER_SIGNING_TAG, chainId, unsigned.subarray(0, UNSIGNED_HEADER_BYTES))
}

/** "paw-authority-tx-v1", the chain ID, then the transaction's first 92 bytes (all but the signature). */
export function transactionSigningMessage(tx: AuthorityTransaction, chainId: string): Uint8Array {
  const unsigned = encodeTransaction({ ...tx, signature: new Uint8Array(SIGNATURE_BYTES) })
  return signingMessage(TRANSACTION_SIGNING_TAG, chainId, unsigned.subarray(0, UNSIGNED_TRANSACTION_BYTES))
}

/** The codec the node's API uses (announce, submit, fetch); the network layer never calls it. */
export const AUTHORITY_CODEC: ChainCodec<AuthorityBlock, AuthorityTransaction, AuthorityHeader> =
  Object.freeze({
    encodeBlock,
    decodeBlock,
    encodeTransaction,
    decodeTransaction,
    decodeHeader,
  })
