/**
 * Why a sync stopped or a peer's part of it failed. Each cause has a stable `code` (tests,
 * logs and the enforcer's WARN line key on it, never on the message) and a Symbol.for brand
 * like PawError's, so `isSyncError` survives two copies of the package. Browser-safe.
 */

export const SyncErrorCode = {
  /** A peer's data contradicts its own claims or is not a chain's encoding: charged. */
  BadData: 'ERR_SYNC_BAD_DATA',
  /** A peer's header chain does not start from our genesis: charged. */
  WrongChain: 'ERR_SYNC_WRONG_CHAIN',
  /** A block of the peers' chain is invalid: the sync stops, every peer of that chain charged. */
  InvalidChain: 'ERR_SYNC_INVALID_CHAIN',
  /** The chain refused a block for now (a clock ahead of ours, an unknown parent): not charged. */
  Refused: 'ERR_SYNC_REFUSED',
  /** A range failed its budget of attempts (RangeScheduler maxAttempts). */
  Exhausted: 'ERR_SYNC_EXHAUSTED',
  /** No peer that showed the chain could serve the rest of its blocks. */
  Incomplete: 'ERR_SYNC_INCOMPLETE',
} as const

export type SyncErrorCodeValue = (typeof SyncErrorCode)[keyof typeof SyncErrorCode]

const SYNC_ERROR_BRAND = Symbol.for('paw-node/sync-error')

export class SyncError extends Error {
  override readonly name: string = 'SyncError'
  readonly code: SyncErrorCodeValue
  readonly [SYNC_ERROR_BRAND] = true

  constructor(code: SyncErrorCodeValue, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** Data a peer sent that its own claims contradict (a body that is not its header's, a header that is not one). */
export class SyncDataError extends SyncError {
  override readonly name = 'SyncDataError'

  constructor(message: string, options?: ErrorOptions) {
    super(SyncErrorCode.BadData, message, options)
  }
}

export function isSyncError(value: unknown): value is SyncError {
  return typeof value === 'object' && value !== null && SYNC_ERROR_BRAND in value
}
