/** What compact relay counts (PawGossip.stats().compact; protocols/compact-blocks.md). Browser-safe. */

export interface CompactStats {
  /** Compact blocks this node published (its own blocks). */
  published: number
  /** Compact block messages judged. */
  received: number
  /** Blocks rebuilt from the prefilled transactions and the mempool alone. */
  rebuilt: number
  /** Blocks that needed a get_block_transactions, and the transactions it asked for. */
  fetched: number
  transactionsFetched: number
  /** Whole blocks fetched instead (get_block): a failed fetch, or a rebuild off the root. */
  fallbacks: number
  /** Rebuilt lists that did not match the header's transaction root. */
  rootMismatches: number
  /** Short ids that named two pool transactions, or that a message listed twice. */
  collisions: number
  /** Blocks forwarded after the header check, before full validation. */
  forwardedEarly: number
  /**
   * Blocks this node also published whole on blocks/1 for peers without compact relay
   * (legacy-bridge.ts): its own, and compact ones once fully validated.
   */
  bridged: number
  /**
   * The latest of those: its id (hex), when it was forwarded and when gossipsub handed its
   * message over, as Unix ms with sub-ms precision (performance.timeOrigin +
   * performance.now()): when the block reached this node as far as relaying goes, whatever
   * its validation takes after.
   */
  lastForwarded: { hash: string; at: number; receivedAt: number } | undefined
  /** The latest compact block this node published (its own): its id (hex) and when, as `lastForwarded`'s times. */
  lastPublished: { hash: string; at: number } | undefined
}

/** The counts alone, without the latest forward and publish. */
export type CompactCounts = Omit<CompactStats, 'lastForwarded' | 'lastPublished'>

export class CompactCounters implements CompactStats {
  published = 0
  received = 0
  rebuilt = 0
  fetched = 0
  transactionsFetched = 0
  fallbacks = 0
  rootMismatches = 0
  collisions = 0
  forwardedEarly = 0
  bridged = 0
  lastForwarded: CompactStats['lastForwarded'] = undefined
  lastPublished: CompactStats['lastPublished'] = undefined

  /** A compact block of ours (`hash`, hex) published now. */
  publishedNow(hash: string): void {
    this.published++
    this.lastPublished = { hash, at: performance.timeOrigin + performance.now() }
  }

  /** A block forwarded now; gossipsub handed its message over at `receivedAt` (performance.now()). */
  forwarded(hash: string, receivedAt: number): void {
    this.forwardedEarly++
    const origin = performance.timeOrigin
    this.lastForwarded = { hash, at: origin + performance.now(), receivedAt: origin + receivedAt }
  }

  snapshot(): CompactStats {
    return {
      ...this,
      lastForwarded: this.lastForwarded === undefined ? undefined : { ...this.lastForwarded },
      lastPublished: this.lastPublished === undefined ? undefined : { ...this.lastPublished },
    }
  }
}
