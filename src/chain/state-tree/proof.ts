/**
 * What a state proof claims and how a light client checks it against a root it trusts
 * (a header's, once that header carries one). Browser-safe, and all it needs is SHA-256.
 *
 * The three answers and their checks are Diem's `SparseMerkleProof::verify` (diem/diem
 * types/src/proof/definition.rs), over Celestia's hashing (hashing.ts):
 *
 * - `member`: the key's leaf, with its value, at the end of the path;
 * - `empty`: the path ends in an empty subtree, so no leaf for the key can exist;
 * - `other-leaf`: the path ends in the one leaf of its subtree, and it holds another key
 *   sharing the path's bits; had the key been present, that subtree would hold two leaves.
 *
 * Either way the siblings, from the root down, rebuild the root; it must equal the trusted
 * one. A forged value, sibling or leaf would need a SHA-256 collision to pass.
 */
import { StateTreeError, StateTreeErrorCode } from './errors.ts'
import {
  commonPrefixBits,
  EMPTY_STATE_ROOT,
  internalHash,
  keyBit,
  leafHash,
  MAX_TREE_DEPTH,
  STATE_HASH_LENGTH,
  valueHash,
} from './hashing.ts'

interface ProofPath {
  /**
   * The sibling hashes along the key's path, the root's child first (sibling i hangs at
   * depth i + 1, beside the path's node there); 32 zero bytes for an empty one. The path's
   * end is at depth `siblings.length`, at most 256.
   */
  readonly siblings: readonly Uint8Array[]
}

export interface MemberProof extends ProofPath {
  readonly kind: 'member'
  /** The key's value: the 16-byte account encoding. */
  readonly value: Uint8Array
}

export interface EmptyProof extends ProofPath {
  readonly kind: 'empty'
}

export interface OtherLeafProof extends ProofPath {
  readonly kind: 'other-leaf'
  /** The key of the leaf in the way: another key, starting with the path's bits. */
  readonly leafKey: Uint8Array
  /** SHA-256 of that leaf's value: its value itself is none of the asker's business. */
  readonly leafValueHash: Uint8Array
}

export type StateProof = MemberProof | EmptyProof | OtherLeafProof

function bad(message: string): never {
  throw new StateTreeError(StateTreeErrorCode.BadProof, message)
}

function checkHash(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== STATE_HASH_LENGTH) bad(`${what} is not 32 bytes`)
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0 && a.length === b.length
}

/** The hash at the end of the path: the leaf's, or an empty subtree's. */
function pathEnd(key: Uint8Array, proof: StateProof): Uint8Array {
  switch (proof.kind) {
    case 'member':
      if (!(proof.value instanceof Uint8Array)) bad('member proof without a value')
      return leafHash(key, valueHash(proof.value))
    case 'empty':
      return EMPTY_STATE_ROOT
    case 'other-leaf': {
      checkHash(proof.leafKey, 'leaf key')
      checkHash(proof.leafValueHash, 'leaf value hash')
      const shared = commonPrefixBits(proof.leafKey, key)
      if (shared === MAX_TREE_DEPTH) bad('the leaf in the way holds the key itself')
      if (shared < proof.siblings.length) bad('the leaf in the way is not on the key path')
      return leafHash(proof.leafKey, proof.leafValueHash)
    }
    default:
      return bad(`unknown proof kind ${(proof as { kind: unknown }).kind}`)
  }
}

/** The root that `proof` rebuilds for `key`. */
export function proofRoot(key: Uint8Array, proof: StateProof): Uint8Array {
  checkHash(key, 'key')
  const { siblings } = proof
  if (!Array.isArray(siblings) || siblings.length > MAX_TREE_DEPTH) bad('more than 256 siblings')
  let hash = pathEnd(key, proof)
  for (let depth = siblings.length - 1; depth >= 0; depth--) {
    const sibling = siblings[depth] as Uint8Array
    checkHash(sibling, `sibling ${depth}`)
    hash = keyBit(key, depth) === 0 ? internalHash(hash, sibling) : internalHash(sibling, hash)
  }
  return hash
}

/**
 * Checks `proof` for `key` (a 32-byte state key) against the trusted `root`.
 * @returns the key's value, or undefined when the proof shows the key absent
 * @throws StateTreeError ERR_BAD_STATE_PROOF when it proves neither
 */
export function verifyStateProof(
  root: Uint8Array,
  key: Uint8Array,
  proof: StateProof,
): Uint8Array | undefined {
  checkHash(root, 'root')
  if (!equal(proofRoot(key, proof), root)) bad('the proof does not lead to the root')
  return proof.kind === 'member' ? proof.value : undefined
}
