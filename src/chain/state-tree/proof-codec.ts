/**
 * A state proof's bytes (docs/chain.md "State tree", "Proof encoding"): exactly one
 * encoding per proof, at most MAX_STATE_PROOF_BYTES, decoded without trusting a length
 * the sender wrote. Proofs come from peers, so anything else is refused with
 * ERR_MALFORMED_STATE_PROOF and nothing else is thrown.
 *
 *   kind (1) ‖ leaf data (0, 16 or 64) ‖ bitmap length b (1) ‖ bitmap (b) ‖ siblings (32 each)
 *
 * Empty siblings are left out and a bitmap says which are present, as Diem's
 * (diem/diem types/src/proof/definition.rs, `SparseMerkleBitmap`: bit i, most significant
 * first, set for a non-default sibling) and Celestia's compact proofs (celestiaorg/smt
 * proofs.go, `CompactProof`) do. The path's last sibling is never empty in a canonical
 * tree (its parent holds at least two leaves, and only one is on the path side: Diem
 * asserts the same in `SparseMerkleProof::new`), so the bitmap's last set bit marks the
 * path's length: no count field, and the last byte of the bitmap is never zero.
 */
import { type ByteInput, contiguous } from '../../wire/bytes.ts'
import { ACCOUNT_VALUE_LENGTH } from './account.ts'
import { StateTreeError, StateTreeErrorCode } from './errors.ts'
import { isEmptyHash, MAX_TREE_DEPTH, STATE_HASH_LENGTH } from './hashing.ts'
import type { StateProof } from './proof.ts'

/** The kind byte. */
export const StateProofKind = { Empty: 0x00, Member: 0x01, OtherLeaf: 0x02 } as const

const KIND_BYTES = {
  empty: StateProofKind.Empty,
  member: StateProofKind.Member,
  'other-leaf': StateProofKind.OtherLeaf,
}

/** Leaf data after the kind byte: none, the value, or the other leaf's key and value hash. */
const LEAF_DATA_LENGTH = [0, ACCOUNT_VALUE_LENGTH, 2 * STATE_HASH_LENGTH] as const

const MAX_BITMAP_LENGTH = MAX_TREE_DEPTH / 8

/** 8,290: an other-leaf proof with all 256 siblings present (1 + 64 + 1 + 32 + 256 × 32). */
export const MAX_STATE_PROOF_BYTES = 1 + 2 * STATE_HASH_LENGTH + 1 + MAX_BITMAP_LENGTH + MAX_TREE_DEPTH * 32

function malformed(message: string): never {
  throw new StateTreeError(StateTreeErrorCode.MalformedProof, message)
}

/**
 * The proof's bytes.
 * @throws TypeError for a proof with no encoding: a field of the wrong length, more than
 *   256 siblings, or an empty last sibling (never produced by a canonical tree)
 */
export function encodeStateProof(proof: StateProof): Uint8Array {
  const { siblings } = proof
  if (siblings.length > MAX_TREE_DEPTH) throw new TypeError('a state proof has at most 256 siblings')
  const last = siblings.at(-1)
  if (last !== undefined && isEmptyHash(last))
    throw new TypeError('the last sibling of a state proof is never empty')
  const kind = KIND_BYTES[proof.kind]
  const bitmapLength = Math.ceil(siblings.length / 8)
  const present = siblings.filter((sibling) => {
    if (sibling.length !== STATE_HASH_LENGTH) throw new TypeError('a sibling is 32 bytes')
    return !isEmptyHash(sibling)
  })
  const leafData = LEAF_DATA_LENGTH[kind]
  const out = new Uint8Array(1 + leafData + 1 + bitmapLength + present.length * STATE_HASH_LENGTH)
  out[0] = kind
  if (proof.kind === 'member') {
    if (proof.value.length !== ACCOUNT_VALUE_LENGTH) throw new TypeError('a state value is 16 bytes')
    out.set(proof.value, 1)
  } else if (proof.kind === 'other-leaf') {
    if (proof.leafKey.length !== STATE_HASH_LENGTH || proof.leafValueHash.length !== STATE_HASH_LENGTH) {
      throw new TypeError('a leaf key and value hash are 32 bytes')
    }
    out.set(proof.leafKey, 1)
    out.set(proof.leafValueHash, 1 + STATE_HASH_LENGTH)
  }
  let offset = 1 + leafData
  out[offset++] = bitmapLength
  const bitmapOffset = offset
  offset += bitmapLength
  siblings.forEach((sibling, i) => {
    if (isEmptyHash(sibling)) return
    out[bitmapOffset + (i >> 3)] |= 0x80 >> (i & 7)
    out.set(sibling, offset)
    offset += STATE_HASH_LENGTH
  })
  return out
}

