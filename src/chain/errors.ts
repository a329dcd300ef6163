/**
 * Why a block, header or transaction is refused. A stable `code` per rule, so callers
 * (tests, reputation, metrics) key on it; a Symbol.for brand like PawError's.
 */

export const ChainErrorCode = {
  /** Bytes that do not decode as a block, header or transaction. */
  Malformed: 'MALFORMED',
  WrongChain: 'WRONG_CHAIN',
  UnknownParent: 'UNKNOWN_PARENT',
  BadHeight: 'BAD_HEIGHT',
  /** Not after the median of the previous blocks, or too far in the future. */
  BadTimestamp: 'BAD_TIMESTAMP',
  /** The header hash is above its target. */
  BadProofOfWork: 'BAD_PROOF_OF_WORK',
  /** The target is not the one retargeting requires. */
  BadTarget: 'BAD_TARGET',
  BadTxRoot: 'BAD_TX_ROOT',
  /** The header's stateRoot is not the root of the state after its block (docs/chain.md "Validation"). */
  BadStateRoot: 'BAD_STATE_ROOT',
  BlockTooLarge: 'BLOCK_TOO_LARGE',
  BadCoinbase: 'BAD_COINBASE',
  BadSignature: 'BAD_SIGNATURE',
  /** Not the sender's next nonce. */
  BadNonce: 'BAD_NONCE',
  InsufficientBalance: 'INSUFFICIENT_BALANCE',
  /** Zero amount, sender = recipient, an amount that overflows u64, and the like. */
  BadTransaction: 'BAD_TRANSACTION',
  DuplicateTransaction: 'DUPLICATE_TRANSACTION',
  /** The mempool is full and the transaction pays too little to displace another. */
  MempoolFull: 'MEMPOOL_FULL',
} as const

export type ChainErrorCodeValue = (typeof ChainErrorCode)[keyof typeof ChainErrorCode]

const CHAIN_ERROR_BRAND = Symbol.for('paw-node/chain-error')

export class ChainError extends Error {
  override readonly name = 'ChainError'
  readonly code: ChainErrorCodeValue
  readonly [CHAIN_ERROR_BRAND] = true

  constructor(code: ChainErrorCodeValue, message: string) {
    super(message)
    this.code = code
  }
}

export function isChainError(value: unknown): value is ChainError {
  return typeof value === 'object' && value !== null && CHAIN_ERROR_BRAND in value
}

/**
 * Codes no valid block or transaction can carry, whatever the receiver has seen: the
 * sender is at fault (a gossip Reject; a fetched transaction charged as invalid). The
 * others (an unknown parent, a nonce already used, a full pool) depend on what this node
 * holds, and an honest peer can relay them.
 */
export const PROVABLY_INVALID_CODES: ReadonlySet<ChainErrorCodeValue> = new Set([
  ChainErrorCode.Malformed,
  ChainErrorCode.WrongChain,
  ChainErrorCode.BadHeight,
  ChainErrorCode.BadProofOfWork,
  ChainErrorCode.BadTarget,
  ChainErrorCode.BadTxRoot,
  ChainErrorCode.BlockTooLarge,
  ChainErrorCode.BadCoinbase,
  ChainErrorCode.BadSignature,
  ChainErrorCode.BadTransaction,
])
