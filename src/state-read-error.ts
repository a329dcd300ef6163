/**
 * Why a verified read (getAccount, waitForTransaction; src/api/state-reads.ts) failed: a
 * stable `code` and a Symbol.for brand, as PawError and ChainError have, so a dApp bundling
 * two copies of the package can still tell. Browser-safe.
 */

export const StateReadErrorCode = {
  /** The node's chain does not commit to its state (a chain port without a stateVerifier). */
  Unsupported: 'ERR_STATE_UNSUPPORTED',
  /** No peer gave an answer that could be checked (none connected, none serving, all lying). */
  Unavailable: 'ERR_STATE_UNAVAILABLE',
  /** No one held the transaction, pending or in a recent block, for `dropAfterBlocks` new tips. */
  TransactionDropped: 'ERR_TRANSACTION_DROPPED',
} as const

export type StateReadErrorCodeValue = (typeof StateReadErrorCode)[keyof typeof StateReadErrorCode]

const BRAND = Symbol.for('paw-node/state-read-error')

export class StateReadError extends Error {
  override readonly name = 'StateReadError'
  readonly code: StateReadErrorCodeValue
  readonly [BRAND] = true

  constructor(code: StateReadErrorCodeValue, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

export function isStateReadError(value: unknown): value is StateReadError {
  return typeof value === 'object' && value !== null && BRAND in value
}
