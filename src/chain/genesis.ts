/**
 * The genesis block of a chain, built from its parameters alone, so every node derives the
 * same bytes (docs/chain.md "Genesis"). Browser-safe.
 */
import { ADDRESS_LENGTH, HASH_LENGTH, HEADER_VERSION, SIGNATURE_LENGTH } from './encoding.ts'
import { blockHash, txRoot } from './hashing.ts'
import { applyBlock, type ChainState, createState } from './state.ts'
import { stateRootOf } from './state-commitment.ts'
import type { Block, BlockHeader, ChainParams, Hash, Transaction } from './types.ts'

/**
 * Height 0: previousHash zero, the chain's genesis timestamp and initial target, nonce 0,
 * and one mint per allocation, in the params' order, shaped like a coinbase (from the
 * zero address, nonce 0, fee 0, zero signature). The allocations are thus committed to
 * by txRoot, and the genesis hash names the chain ID and its balances together; stateRoot
 * is the root of the state they make (as every header's: the state after its block).
 * Genesis carries no proof of work and is never validated: it is the definition.
 */
export function genesisBlock(params: ChainParams): Block {
  const transactions: Transaction[] = params.allocations.map(({ address, amount }) => ({
    from: new Uint8Array(ADDRESS_LENGTH),
    to: address.slice(),
    amount,
    fee: 0n,
    nonce: 0n,
    signature: new Uint8Array(SIGNATURE_LENGTH),
  }))
  const header: BlockHeader = {
    version: HEADER_VERSION,
    chainId: params.chainId,
    height: 0,
    previousHash: new Uint8Array(HASH_LENGTH),
    timestamp: params.genesisTimestamp,
    txRoot: txRoot(transactions),
    stateRoot: new Uint8Array(HASH_LENGTH),
    target: params.initialTarget.slice(),
    nonce: 0n,
  }
  const state = createState()
  applyBlock(state, { header, transactions })
  return { header: { ...header, stateRoot: stateRootOf(state) }, transactions }
}

export function genesisHash(params: ChainParams): Hash {
  return blockHash(genesisBlock(params).header)
}

/** The state after genesis: the allocations, and nothing else. */
export function genesisState(params: ChainParams): ChainState {
  const state = createState()
  applyBlock(state, genesisBlock(params))
  return state
}
