/**
 * Transaction and block hashes and the transactions' Merkle root (docs/chain.md
 * "Hashing"). Every hash is SHA-256. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeHeader, encodeTransaction, HASH_LENGTH } from './encoding.ts'
import { pairDigestInto } from './fixed-sha256.ts'
import type { BlockHeader, Hash, Transaction } from './types.ts'

/**
 * Hashes by the encoding they were computed from. A decoded transaction's encoding is the
 * one array it keeps (encoding.ts), so its hash is computed once (a block's transactions
 * are hashed at validation, by the mempool and by the recent-transactions index); any other
 * transaction's encoding is a fresh array each time, and its entry goes with it.
 */
const hashOfEncoding = new WeakMap<Uint8Array, Hash>()

/** SHA-256 of the transaction's 152-byte encoding, signature included; the caller must not write to it. */
export function txHash(tx: Transaction): Hash {
  const encoded = encodeTransaction(tx)
  let hash = hashOfEncoding.get(encoded)
  if (hash === undefined) {
    hash = sha256(encoded)
    hashOfEncoding.set(encoded, hash)
  }
  return hash
}

/** SHA-256 of the 185-byte header encoding: the block's identity and its proof of work. */
export function blockHash(header: BlockHeader): Hash {
  return sha256(encodeHeader(header))
}

/** The root of a block with no transactions. */
export const EMPTY_MERKLE_ROOT: Hash = new Uint8Array(HASH_LENGTH)

/**
 * Bitcoin's Merkle root: each level hashes the concatenation of pairs of the level below,
 * duplicating the last hash of a level of odd length, until one hash is left. One hash is
 * its own root; no hashes give 32 zero bytes.
 *
 * Caveat (CVE-2012-2459): because an odd level repeats its last hash, the lists
 * [a, b, c] and [a, b, c, c] have the same root, and so do other lists with a repeated
 * tail. Two different bodies share one header. Validation refuses any block holding the
 * same transaction twice (DUPLICATE_TRANSACTION), which rules out every such twin; and
 * because the valid twin may exist, a block refused for DUPLICATE_TRANSACTION or
 * BAD_TX_ROOT proves its body bad, not its header: never mark that block hash invalid.
 */
export function merkleRoot(hashes: readonly Hash[]): Hash {
  if (hashes.length === 0) return new Uint8Array(HASH_LENGTH)
  // One level at a time in one buffer, each pair's hash written over the pair (the
  // inputs are read first): no allocation per node (fixed-sha256.ts).
  let count = hashes.length
  const level = new Uint8Array((count + 1) * HASH_LENGTH)
  hashes.forEach((hash, i) => {
    if (hash.length !== HASH_LENGTH)
      throw new RangeError(`a hash is ${HASH_LENGTH} bytes, got ${hash.length}`)
    level.set(hash, i * HASH_LENGTH)
  })
  while (count > 1) {
    const pairs = Math.ceil(count / 2)
    for (let i = 0; i < pairs; i++) {
      const left = 2 * i * HASH_LENGTH
      // An odd level's last hash is paired with itself.
      const right = 2 * i + 1 < count ? left + HASH_LENGTH : left
      pairDigestInto(level, left, right, level, i * HASH_LENGTH)
    }
    count = pairs
  }
  return level.slice(0, HASH_LENGTH)
}

/** The Merkle root of the transactions' hashes (a header's txRoot). */
export function txRoot(transactions: readonly Transaction[]): Hash {
  return merkleRoot(transactions.map(txHash))
}
