/**
 * What the network layer needs of a chain's pool of pending transactions (STYLE.md "our
 * layout": ports): transactions as the opaque encodings they travel in, each named by its
 * id (the hex of its hash, as protocols/mempool.md defines). /paw/mempool/1 announces,
 * serves and fetches through this and never decodes a transaction, so another chain can
 * plug in its own pool. Browser-safe.
 */

/** A transaction fetched from a peer, its encoding checked to hash to `id`. */
export interface FetchedTransaction {
  id: string
  encoded: Uint8Array
}

/**
 * What became of a fetched transaction: added to the pool; invalid (no valid transaction
 * can be it: the peer that sent it is charged, and it is never fetched again); or refused
 * for now (a gap before it, a full pool: worth trying again once others are in).
 */
export type FetchedOutcome = 'admitted' | 'invalid' | 'refused'

export interface TransactionPoolPort {
  has(id: string): boolean
  /** The encoding of a pending transaction, or undefined if the pool does not hold it. */
  encoded(id: string): Uint8Array | undefined
  /** Up to `max` pending ids, the best first (the `mempool_hashes` inventory). */
  bestIds(max: number): string[]
  /**
   * Admits transactions fetched from `from`, in whatever order the chain needs (the
   * reference chain: each sender's nonces ascending), and reports each by id. Not
   * re-flooded: the peers that had them already did.
   */
  admitFetched(fetched: readonly FetchedTransaction[], from: string): Map<string, FetchedOutcome>
}
