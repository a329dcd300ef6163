/**
 * Why a state proof, an account encoding or a tree operation is refused. A stable `code`
 * per cause, so the light client (reputation, metrics, tests) keys on it, and a Symbol.for
 * brand like ChainError's, so the check survives two copies of the package in a dApp
 * bundle (STYLE.md §4).
 */

export const StateTreeErrorCode = {
  /**
   * Bytes that are not a state proof's encoding (docs/chain.md "State tree"). Proofs come
   * from peers: whoever sent them is at fault.
   */
  MalformedProof: 'ERR_MALFORMED_STATE_PROOF',
  /**
   * A well-formed proof that does not prove the key's value (or absence) under the root:
   * another root, another key, a forged value or sibling. The sender is at fault.
   */
  BadProof: 'ERR_BAD_STATE_PROOF',
  /** Bytes that are not a 16-byte account encoding. */
  MalformedAccount: 'ERR_MALFORMED_ACCOUNT',
  /** A root this tree does not retain: never made here, or pruned. Local, not a peer's fault. */
  UnknownRoot: 'ERR_UNKNOWN_STATE_ROOT',
  /** A node that a retained root reaches is not in the store: the store is corrupt. */
  MissingNode: 'ERR_MISSING_STATE_NODE',
} as const

export type StateTreeErrorCodeValue = (typeof StateTreeErrorCode)[keyof typeof StateTreeErrorCode]

const STATE_TREE_ERROR_BRAND = Symbol.for('paw-node/state-tree-error')

export class StateTreeError extends Error {
  override readonly name = 'StateTreeError'
  readonly code: StateTreeErrorCodeValue
  readonly [STATE_TREE_ERROR_BRAND] = true

  constructor(code: StateTreeErrorCodeValue, message: string) {
    super(message)
    this.code = code
  }
}

export function isStateTreeError(value: unknown): value is StateTreeError {
  return typeof value === 'object' && value !== null && STATE_TREE_ERROR_BRAND in value
}

/**
 * Codes that prove the peer who sent the proof wrong, whatever this node holds: a lying or
 * broken peer, to penalise (the others are this node's own state).
 */
export const PEER_FAULT_CODES: ReadonlySet<StateTreeErrorCodeValue> = new Set([
  StateTreeErrorCode.MalformedProof,
  StateTreeErrorCode.BadProof,
  StateTreeErrorCode.MalformedAccount,
])
