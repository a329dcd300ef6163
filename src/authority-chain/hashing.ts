/**
 * Block hashes, transaction ids, the transaction root and the genesis commitment
 * (docs/authority-chain.md "Hashing"). Every hash is SHA-256. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { GENESIS_TAG, HASH_BYTES, TX_ROOT_TAG } from './constants.ts'
import { chainIdBytes, encodeHeader, encodeTransaction } from './encoding.ts'
import type { AuthorityGenesis, AuthorityHeader, AuthorityTransaction, Hash } from './types.ts'

/**
 * SHA-256 of the 143-byte header, signature included: a header with a bad signature has
 * another hash than the well-signed one, so it can never shadow it in a seen-cache.
 */
export function blockHash(header: AuthorityHeader): Hash {
  return sha256(encodeHeader(header))
}

/** SHA-256 of the 156-byte transaction, signature included: its id, and its gossip message id. */
export function transactionId(tx: AuthorityTransaction): Hash {
  return sha256(encodeTransaction(tx))
}

/**
 * SHA-256 of "paw-authority-txroot-v1" then the ids in block order. A flat hash rather
 * than a Merkle tree: this chain offers no inclusion proofs, and a flat hash of fixed-size
 * ids has no twin bodies (a Merkle tree that repeats an odd level's last hash gives
 * [a, b, c] and [a, b, c, c] one root: CVE-2012-2459).
 */
export function txRootOfIds(ids: readonly Hash[]): Hash {
  const bytes = new Uint8Array(TX_ROOT_TAG.length + ids.length * HASH_BYTES)
  bytes.set(TX_ROOT_TAG, 0)
  ids.forEach((id, i) => {
    bytes.set(id, TX_ROOT_TAG.length + i * HASH_BYTES)
  })
  return sha256(bytes)
}

export function txRoot(transactions: readonly AuthorityTransaction[]): Hash {
  return txRootOfIds(transactions.map(transactionId))
}

/**
 * SHA-256 of "paw-authority-genesis-v1", the chain ID, u16 validator count, the validators,
 * u32 allocation count, then each address and u64 amount: genesis's txRoot, so two nodes
 * share a genesis hash only if they share the whole definition.
 */
export function genesisCommitment(genesis: AuthorityGenesis): Hash {
  const id = chainIdBytes(genesis.chainId)
  const size =
    GENESIS_TAG.length + id.length + 2 + 32 * genesis.validators.length + 4 + 40 * genesis.allocations.length
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  let offset = 0
  const put = (part: Uint8Array): void => {
    bytes.set(part, offset)
    offset += part.length
  }
  put(GENESIS_TAG)
  put(id)
  view.setUint16(offset, genesis.validators.length)
  offset += 2
  for (const validator of genesis.validators) put(validator)
  view.setUint32(offset, genesis.allocations.length)
  offset += 4
  for (const { address, amount } of genesis.allocations) {
    put(address)
    view.setBigUint64(offset, amount)
    offset += 8
  }
  return sha256(bytes)
}
