/**
 * The tree's nodes as the prover keeps them. A node is named by its hash, held as a
 * 32-character binary string (one character per byte, 0–255) rather than a Uint8Array:
 * a Map keys on it directly, it compares with ===, it costs the garbage collector one
 * small object instead of a typed array and its buffer, and a million-account tree holds
 * millions of them. Leaf values are held the same way. Bytes are made only at the edges
 * (roots, answers, proofs).
 *
 * Nodes are immutable and shared between versions (path copying): each record counts the
 * references to it (parents in the store, plus retained roots), so pruning frees exactly
 * the nodes no retained root reaches, in time proportional to what it frees.
 *
 * An internal record also holds its children's records where the store can give them (the
 * memory store always does): an update or a proof then goes down the tree from pointer to
 * pointer, with no store lookup per level. At a million accounts that lookup in a table of
 * millions of entries, a cache miss or more each, cost more than the hashing.
 */

import { internalDigest, leafDigest } from '../fixed-sha256.ts'
import { STATE_HASH_LENGTH } from './hashing.ts'

/** A node hash (or key, or leaf value) as a binary string, one character per byte. */
export type NodeId = string

/** The empty subtree: 32 zero bytes. Never stored. */
export const EMPTY_ID: NodeId = '\0'.repeat(STATE_HASH_LENGTH)

export interface LeafRecord {
  readonly kind: 'leaf'
  /** The node's hash. */
  readonly id: NodeId
  /** The full 256-bit key: the leaf may sit above depth 256 (the leaf shortcut). */
  readonly key: NodeId
  /** The value (the 16-byte account encoding) as a binary string. */
  readonly value: string
  /** References: parents holding this hash, plus retained roots equal to it. */
  refs: number
  /** The batch that made it (node-batch.ts): its counts change in place until written. */
  readonly batch: number
}

export interface InternalRecord {
  readonly kind: 'internal'
  readonly id: NodeId
  readonly left: NodeId
  readonly right: NodeId
  /**
   * The children's records (null for an empty child), or undefined where a store does not
   * keep them (one read by id then). The memory store always has them.
   */
  readonly leftNode?: NodeRecord | null
  readonly rightNode?: NodeRecord | null
  refs: number
  readonly batch: number
}

export type NodeRecord = LeafRecord | InternalRecord

/** A subtree: its node's record, or null when it is empty. */
export type Child = NodeRecord | null

/** A node's id; null is the empty subtree. */
export function idOfNode(node: Child): NodeId {
  return node === null ? EMPTY_ID : node.id
}

/** Bytes as a binary string. */
export function idOf(bytes: Uint8Array): NodeId {
  return String.fromCharCode.apply(null, bytes as unknown as number[])
}

/** A binary string's bytes. */
export function bytesOfId(id: string): Uint8Array {
  const bytes = new Uint8Array(id.length)
  for (let i = 0; i < id.length; i++) bytes[i] = id.charCodeAt(i)
  return bytes
}

/** Bit `depth` of a key held as an id, as keyBit in hashing.ts. */
export function idBit(id: NodeId, depth: number): number {
  return (id.charCodeAt(depth >> 3) >> (7 - (depth & 7))) & 1
}

/** internalHash (hashing.ts) over ids. */
export function internalId(left: NodeId, right: NodeId): NodeId {
  return internalDigest(left, right)
}

/** leafHash(key, SHA-256(value)) (hashing.ts) over ids. */
export function leafId(key: NodeId, value: string): NodeId {
  return leafDigest(key, value)
}
