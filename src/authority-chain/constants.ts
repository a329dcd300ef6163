/**
 * The authority chain's fixed sizes and rules (docs/authority-chain.md "Byte layouts",
 * "Validity"). Every integer is big-endian. Browser-safe.
 */
import { utf8Encode } from '../wire/bytes.ts'

/** The only header format this version knows. */
export const HEADER_VERSION = 1

export const HASH_BYTES = 32
export const KEY_BYTES = 32
export const SIGNATURE_BYTES = 64
export const SALT_BYTES = 16

/** version(1) height(4) parentHash(32) timestamp(8) txRoot(32) proposer(2): what the signature covers. */
export const UNSIGNED_HEADER_BYTES = 79
/** The unsigned header, then the proposer's signature(64). */
export const HEADER_BYTES = UNSIGNED_HEADER_BYTES + SIGNATURE_BYTES
/** Offsets of the header's fields. */
export const HEADER_OFFSET = {
  version: 0,
  height: 1,
  parentHash: 5,
  timestamp: 37,
  txRoot: 45,
  proposer: 77,
  signature: 79,
} as const

/** from(32) to(32) amount(8) salt(16) expiry(4): what the sender's signature covers. */
export const UNSIGNED_TRANSACTION_BYTES = 92
/** The unsigned transaction, then the sender's signature(64). */
export const TRANSACTION_BYTES = UNSIGNED_TRANSACTION_BYTES + SIGNATURE_BYTES
export const TRANSACTION_OFFSET = {
  from: 0,
  to: 32,
  amount: 64,
  salt: 72,
  expiry: 88,
  signature: 92,
} as const

/** The header, then the u32 transaction count. */
export const BLOCK_PREFIX_BYTES = HEADER_BYTES + 4
/**
 * The largest block encoding: 1 MiB, far below a frame's 10 MiB less 64 bytes
 * (protocols/framing.md), so a `blocks` answer of several still fits one frame.
 */
export const MAX_BLOCK_BYTES = 1024 * 1024
/** How many transactions the largest block holds. */
export const MAX_BLOCK_TRANSACTIONS = Math.floor((MAX_BLOCK_BYTES - BLOCK_PREFIX_BYTES) / TRANSACTION_BYTES)

/**
 * A transaction included at height h must expire at h at the soonest and at h + 1024 at the
 * latest: the chain remembers an included id until its expiry height, so this bounds that
 * memory (replay protection without per-account nonces; docs/authority-chain.md "Replay").
 */
export const MAX_TRANSACTION_LIFETIME = 1024
/** How far ahead of the node's clock a block's timestamp may be. */
export const MAX_FUTURE_DRIFT_MS = 15_000
/** The time between blocks validators aim for, unless genesis says otherwise. */
export const DEFAULT_BLOCK_INTERVAL_MS = 5_000
/** Pending transactions a pool holds at most, by default. */
export const DEFAULT_POOL_CAPACITY = 10_000

/** u64 bound of amounts and balances. */
export const MAX_U64 = (1n << 64n) - 1n
export const MAX_U32 = 0xffff_ffff
/** Validator indexes are u16. */
export const MAX_VALIDATORS = 0xffff

/**
 * Domain tags before signed and hashed bytes: a header signature means nothing as a
 * transaction signature, and neither means anything on another chain (the chain ID
 * follows the tag in every signed message).
 */
export const HEADER_SIGNING_TAG = utf8Encode('paw-authority-header-v1')
export const TRANSACTION_SIGNING_TAG = utf8Encode('paw-authority-tx-v1')
export const TX_ROOT_TAG = utf8Encode('paw-authority-txroot-v1')
export const GENESIS_TAG = utf8Encode('paw-authority-genesis-v1')
