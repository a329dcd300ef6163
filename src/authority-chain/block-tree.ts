/**
 * The blocks (or headers) a node holds, in memory: every branch by hash, and the best
 * chain by height, chosen by weight: each block weighs 1, so the best chain is the longest
 * and a tie keeps the tip held first (docs/authority-chain.md "Fork choice").
 * Browser-safe.
 */
import { toHex } from '../wire/bytes.ts'
import type { AuthorityHeader, Hash } from './types.ts'

/** Every block weighs the same: fork choice by length (HeaderSummary.weight). */
export const BLOCK_WEIGHT = 1n

export interface TreeEntry<D> {
  hash: Hash
  hex: string
  header: AuthorityHeader
  /** The header's encoding. */
  headerEncoding: Uint8Array
  /** Weight summed from genesis (genesis weighs 1 too). */
  totalWeight: bigint
  /** What the chain keeps besides: a full chain's block and encoding, nothing for headers. */
  data: D
}

/** Where an entry's branch leaves the best chain: the entries above the fork, oldest first. */
export interface Branch<D> {
  forkHeight: number
  entries: TreeEntry<D>[]
}

export class BlockTree<D> {
  readonly #byHash = new Map<string, TreeEntry<D>>()
  readonly #best: TreeEntry<D>[] = []

  constructor(genesis: TreeEntry<D>) {
    this.#byHash.set(genesis.hex, genesis)
    this.#best.push(genesis)
  }

  get tip(): TreeEntry<D> {
    return this.#best[this.#best.length - 1] as TreeEntry<D>
  }

  get genesis(): TreeEntry<D> {
    return this.#best[0] as TreeEntry<D>
  }

  get(hash: Hash | string): TreeEntry<D> | undefined {
    return this.#byHash.get(typeof hash === 'string' ? hash : toHex(hash))
  }

  /** The best chain's entry at `height`. */
  atHeight(height: number): TreeEntry<D> | undefined {
    return this.#best[height]
  }

  /** The best chain's entries from `from`, at most `count`. */
  bestFrom(from: number, count: number): TreeEntry<D>[] {
    if (!Number.isInteger(from) || from < 0 || count <= 0) return []
    return this.#best.slice(from, from + count)
  }

  isBest(entry: TreeEntry<D>): boolean {
    return this.#best[entry.header.height] === entry
  }

  /** Stores an entry whose parent is held, on no chain yet. */
  add(entry: TreeEntry<D>): void {
    this.#byHash.set(entry.hex, entry)
  }

  /** Whether `entry` outweighs the tip: only then does the best chain move to it (first seen wins a tie). */
  outweighsTip(entry: TreeEntry<D>): boolean {
    return entry.totalWeight > this.tip.totalWeight
  }

  /** The entries of `entry`'s branch above the best chain, oldest first (itself last). */
  branchOf(entry: TreeEntry<D>): Branch<D> {
    const entries: TreeEntry<D>[] = []
    let cursor: TreeEntry<D> | undefined = entry
    while (cursor !== undefined && !this.isBest(cursor)) {
      entries.push(cursor)
      cursor = this.get(cursor.header.parentHash)
    }
    if (cursor === undefined) throw new Error('a stored entry whose ancestry is not held')
    return { forkHeight: cursor.header.height, entries: entries.reverse() }
  }

  /** Makes the best chain end at `forkHeight`, then run through `entries`: what a reorg or an extension does. */
  setBest(forkHeight: number, entries: readonly TreeEntry<D>[]): TreeEntry<D>[] {
    const disconnected = this.#best.splice(forkHeight + 1)
    this.#best.push(...entries)
    return disconnected
  }

  /** Forgets an entry (one found invalid), which must be on no best chain. */
  remove(entry: TreeEntry<D>): void {
    this.#byHash.delete(entry.hex)
  }
}
