/**
 * Verified reads of the chain's state (issue 18, protocols/state.md): an account, and a
 * transaction's way into the chain. A light node checks every answer against a header it
 * holds (a full node's proof it did not have to trust); a full node reads its own state.
 */

/** An account, as of a block of this node's best chain. */
export interface AccountReading<A> {
  /** The chain's account (the reference chain: `{ balance, nonce }` in base units). */
  account: A
  /** The address asked about, lowercase hex. */
  address: string
  /** The block whose state it is (lowercase hex) and its height. */
  blockHash: string
  height: number
  /**
   * `proof`: a peer's answer, checked against that block's header (light node);
   * `local`: this node's own state (full node).
   */
  source: 'proof' | 'local'
  /** The peer whose proof it was (source `proof`). */
  peer?: string
}

/** Where a transaction stands, as `waitForTransaction` reports it. */
export type TransactionProgress =
  /** In a pool of the node (full) or of a peer asked (light): proves nothing, it may still be dropped. */
  | { status: 'pending' }
  /** Neither in a pool asked nor in a recent block: not seen (yet), or dropped. */
  | { status: 'unknown' }
  /** In a block of the best chain (proven against its header on a light node). */
  | { status: 'included'; blockHash: string; height: number; confirmations: number }
  /** It was included, and that block left the best chain: waiting for it again. */
  | { status: 'reorged-out'; blockHash: string; height: number }

/** What `waitForTransaction` resolves with: the transaction has its confirmations. */
export interface TransactionConfirmation {
  /** The transaction's id, lowercase hex. */
  id: string
  blockHash: string
  height: number
  /** How many blocks hold it, its own included (≥ the `confirmations` asked for). */
  confirmations: number
}

export interface WaitForTransactionOptions {
  /** Blocks on top of it, its own counted, before the promise resolves. @default 1 */
  confirmations?: number
  /**
   * Give up (ERR_TRANSACTION_DROPPED) after this many new tips in a row at which no one
   * holds it, neither pending nor in a recent block. @default 5
   */
  dropAfterBlocks?: number
  /** Told each time its progress changes: pending → included (each new confirmation) → … */
  onProgress?: (progress: TransactionProgress) => void
  signal?: AbortSignal
}
