/**
 * The mempool's settings and the functions the chain injects. The mempool knows nothing of
 * encodings, hashes or state: `txId`, `txSize` and `validate` come from the chain, so this
 * module stays independent of the reference chain's internals (as Lodestar's reqresp takes
 * `getBlocks` handlers rather than importing the chain). Browser-safe.
 */
import type { Transaction } from '../types.ts'

/**
 * 20,000 transfers of 152 bytes are about 2.9 MiB: three full 1 MiB blocks' worth, so a
 * miner can fill a block at any load, and a bound on what re-validating after a reorg can
 * cost (signatures come from the signature cache, so mostly state checks).
 */
export const DEFAULT_MAX_COUNT = 20_000
/**
 * 16 MiB: more than one block's worth (a block must fit a 10 MiB frame), so a miner can
 * always fill a block; the count bound binds first for ordinary transfers.
 */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024

/**
 * What `validate` may see of the pending pool: only the sender's own transactions ahead of
 * the one being checked, in nonce order. Deliberately not other senders' pending credits:
 * then a transaction's validity depends on the tip state and its sender's earlier nonces
 * alone, so evicting or mining one sender's transactions can never invalidate another's,
 * and any selection that keeps each sender's nonce order is a valid block body.
 */
export interface PendingView {
  /** Pending transactions of the sender ahead of this one: its nonce must be the tip nonce plus this. */
  readonly count: number
  /** What they spend (amount + fee, summed): the tip balance must cover this plus this transaction's. */
  readonly spent: bigint
  /** The transactions themselves, in nonce order. */
  readonly transactions: readonly Transaction[]
}

export interface MempoolInit {
  /**
   * Most transactions held.
   * @default 5_000
   */
  maxCount?: number
  /**
   * Most bytes held, counted as `txSize` of each transaction.
   * @default 16 MiB
   */
  maxBytes?: number
  /** The transaction's id: hex of its hash. */
  txId(tx: Transaction): string
  /** The transaction's encoded size in bytes. */
  txSize(tx: Transaction): number
  /**
   * Throws a ChainError if `tx` is invalid against the best tip's state with `pending` (the
   * sender's pending transactions ahead of it) applied: signature, nonce = tip nonce +
   * `pending.count`, balance ≥ `pending.spent` + amount + fee, and the per-transaction rules.
   */
  validate(tx: Transaction, pending: PendingView): void
  /**
   * Clock for arrival times (ms).
   * @default Date.now
   */
  now?: () => number
}

export interface MempoolOptions {
  maxCount: number
  maxBytes: number
  txId(tx: Transaction): string
  txSize(tx: Transaction): number
  validate(tx: Transaction, pending: PendingView): void
  now(): number
}

/** Fills in the defaults and checks the bounds, throwing a RangeError that names the field. */
export function createMempoolOptions(init: MempoolInit): MempoolOptions {
  const options: MempoolOptions = {
    maxCount: init.maxCount ?? DEFAULT_MAX_COUNT,
    maxBytes: init.maxBytes ?? DEFAULT_MAX_BYTES,
    txId: init.txId,
    txSize: init.txSize,
    validate: init.validate,
    now: init.now ?? Date.now,
  }
  validateMempoolOptions(options)
  return options
}

export function validateMempoolOptions(options: MempoolOptions): void {
  for (const field of ['maxCount', 'maxBytes'] as const) {
    const value = options[field]
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`mempool ${field} must be a positive integer, got ${value}`)
    }
  }
}

/** The view of `ahead`, the sender's pending transactions before the one being validated. */
export function pendingView(ahead: readonly Transaction[]): PendingView {
  let spent = 0n
  for (const tx of ahead) spent += tx.amount + tx.fee
  return { count: ahead.length, spent, transactions: ahead }
}
