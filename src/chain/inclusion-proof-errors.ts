/**
 * Why a transaction inclusion proof is refused (docs/chain.md "Inclusion proofs"). A stable
 * `code` per cause, so the light client (reputation, metrics, tests) keys on it, and a
 * Symbol.for brand like StateTreeError's, so the check survives two copies of the package
 * in a dApp bundle (STYLE.md §4). Both causes are the sender's fault: proofs come from peers.
 */

export const InclusionProofErrorCode = {
  /**
   * Bytes that are not an inclusion proof's encoding: too long or short for the count and
   * index they start with, a count of 0 or over MAX_BLOCK_TRANSACTIONS, an index ≥ count.
   */
  MalformedProof: 'ERR_MALFORMED_INCLUSION_PROOF',
  /**
   * A well-formed proof that does not lead from the transaction id to the root: another
   * block, another transaction, another position, a forged sibling, or a sibling equal to
   * the node it is paired with (a CVE-2012-2459 twin position).
   */
  BadProof: 'ERR_BAD_INCLUSION_PROOF',
} as const

export type InclusionProofErrorCodeValue =
  (typeof InclusionProofErrorCode)[keyof typeof InclusionProofErrorCode]

const INCLUSION_PROOF_ERROR_BRAND = Symbol.for('paw-node/inclusion-proof-error')

export class InclusionProofError extends Error {
  override readonly name = 'InclusionProofError'
  readonly code: InclusionProofErrorCodeValue
  readonly [INCLUSION_PROOF_ERROR_BRAND] = true

  constructor(code: InclusionProofErrorCodeValue, message: string) {
    super(message)
    this.code = code
  }
}

export function isInclusionProofError(value: unknown): value is InclusionProofError {
  return typeof value === 'object' && value !== null && INCLUSION_PROOF_ERROR_BRAND in value
}
