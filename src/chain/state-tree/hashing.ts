/**
 * The state tree's hashes, byte by byte (docs/chain.md "State tree"). This is what a light
 * client needs to check a proof: it never builds a tree. Browser-safe: @noble/hashes, as
 * src/chain/hashing.ts.
 *
 * The hashing is Celestia's sparse Merkle tree's (celestiaorg/smt, treehasher.go): a leaf
 * is SHA-256(0x00 ‖ key ‖ SHA-256(value)), an internal node SHA-256(0x01 ‖ left ‖ right), an
 * empty subtree 32 zero bytes. The prefixes keep a leaf from ever hashing like an internal
 * node (the second-preimage attack on Merkle trees that RFC 6962 §2.1 closes the same way);
 * the key inside the leaf hash is what lets a leaf sit above its full depth (the Jellyfish
 * "leaf shortcut", diem/diem storage/jellyfish-merkle/src/lib.rs) and still say which key
 * it holds.
 */
import { sha256 } from '@noble/hashes/sha2.js'

/** Keys, values' hashes, node hashes and roots: all 32 bytes. */
export const STATE_HASH_LENGTH = 32

/** Keys are 256 bits, so no path is longer: a proof has at most 256 siblings. */
export const MAX_TREE_DEPTH = 256

export const LEAF_PREFIX = 0x00
export const INTERNAL_PREFIX = 0x01

/**
 * The root of the empty tree and the hash of every empty subtree. Celestia's placeholder;
 * no SHA-256 output is known to be zero, so it cannot be confused with a node.
 */
export const EMPTY_STATE_ROOT: Uint8Array = new Uint8Array(STATE_HASH_LENGTH)

/** One buffer for every hash input (65 bytes either way): hashing is synchronous. */
const scratch = new Uint8Array(1 + 2 * STATE_HASH_LENGTH)

export function valueHash(value: Uint8Array): Uint8Array {
  return sha256(value)
}

/** SHA-256(0x00 ‖ key ‖ valueHash). */
export function leafHash(key: Uint8Array, valueDigest: Uint8Array): Uint8Array {
  scratch[0] = LEAF_PREFIX
  scratch.set(key, 1)
  scratch.set(valueDigest, 1 + STATE_HASH_LENGTH)
  return sha256(scratch)
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function internalHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  scratch[0] = INTERNAL_PREFIX
  scratch.set(left, 1)
  scratch.set(right, 1 + STATE_HASH_LENGTH)
  return sha256(scratch)
}

/**
 * Bit `depth` of a key, most significant bit of byte 0 first: 0 goes left, 1 right (the
 * order of Diem's `iter_bits` and Celestia's `getBitAtFromMSB`).
 */
export function keyBit(key: Uint8Array, depth: number): number {
  return ((key[depth >> 3] as number) >> (7 - (depth & 7))) & 1
}

/** How many leading bits two keys share (256 when they are equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < STATE_HASH_LENGTH; i++) {
    const diff = (a[i] as number) ^ (b[i] as number)
    if (diff !== 0) return i * 8 + Math.clz32(diff) - 24
  }
  return MAX_TREE_DEPTH
}

export function isEmptyHash(hash: Uint8Array): boolean {
  for (const byte of hash) if (byte !== 0) return false
  return true
}
