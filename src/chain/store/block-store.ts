/**
 * Where the chain keeps its blocks, its best-chain index, its tip, the undo records that
 * let a reorg roll state back after a restart, and the account state. The store does not
 * know the block encoding: the chain encodes, the store keeps bytes and metadata, so a
 * real PAW chain can use the same store.
 *
 * Every write goes through `commit`, applied atomically: a crash (kill -9) at any moment
 * leaves all of a change or none of it, so a block, its index entry and the tip that
 * points at it never disagree on disk. Commits are serialised: concurrent ones queue and
 * never interleave. Browser-safe (the LevelDB store is Node-only: level-store.ts).
 */
import type { ChainPosition, Hash } from '../types.ts'

/** What the store keeps beside a block's bytes. */
export interface BlockMeta {
  height: number
  /** The previous block's hash (32 zero bytes for a genesis). */
  parent: Hash
  /** Cumulative work up to and including this block. */
  totalWork: bigint
}

export interface StoredBlock {
  hash: Hash
  /** The block's encoding, stored and served as-is. */
  encoded: Uint8Array
  meta: BlockMeta
}

/** One atomic write. Every part is optional; an empty change is a no-op. */
export interface StoreChange {
  /** New blocks (on any branch). Blocks are never deleted: side branches stay known. */
  blocks?: StoredBlock[]
  /**
   * Best-chain index edits, applied in this order: first every entry above `removeAbove`
   * is deleted, then `set` is written. A reorg to a fork at height f is
   * `{ removeAbove: f, set: [[f + 1, h1], [f + 2, h2], ...] }`.
   */
  bestChain?: { removeAbove?: number; set?: Array<[height: number, hash: Hash]> }
  /**
   * The new tip. After the commit it must be on the index at its height, its metadata
   * (stored or in this change) must agree on height and work, and the index must have
   * nothing above it: a commit that breaks this is refused with STORE_INVALID_CHANGE.
   */
  tip?: ChainPosition
  /** Opaque state-undo records per block (null deletes one, to prune). */
  undo?: Array<[hash: Hash, record: Uint8Array | null]>
  /** Opaque account-state entries (null deletes). */
  state?: Array<[key: Uint8Array, value: Uint8Array | null]>
}

/**
 * Returned bytes belong to the store's caller to read, not to mutate (the memory store
 * serves its own copy).
 */
export interface BlockStore {
  /** Opens (or creates) the store; a no-op when already open. */
  open(): Promise<void>
  /** Waits for queued commits, then closes. Reads and commits after it reject. */
  close(): Promise<void>
  getBlock(hash: Hash): Promise<Uint8Array | undefined>
  getMeta(hash: Hash): Promise<BlockMeta | undefined>
  hasBlock(hash: Hash): Promise<boolean>
  /** The best chain's block at `height`. */
  getHashAtHeight(height: number): Promise<Hash | undefined>
  /** Best-chain hashes from `fromHeight`, at most `count`, stopping at the first gap. */
  getHashesFrom(fromHeight: number, count: number): Promise<Hash[]>
  /** Undefined only for a store never committed a tip (a new one: write the genesis). */
  getTip(): Promise<ChainPosition | undefined>
  getUndo(hash: Hash): Promise<Uint8Array | undefined>
  getState(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Every state entry in key byte order, as of the call (a snapshot): for start-up. */
  allState(): AsyncIterable<[key: Uint8Array, value: Uint8Array]>
  /** Applies `change` atomically, after any commit already queued. */
  commit(change: StoreChange): Promise<void>
}
