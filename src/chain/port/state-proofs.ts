/**
 * The reference chain's side of /paw/state/1 (protocols/state.md; src/ports/chain.ts
 * StateProver, StateVerifier): account proofs against a header's `stateRoot` (docs/chain.md
 * "State tree") and inclusion proofs against its `txRoot` ("Inclusion proofs"). The network
 * carries these bytes; only this file reads them. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type {
  AccountProof,
  Judgement,
  StateProver,
  StateVerifier,
  TransactionProof,
  VerifiedAccount,
  VerifiedInclusion,
} from '../../ports/chain.ts'
import { equalBytes, toHex } from '../../wire/bytes.ts'
import { ADDRESS_LENGTH, HASH_LENGTH } from '../encoding.ts'
import { txHash } from '../hashing.ts'
import { proveInclusion, verifyInclusion } from '../inclusion-proof.ts'
import { isInclusionProofError } from '../inclusion-proof-errors.ts'
import { type AccountState, EMPTY_ACCOUNT } from '../state.ts'
import {
  accountKey,
  decodeStateProof,
  encodeStateProof,
  isStateTreeError,
  type StateTree,
  StateTreeErrorCode,
  verifyAccountProof,
} from '../state-tree/index.ts'
import type { Block, BlockHeader, Hash } from '../types.ts'

/** Headers of the best chain by id: the full chain's or the header chain's. */
export interface BestHeaders {
  bestHeader(hash: Hash): Promise<BlockHeader | undefined>
}

/** What answering needs of the full chain (ReferenceChain is one). */
export interface ProvingChain extends BestHeaders {
  readonly stateTree: StateTree
  findTransaction(id: string): { hash: Hash; index: number } | undefined
  getBlock(hash: Hash): Promise<Block | undefined>
}

const isAddress = (address: Uint8Array): boolean => address.length === ADDRESS_LENGTH

function invalid(code: string, reason: string, cause?: unknown): Judgement<never> {
  return { status: 'invalid', code, reason, ...(cause instanceof Error ? { cause } : {}) }
}

function notOnBestChain(block: Uint8Array): Judgement<never> {
  return {
    status: 'refused',
    code: 'NOT_ON_BEST_CHAIN',
    reason: `block ${toHex(block)} is not on this node's best chain`,
  }
}

/** Answers from the full chain's state tree, its recent blocks and its pool. */
export function referenceStateProver(chain: ProvingChain, inPool: (id: string) => boolean): StateProver {
  return {
    async proveAccount(block, address, options?: AbortOptions): Promise<AccountProof | undefined> {
      if (!isAddress(address)) return undefined
      const header = await chain.bestHeader(block)
      options?.signal?.throwIfAborted()
      if (header === undefined) return { status: 'unknown-block' }
      try {
        const proof = chain.stateTree.prove(header.stateRoot, accountKey(address))
        const encoded = encodeStateProof(proof)
        return proof.kind === 'member'
          ? { status: 'found', value: proof.value, proof: encoded }
          : { status: 'absent', proof: encoded }
      } catch (error) {
        // A root the tree no longer keeps (older than its retained versions, or before a restart).
        if (isStateTreeError(error) && error.code === StateTreeErrorCode.UnknownRoot) {
          return { status: 'unknown-block' }
        }
        throw error
      }
    },

    async proveTransaction(id, options?: AbortOptions): Promise<TransactionProof> {
      if (id.length !== HASH_LENGTH) return { status: 'unknown' }
      const key = toHex(id)
      const included = chain.findTransaction(key)
      if (included !== undefined) {
        const block = await chain.getBlock(included.hash)
        options?.signal?.throwIfAborted()
        if (block !== undefined) {
          const proof = proveInclusion(block.transactions.map(txHash), included.index)
          return { status: 'included', block: included.hash, proof }
        }
      }
      return inPool(key) ? { status: 'pending' } : { status: 'unknown' }
    },
  }
}

/** Checks answers against the best chain's headers `headers` holds (a full or a light node). */
export function referenceStateVerifier(headers: BestHeaders): StateVerifier<AccountState> {
  return {
    isAddress,

    async verifyAccount(
      block,
      address,
      answer,
      options?: AbortOptions,
    ): Promise<Judgement<VerifiedAccount<AccountState>>> {
      const header = await headers.bestHeader(block)
      options?.signal?.throwIfAborted()
      if (header === undefined) return notOnBestChain(block)
      let account: AccountState | undefined
      try {
        const proof = decodeStateProof(answer.proof)
        if (answer.status === 'found') {
          // verifyAccountProof then checks that the value is a 16-byte account.
          if (proof.kind !== 'member' || !equalBytes(proof.value, answer.value)) {
            return invalid(StateTreeErrorCode.BadProof, 'the proof does not carry the value the answer gives')
          }
        } else if (proof.kind === 'member') {
          return invalid(StateTreeErrorCode.BadProof, 'an absence answer carrying a membership proof')
        }
        account = verifyAccountProof(header.stateRoot, address, proof)
      } catch (error) {
        if (isStateTreeError(error)) return invalid(error.code, error.message, error)
        throw error
      }
      return {
        status: 'accepted',
        value: { account: account ?? EMPTY_ACCOUNT, block: block.slice(), height: header.height },
      }
    },

    async verifyTransaction(id, block, proof, options?: AbortOptions): Promise<Judgement<VerifiedInclusion>> {
      const header = await headers.bestHeader(block)
      options?.signal?.throwIfAborted()
      if (header === undefined) return notOnBestChain(block)
      try {
        verifyInclusion(header.txRoot, id, proof)
      } catch (error) {
        if (isInclusionProofError(error)) return invalid(error.code, error.message, error)
        throw error
      }
      return { status: 'accepted', value: { block: block.slice(), height: header.height } }
    },
  }
}
