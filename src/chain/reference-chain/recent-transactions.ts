/**
 * Which best-chain block holds a transaction, for the newest `depth` blocks: what a full
 * node needs to answer `get_transaction_status` (protocols/state.md) without an index of
 * every transaction ever included. A wallet asks about what it sent lately; older ones are
 * answered `unknown`, which proves nothing and costs the asker nothing but a retry
 * elsewhere. Kept in memory, rebuilt from the store on open. Browser-safe.
 */
import { toHex } from '../../wire/bytes.ts'
import { txHash } from '../hashing.ts'
import type { BlockStore } from '../store/block-store.ts'
import type { Block, ChainPosition, Hash } from '../types.ts'
import type { ChainReader } from './reader.ts'

/** Blocks indexed by default: about 34 minutes of 2 s devnet blocks, 17 hours of 60 s ones. */
export const RECENT_TRANSACTION_BLOCKS = 1_024

export interface IncludedAt {
  hash: Hash
  height: number
  /** The transaction's place in the block (the coinbase is 0). */
  index: number
}

export class RecentTransactions {
  readonly depth: number
  readonly #byId = new Map<string, IncludedAt>()
  /** Height → the ids its block added, so that a block leaving the window or the best chain is dropped whole. */
  readonly #byHeight = new Map<number, string[]>()

  constructor(depth = RECENT_TRANSACTION_BLOCKS) {
    if (!Number.isSafeInteger(depth) || depth < 1) throw new RangeError('depth must be an integer ≥ 1')
    this.depth = depth
  }

  /** The index of the best chain's newest `depth` blocks below and at `tip`, read from the store. */
  static async load(
    store: BlockStore,
    reader: ChainReader,
    tip: ChainPosition,
    depth = RECENT_TRANSACTION_BLOCKS,
  ): Promise<RecentTransactions> {
    const recent = new RecentTransactions(depth)
    const from = Math.max(1, tip.height - depth + 1)
    for (const hash of await store.getHashesFrom(from, tip.height - from + 1)) {
      recent.connect(await reader.block(hash), hash)
    }
    return recent
  }

  get size(): number {
    return this.#byId.size
  }

  /** `block` (hash `hash`) joined the best chain at its height; blocks `depth` below it leave the window. */
  connect(block: Block, hash: Hash): void {
    const { height } = block.header
    this.#drop(height)
    const ids = block.transactions.map((tx) => toHex(txHash(tx)))
    ids.forEach((id, index) => {
      this.#byId.set(id, { hash, height, index })
    })
    this.#byHeight.set(height, ids)
    this.#drop(height - this.depth)
  }

  /** The best chain's block at `height` was rolled back. */
  disconnect(height: number): void {
    this.#drop(height)
  }

  find(id: string): IncludedAt | undefined {
    return this.#byId.get(id)
  }

  #drop(height: number): void {
    const ids = this.#byHeight.get(height)
    if (ids === undefined) return
    for (const id of ids) if (this.#byId.get(id)?.height === height) this.#byId.delete(id)
    this.#byHeight.delete(height)
  }
}
