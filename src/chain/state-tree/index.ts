/**
 * The state tree's public surface: the authenticated account map of issue 18, its proofs
 * and their encoding (docs/chain.md "State tree"). Browser-safe. A light client needs only
 * decodeStateProof and verifyAccountProof; a full node builds a StateTree.
 */

export {
  ACCOUNT_VALUE_LENGTH,
  accountChanges,
  accountKey,
  accountValue,
  decodeAccountValue,
  encodeAccountValue,
  verifyAccountProof,
} from './account.ts'
export {
  isStateTreeError,
  PEER_FAULT_CODES,
  StateTreeError,
  StateTreeErrorCode,
  type StateTreeErrorCodeValue,
} from './errors.ts'
export {
  EMPTY_STATE_ROOT,
  internalHash,
  leafHash,
  MAX_TREE_DEPTH,
  STATE_HASH_LENGTH,
  valueHash,
} from './hashing.ts'
export type { InternalRecord, LeafRecord, NodeId, NodeRecord } from './node.ts'
export { MemoryNodeStore, type NodeStore, type NodeWrites } from './node-store.ts'
export {
  type EmptyProof,
  type MemberProof,
  type OtherLeafProof,
  proofRoot,
  type StateProof,
  verifyStateProof,
} from './proof.ts'
export { decodeStateProof, encodeStateProof, MAX_STATE_PROOF_BYTES, StateProofKind } from './proof-codec.ts'
export {
  DEFAULT_KEEP_ROOTS,
  type PendingUpdate,
  type PruneResult,
  StateTree,
  type StateTreeInit,
  type UpdateOptions,
} from './state-tree.ts'