function popcount(byte: number): number {
  let count = 0
  for (let b = byte; b !== 0; b &= b - 1) count++
  return count
}

/** The position, most significant bit first (0–7), of the lowest set bit of a non-zero byte. */
function lastSetBit(byte: number): number {
  return Math.clz32(byte & -byte) - 24
}

/**
 * Decodes a proof from a peer; checks its form only (verifyStateProof checks what it says).
 * @throws StateTreeError ERR_MALFORMED_STATE_PROOF for anything but one proof's encoding
 */
export function decodeStateProof(input: ByteInput): StateProof {
  // Checked before anything is copied or read: the bound is the whole format's.
  if (input.byteLength > MAX_STATE_PROOF_BYTES)
    malformed(`${input.byteLength} bytes, over ${MAX_STATE_PROOF_BYTES}`)
  const bytes = contiguous(input)
  if (bytes.length === 0) malformed('no bytes')
  const kind = bytes[0] as number
  if (kind > StateProofKind.OtherLeaf) malformed(`unknown proof kind 0x${kind.toString(16).padStart(2, '0')}`)
  const leafData = LEAF_DATA_LENGTH[kind as 0 | 1 | 2]
  let offset = 1 + leafData
  if (bytes.length < offset + 1) malformed('ends inside its leaf data')
  const bitmapLength = bytes[offset++] as number
  if (bitmapLength > MAX_BITMAP_LENGTH)
    malformed(`bitmap of ${bitmapLength} bytes, over ${MAX_BITMAP_LENGTH}`)
  if (bytes.length < offset + bitmapLength) malformed('ends inside its bitmap')
  const bitmap = bytes.subarray(offset, offset + bitmapLength)
  offset += bitmapLength
  const lastByte = bitmap.at(-1)
  if (lastByte === 0) malformed('the last byte of the bitmap is zero')
  let present = 0
  for (const byte of bitmap) present += popcount(byte)
  if (bytes.length !== offset + present * STATE_HASH_LENGTH) {
    malformed(
      `${bytes.length} bytes, but the bitmap names ${present} siblings: expected ${offset + present * 32}`,
    )
  }
  // The path ends at the last set bit (never an empty sibling at the bottom).
  const count = lastByte === undefined ? 0 : (bitmapLength - 1) * 8 + lastSetBit(lastByte) + 1
  const siblings: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    if (((bitmap[i >> 3] as number) & (0x80 >> (i & 7))) === 0) {
      siblings.push(new Uint8Array(STATE_HASH_LENGTH))
    } else {
      siblings.push(bytes.slice(offset, offset + STATE_HASH_LENGTH))
      offset += STATE_HASH_LENGTH
    }
  }
  if (kind === StateProofKind.Member)
    return { kind: 'member', value: bytes.slice(1, 1 + ACCOUNT_VALUE_LENGTH), siblings }
  if (kind === StateProofKind.OtherLeaf) {
    return {
      kind: 'other-leaf',
      leafKey: bytes.slice(1, 1 + STATE_HASH_LENGTH),
      leafValueHash: bytes.slice(1 + STATE_HASH_LENGTH, 1 + 2 * STATE_HASH_LENGTH),
      siblings,
    }
  }
  return { kind: 'empty', siblings }
}
