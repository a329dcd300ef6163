/**
 * Transaction inclusion proofs: the Merkle path from a transaction id to a header's txRoot
 * (docs/chain.md "Inclusion proofs"), which /paw/state/1's `included` answer carries as
 * opaque bytes. Browser-safe.
 *
 *   count (u32 BE) ‖ index (u32 BE) ‖ siblings (32 each, leaf level first)
 *
 * The tree is merkleRoot's (hashing.ts, Bitcoin's). A level of odd length pairs its last
 * node with itself, and the verifier can tell from (count, index) at which levels the path
 * is that node: no sibling is sent there. So the number of siblings follows from count and
 * index, and a proof has exactly one encoding.
 *
 * The header commits to neither the count nor the positions. What a verified proof shows:
 * - the id is a node of the tree at the depth the count gives, on the index's path. That it
 *   is a leaf, a transaction, rests on the id being SHA-256 of a 152-byte transaction: no
 *   internal node (SHA-256 of 64 bytes) equals one short of a SHA-256 collision, and no
 *   leaf's preimage reads as two child hashes (Bitcoin's 64-byte transaction weakness,
 *   CVE-2017-12842, cannot arise). Ask only about ids computed with txHash;
 * - the index is the transaction's position in a valid block (no repeated transaction,
 *   docs/chain.md "Validation"), because a sibling equal to its node is refused: that is
 *   the only way to reach the last node of an odd level from its CVE-2012-2459 twin's place;
 * - the count is the sender's claim, consistent with the path but not proven: the siblings
 *   proving index 0 of a 5-transaction block prove it with a count of 6, 7 or 8 as well.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { type ByteInput, contiguous, equalBytes } from '../wire/bytes.ts'
import { BLOCK_PREFIX_LENGTH, HASH_LENGTH, TRANSACTION_LENGTH } from './encoding.ts'
import { InclusionProofError, InclusionProofErrorCode } from './inclusion-proof-errors.ts'
import { MAX_BLOCK_BYTES } from './params.ts'

/** A decoded proof: what the sender claims, checked for form only. */
export interface InclusionProof {
  /** The block's transaction count, 1 ..= MAX_BLOCK_TRANSACTIONS. */
  count: number
  /** The transaction's position, coinbase 0, < count. */
  index: number
  /** The siblings the verifier cannot derive, leaf level first, 32 bytes each. */
  siblings: Uint8Array[]
}

/** What a verified proof says (see the file comment for which part is proven). */
export interface InclusionResult {
  index: number
  count: number
}

/** count (u32) ‖ index (u32). */
const PREFIX_LENGTH = 8

/**
 * 68,983: the most transactions a block can hold. Every chain's maxBlockBytes is at most
 * MAX_BLOCK_BYTES (10 MiB − 64, params.ts), and a block is 157 + 152·n bytes.
 */
export const MAX_BLOCK_TRANSACTIONS = Math.floor((MAX_BLOCK_BYTES - BLOCK_PREFIX_LENGTH) / TRANSACTION_LENGTH)

/** Levels above the leaves of a tree of `count` hashes: ⌈log2(count)⌉, 0 for one hash. */
export function merkleDepth(count: number): number {
  let depth = 0
  for (let width = count; width > 1; width = (width + 1) >> 1) depth++
  return depth
}

/** 17: 2^16 < MAX_BLOCK_TRANSACTIONS ≤ 2^17. */
export const MAX_INCLUSION_DEPTH = merkleDepth(MAX_BLOCK_TRANSACTIONS)

/** 552 = 8 + 32 × 17: index 0 of the largest block, a sibling at every level. */
export const MAX_INCLUSION_PROOF_BYTES = PREFIX_LENGTH + HASH_LENGTH * MAX_INCLUSION_DEPTH

/**
 * How many siblings the proof of `index` in a block of `count` carries: one per level,
 * except where the path's node is the last of a level of odd length (paired with itself).
 */
export function inclusionProofSiblings(count: number, index: number): number {
  let siblings = 0
  for (let width = count, position = index; width > 1; width = (width + 1) >> 1, position >>= 1) {
    if ((position ^ 1) < width) siblings++
  }
  return siblings
}

function malformed(message: string): never {
  throw new InclusionProofError(InclusionProofErrorCode.MalformedProof, message)
}

function bad(message: string): never {
  throw new InclusionProofError(InclusionProofErrorCode.BadProof, message)
}

function checkPosition(count: number, index: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BLOCK_TRANSACTIONS) {
    throw new TypeError(`a block holds 1 to ${MAX_BLOCK_TRANSACTIONS} transactions, not ${count}`)
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`index ${index} is not a position in a block of ${count} transactions`)
  }
}

/**
 * The proof's bytes.
 * @throws TypeError or RangeError for a proof with no encoding: count or index out of
 *   range, a sibling not 32 bytes, or not the number of siblings count and index give
 */
export function encodeInclusionProof(proof: InclusionProof): Uint8Array {
  const { count, index, siblings } = proof
  checkPosition(count, index)
  const expected = inclusionProofSiblings(count, index)
  if (siblings.length !== expected) {
    throw new TypeError(`index ${index} of ${count} has ${expected} siblings, not ${siblings.length}`)
  }
  const out = new Uint8Array(PREFIX_LENGTH + HASH_LENGTH * expected)
  const view = new DataView(out.buffer)
  view.setUint32(0, count)
  view.setUint32(4, index)
  siblings.forEach((sibling, i) => {
    if (sibling.length !== HASH_LENGTH) throw new TypeError('a sibling is 32 bytes')
    out.set(sibling, PREFIX_LENGTH + HASH_LENGTH * i)
  })
  return out
}

