/**
 * Blocks this node forwarded after the header check and has not stored yet
 * (protocols/gossip.md "What a relay promises"): a peer that got the compact block from us
 * asks us for what its mempool lacks while we are still validating the block, and we
 * answer from here (src/protocols/blocks/ get_block_transactions, get_block). An entry
 * lives from the forward until the import has answered. Browser-safe.
 */
import { toHex } from '../wire/bytes.ts'

/**
 * Blocks held at once. The block lane imports one block at a time, so a few suffice; the
 * bound caps what a flood of valid-looking compact blocks can make us hold.
 */
export const MAX_RELAYED_BLOCKS = 8

export class RelayedBlocks {
  readonly #blocks = new Map<string, Uint8Array>()

  /** Holds `encoded` under its block id (hex); the oldest goes beyond MAX_RELAYED_BLOCKS. */
  add(hash: string, encoded: Uint8Array): void {
    this.#blocks.delete(hash)
    this.#blocks.set(hash, encoded)
    if (this.#blocks.size > MAX_RELAYED_BLOCKS) {
      const oldest = this.#blocks.keys().next().value as string
      this.#blocks.delete(oldest)
    }
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.#blocks.get(toHex(hash))
  }

  has(hash: string): boolean {
    return this.#blocks.has(hash)
  }

  delete(hash: string): void {
    this.#blocks.delete(hash)
  }

  clear(): void {
    this.#blocks.clear()
  }
}
