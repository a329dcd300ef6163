/**
 * Why the authority chain refuses something, with a stable `code` per rule, and the port
 * judgement each carries (src/ports/chain.ts Judgement: `invalid` is provable against the
 * sender, `unknown-parent` and `refused` depend on what this node holds). Browser-safe.
 */
import type { ChainPortRejection, Refusal as PortRefusal } from '../ports/chain.ts'

export const AuthorityCode = {
  /** Bytes that are not a header, transaction or block encoding (wrong length or version). */
  Malformed: 'MALFORMED',
  UnknownParent: 'UNKNOWN_PARENT',
  /** A header of a peer's batch whose parent is not the header before it. */
  Unlinked: 'UNLINKED',
  /** Not its parent's height plus one. */
  BadHeight: 'BAD_HEIGHT',
  /** The proposer index is not height mod the validator count. */
  WrongProposer: 'WRONG_PROPOSER',
  /** The header is not signed by its proposer. */
  BadSignature: 'BAD_SIGNATURE',
  /** Not after its parent's timestamp. */
  BadTimestamp: 'BAD_TIMESTAMP',
  /** More than MAX_FUTURE_DRIFT_MS ahead of this node's clock. */
  FutureTimestamp: 'FUTURE_TIMESTAMP',
  /** The body is not the one the header's txRoot names. */
  BadTxRoot: 'BAD_TX_ROOT',
  DuplicateTransaction: 'DUPLICATE_TRANSACTION',
  /** A transaction not signed by its sender. */
  BadTransactionSignature: 'BAD_TRANSACTION_SIGNATURE',
  /** A zero amount, or a transfer to its own sender. */
  BadTransaction: 'BAD_TRANSACTION',
  /** Its expiry height is below the block it would be in. */
  Expired: 'EXPIRED',
  /** Its expiry height is more than MAX_TRANSACTION_LIFETIME past the block it would be in. */
  ExpiryTooFar: 'EXPIRY_TOO_FAR',
  /** Its id is already included, and its expiry not yet passed. */
  Replayed: 'REPLAYED',
  InsufficientBalance: 'INSUFFICIENT_BALANCE',
  /** The block is one already found invalid, or builds on one. */
  KnownInvalid: 'KNOWN_INVALID',
  /** The pool holds it already. */
  AlreadyPending: 'ALREADY_PENDING',
  PoolFull: 'POOL_FULL',
} as const

export type AuthorityCodeValue = (typeof AuthorityCode)[keyof typeof AuthorityCode]

/** A judgement other than `accepted`, with one of this chain's codes. */
export interface Refusal extends PortRefusal {
  code: AuthorityCodeValue
}

/** A Judgement (src/ports/chain.ts) whose refusals carry this chain's codes. */
export type AuthorityJudgement<T> = { status: 'accepted'; value: T } | Refusal

export const invalid = (code: AuthorityCodeValue, reason: string): Refusal => ({
  status: 'invalid',
  code,
  reason,
})
export const refused = (code: AuthorityCodeValue, reason: string): Refusal => ({
  status: 'refused',
  code,
  reason,
})
export const unknownParent = (reason: string): Refusal => ({
  status: 'unknown-parent',
  code: AuthorityCode.UnknownParent,
  reason,
})

const AUTHORITY_ERROR_BRAND = Symbol.for('paw-node/authority-chain-error')

/**
 * A refusal thrown where the port throws (HeaderChecker.check, importHeaders): a
 * ChainPortRejection. A `refused` rule (a clock ahead of ours) is thrown as `invalid`
 * there, as the reference chain's header sync charges it (docs/authority-chain.md).
 */
export class AuthorityChainError extends Error implements ChainPortRejection {
  override readonly name = 'AuthorityChainError'
  readonly code: AuthorityCodeValue
  readonly status: 'invalid' | 'unknown-parent'
  readonly [AUTHORITY_ERROR_BRAND] = true

  constructor(refusal: Refusal) {
    super(refusal.reason)
    this.code = refusal.code
    this.status = refusal.status === 'unknown-parent' ? 'unknown-parent' : 'invalid'
  }
}

export function isAuthorityChainError(value: unknown): value is AuthorityChainError {
  return typeof value === 'object' && value !== null && AUTHORITY_ERROR_BRAND in value
}

/** Thrown by a decoder: the bytes are no encoding of this chain. */
export class MalformedError extends AuthorityChainError {
  constructor(reason: string) {
    super(invalid(AuthorityCode.Malformed, reason))
  }
}
