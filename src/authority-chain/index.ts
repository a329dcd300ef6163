/**
 * The authority chain: a proof-of-authority chain that plugs into paw-node through the
 * chain port (src/ports/chain.ts) alone — docs/authority-chain.md for the chain,
 * docs/chain-port.md for the port. Browser-safe.
 */
export { BLOCK_WEIGHT } from './block-tree.ts'
export * from './constants.ts'
export {
  AUTHORITY_CODEC,
  decodeBlock,
  decodeHeader,
  decodeTransaction,
  encodeBlock,
  encodeHeader,
  encodeTransaction,
  headerSigningMessage,
  transactionSigningMessage,
} from './encoding.ts'
export {
  AuthorityChainError,
  AuthorityCode,
  type AuthorityCodeValue,
  isAuthorityChainError,
} from './errors.ts'
export { type AuthorityChainInit, AuthorityFullChain } from './full-chain.ts'
export { authorityDevnet, checkGenesis, type Devnet, type DevnetInit, genesisBlock } from './genesis.ts'
export { blockHash, genesisCommitment, transactionId, txRoot } from './hashing.ts'
export { AuthorityHeaderChain, type AuthorityHeaderChainInit } from './header-chain.ts'
export {
  keyFromSecret,
  newKey,
  publicTestKey,
  signHeader,
  signTransfer,
  type UnsignedTransfer,
  verifyHeaderSignature,
  verifyTransactionSignature,
} from './keys.ts'
export { AuthorityPool } from './pool.ts'
export { nextProposer, type Proposal, ProposeError, type ProposeOptions, propose } from './propose.ts'
export { AUTHORITY_SHAPE } from './summaries.ts'
export type * from './types.ts'