/**
 * Decodes a proof from a peer; checks its form only (verifyInclusion checks what it says).
 * @throws InclusionProofError ERR_MALFORMED_INCLUSION_PROOF for anything but one proof's
 *   encoding
 */
export function decodeInclusionProof(input: ByteInput): InclusionProof {
  // Checked before anything is copied or read: the bound is the whole format's.
  if (input.byteLength > MAX_INCLUSION_PROOF_BYTES) {
    malformed(`${input.byteLength} bytes, over ${MAX_INCLUSION_PROOF_BYTES}`)
  }
  const bytes = contiguous(input)
  if (bytes.length < PREFIX_LENGTH) malformed(`${bytes.length} bytes, under the 8 of count and index`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = view.getUint32(0)
  const index = view.getUint32(4)
  if (count === 0) malformed('a count of 0: an empty block has no transaction to prove')
  if (count > MAX_BLOCK_TRANSACTIONS) malformed(`a count of ${count}, over ${MAX_BLOCK_TRANSACTIONS}`)
  if (index >= count) malformed(`index ${index} in a block of ${count} transactions`)
  const siblingCount = inclusionProofSiblings(count, index)
  const length = PREFIX_LENGTH + HASH_LENGTH * siblingCount
  if (bytes.length !== length) {
    malformed(`${bytes.length} bytes, but index ${index} of ${count} has ${siblingCount} siblings: ${length}`)
  }
  const siblings: Uint8Array[] = []
  for (let offset = PREFIX_LENGTH; offset < length; offset += HASH_LENGTH) {
    siblings.push(bytes.slice(offset, offset + HASH_LENGTH))
  }
  return { count, index, siblings }
}

/**
 * The proof that `txIds[index]` is under merkleRoot(txIds): the ids of a valid block, in
 * order. Computes the whole tree: O(count) hashes.
 * @throws TypeError for no ids, too many, an id not 32 bytes, or a path through two equal
 *   nodes (repeated ids: no valid block's, and verifyInclusion would refuse the proof);
 *   RangeError for an index out of range
 */
export function proveInclusion(txIds: readonly Uint8Array[], index: number): Uint8Array {
  checkPosition(txIds.length, index)
  for (const id of txIds) if (id.length !== HASH_LENGTH) throw new TypeError('a transaction id is 32 bytes')
  const siblings: Uint8Array[] = []
  const pair = new Uint8Array(2 * HASH_LENGTH)
  let level: readonly Uint8Array[] = txIds
  let position = index
  while (level.length > 1) {
    const partner = level[position ^ 1]
    if (partner !== undefined) {
      if (equalBytes(partner, level[position] as Uint8Array)) {
        throw new TypeError('the path pairs two equal hashes: the ids repeat a transaction')
      }
      siblings.push(partner.slice())
    }
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Uint8Array
      pair.set(left, 0)
      pair.set(level[i + 1] ?? left, HASH_LENGTH)
      next.push(sha256(pair))
    }
    level = next
    position >>= 1
  }
  return encodeInclusionProof({ count: txIds.length, index, siblings })
}

/**
 * Checks that `proof` leads from `txId` to `txRoot` (docs/chain.md "Inclusion proofs",
 * "To verify"). `txRoot` comes from a header the caller trusts; `txId` must be txHash of a
 * transaction (see the file comment).
 * @returns the position, proven for a valid block, and the count, claimed
 * @throws InclusionProofError ERR_MALFORMED_INCLUSION_PROOF (decoding) or
 *   ERR_BAD_INCLUSION_PROOF; TypeError for a root or id not 32 bytes
 */
export function verifyInclusion(txRoot: Uint8Array, txId: Uint8Array, proof: ByteInput): InclusionResult {
  if (txRoot.length !== HASH_LENGTH || txId.length !== HASH_LENGTH) {
    throw new TypeError('a transaction root and id are 32 bytes')
  }
  const { count, index, siblings } = decodeInclusionProof(proof)
  const pair = new Uint8Array(2 * HASH_LENGTH)
  let hash = txId
  let next = 0
  for (let width = count, position = index; width > 1; width = (width + 1) >> 1, position >>= 1) {
    if ((position ^ 1) < width) {
      const sibling = siblings[next++] as Uint8Array
      // In a valid block two paired nodes never match (that needs a repeated transaction):
      // a match is the last node of an odd level claimed from its twin's place.
      if (equalBytes(sibling, hash)) bad(`sibling ${next - 1} equals the node it is paired with`)
      pair.set(position & 1 ? sibling : hash, 0)
      pair.set(position & 1 ? hash : sibling, HASH_LENGTH)
    } else {
      pair.set(hash, 0)
      pair.set(hash, HASH_LENGTH)
    }
    hash = sha256(pair)
  }
  if (!equalBytes(hash, txRoot)) bad(`index ${index} of ${count}: the path does not reach the root`)
  return { index, count }
}
