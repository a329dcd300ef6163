/**
 * The reference chain's refusals in the port's terms (src/ports/chain.ts Judgement): which
 * ChainError codes prove a block, header or transaction bad whatever the receiver has seen
 * (invalid: its sender is charged, src/peers/offences.ts), which mean we are behind
 * (unknown-parent), and which depend on this node's view (refused). Browser-safe.
 */
import type { ChainPortRejection, Refusal } from '../../ports/chain.ts'
import {
  type ChainError,
  ChainErrorCode,
  type ChainErrorCodeValue,
  PROVABLY_INVALID_CODES,
} from '../errors.ts'

/** The codes a block's transactions can break only if the block is bad: its own state rules. */
const BLOCK_STATE_CODES: ReadonlySet<ChainErrorCodeValue> = new Set([
  ChainErrorCode.BadNonce,
  ChainErrorCode.InsufficientBalance,
  ChainErrorCode.DuplicateTransaction,
  ChainErrorCode.BadStateRoot,
])

/**
 * The judgement of `error` (its `cause`, rethrown to a local caller as it is). A block whose transactions break a state rule (a nonce, a
 * balance, a transaction twice) is invalid: its state is the parent's, the same for every
 * node, and so is the state root after it (BAD_STATE_ROOT). A transaction refused for those is not: another may have spent the nonce first, or
 * the pool may be full, and an honest peer can relay it. UNKNOWN_PARENT proves nothing (we
 * are behind); BAD_TIMESTAMP may be a clock ahead of ours, so it is refused, not invalid.
 */
export function judgementOf(error: ChainError, kind: 'block' | 'header' | 'transaction'): Refusal {
  const refusal = (status: Refusal['status']): Refusal => ({
    status,
    code: error.code,
    reason: error.message,
    cause: error,
  })
  if (PROVABLY_INVALID_CODES.has(error.code)) return refusal('invalid')
  if (kind === 'block' && BLOCK_STATE_CODES.has(error.code)) return refusal('invalid')
  if (error.code === ChainErrorCode.UnknownParent) return refusal('unknown-parent')
  return refusal('refused')
}

/** A run of headers whose next one does not build on the one before (headers-first sync). */
export const BAD_LINK = 'BAD_LINK'

export type ReferenceRejectionCode = ChainErrorCodeValue | typeof BAD_LINK

const REJECTION_BRAND = Symbol.for('paw-node/reference-chain-rejection')

/**
 * A peer's headers or block broke a reference chain rule (src/ports/chain.ts
 * ChainPortRejection): `code` names the rule, `status` whether the peer is charged.
 */
export class ReferenceChainRejection extends Error implements ChainPortRejection {
  override readonly name = 'ReferenceChainRejection'
  readonly code: ReferenceRejectionCode
  readonly status: 'invalid' | 'unknown-parent'
  readonly [REJECTION_BRAND] = true

  constructor(
    code: ReferenceRejectionCode,
    status: 'invalid' | 'unknown-parent',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.code = code
    this.status = status
  }

  /** The rejection for a ChainError (`status` unless given: invalid). */
  static of(error: ChainError, status: 'invalid' | 'unknown-parent' = 'invalid'): ReferenceChainRejection {
    return new ReferenceChainRejection(error.code, status, error.message, { cause: error })
  }
}

export function isReferenceChainRejection(value: unknown): value is ReferenceChainRejection {
  return typeof value === 'object' && value !== null && REJECTION_BRAND in value
}
