/**
 * Why the block store refused to open or to commit. A stable `code` per cause, and a
 * Symbol.for brand (like PawError's and ChainError's) so the check survives two copies of
 * the package. Browser-safe.
 */

export const StoreErrorCode = {
  /** Another process (or another store in this one) holds the database: LevelDB's LOCK. */
  Locked: 'STORE_LOCKED',
  /** The database could not be opened for another reason (I/O, permissions, corruption). */
  OpenFailed: 'STORE_OPEN_FAILED',
  /** The store is not open: never opened, closing or closed. */
  Closed: 'STORE_CLOSED',
  /** LevelDB failed to write a commit's batch (disk full, I/O error). */
  WriteFailed: 'STORE_WRITE_FAILED',
  /** A commit whose shape is wrong or that would leave the tip off the best-chain index. */
  InvalidChange: 'STORE_INVALID_CHANGE',
  /** The database was written by an incompatible store format. */
  Incompatible: 'STORE_INCOMPATIBLE',
  /** A stored record does not decode, or the stored tip and index disagree. */
  Corrupt: 'STORE_CORRUPT',
} as const

export type StoreErrorCodeValue = (typeof StoreErrorCode)[keyof typeof StoreErrorCode]

const STORE_ERROR_BRAND = Symbol.for('paw-node/store-error')

export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: StoreErrorCodeValue
  /** The database directory, for a LevelDB store; undefined for the memory store. */
  readonly path: string | undefined
  readonly [STORE_ERROR_BRAND] = true

  constructor(code: StoreErrorCodeValue, message: string, options?: ErrorOptions & { path?: string }) {
    super(message, options)
    this.code = code
    this.path = options?.path
  }
}

export function isStoreError(value: unknown): value is StoreError {
  return typeof value === 'object' && value !== null && STORE_ERROR_BRAND in value
}
