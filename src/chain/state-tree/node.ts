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
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { INTERNAL_PREFIX, LEAF_PREFIX, STATE_HASH_LENGTH } from './hashing.ts'

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
}

export interface InternalRecord {
  readonly kind: 'internal'
  readonly id: NodeId
  readonly left: NodeId
  readonly right: NodeId
  refs: number
}

export type NodeRecord = LeafRecord | InternalRecord

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

/**
 * SHA-256 without a new hasher per call. @noble/hashes sets up a hasher (buffers, a
 * DataView) on every `sha256(bytes)`, over a third of the cost of hashing 65 bytes; here
 * one hasher is reset from a pristine one with `_cloneInto` (its documented way to reuse an
 * instance) and digests into a fixed buffer. An update hashes tens of thousands of nodes.
 */
const pristine = sha256.create()
const hasher = sha256.create()
const digest = new Uint8Array(STATE_HASH_LENGTH)
const input = new Uint8Array(1 + 2 * STATE_HASH_LENGTH)
const valueDigest = input.subarray(1 + STATE_HASH_LENGTH)

function hashInto(data: Uint8Array, out: Uint8Array): void {
  pristine._cloneInto(hasher)
  hasher.update(data)
  hasher.digestInto(out)
}

function writeString(text: string, offset: number): void {
  for (let i = 0; i < text.length; i++) input[offset + i] = text.charCodeAt(i)
}

/** internalHash (hashing.ts) over ids. */
export function internalId(left: NodeId, right: NodeId): NodeId {
  input[0] = INTERNAL_PREFIX
  writeString(left, 1)
  writeString(right, 1 + STATE_HASH_LENGTH)
  hashInto(input, digest)
  return idOf(digest)
}

/** leafHash(key, SHA-256(value)) (hashing.ts) over ids. */
export function leafId(key: NodeId, value: string): NodeId {
  hashInto(bytesOfId(value), valueDigest)
  input[0] = LEAF_PREFIX
  writeString(key, 1)
  hashInto(input, digest)
  return idOf(digest)
}
