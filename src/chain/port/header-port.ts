/**
 * The reference chain as a light node's chain port (src/ports/chain.ts HeaderChainPort):
 * a HeaderChain (headers only, checked by the header rules, fork choice by work) behind
 * the encodings the network moves. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { TypedEventTarget } from 'main-event'
import type { HeaderChainPort, Imported, Judgement, StateVerifier } from '../../ports/chain.ts'
import { decodeBlock, decodeHeader, decodeTransaction } from '../encoding.ts'
import { ChainError, ChainErrorCode, isChainError } from '../errors.ts'
import { blockHash, txHash } from '../hashing.ts'
import { verifyTransactionSignature } from '../signing.ts'
import type {
  AddBlockOutcome,
  Block,
  BlockHeader,
  ChainParams,
  ChainPosition,
  HeaderChainEvents,
  Transaction,
} from '../types.ts'
import { judgementOf, ReferenceChainRejection } from './judgement.ts'
import { ReferenceView } from './reference-view.ts'
import { referenceStateVerifier } from './state-proofs.ts'

/** What the port needs of a header chain (src/chain/header-chain.ts HeaderChain is one). */
export interface ReferenceHeaders extends TypedEventTarget<HeaderChainEvents> {
  readonly params: ChainParams
  tip(): ChainPosition
  addHeader(header: BlockHeader): Promise<AddBlockOutcome>
  /** Throws a HeaderBatchError at the first refused header; those before it stay added. */
  addHeaders(headers: readonly BlockHeader[]): Promise<AddBlockOutcome[]>
  getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]>
  hasHeader(hash: Uint8Array): Promise<boolean>
  verifyBody(block: Block): Promise<void>
  /** The header of `hash` if on the best chain: with it, the port checks /paw/state/1 answers. */
  bestHeader?(hash: Uint8Array): Promise<BlockHeader | undefined>
}

const hashOf = (header: BlockHeader): Uint8Array => blockHash(header)

class ReferenceHeaderPort extends ReferenceView implements HeaderChainPort<Block, Transaction, BlockHeader> {
  readonly kind = 'headers'
  readonly stateVerifier?: StateVerifier
  readonly #headers: ReferenceHeaders

  constructor(headers: ReferenceHeaders) {
    super(headers)
    this.#headers = headers
    const { bestHeader } = headers
    if (bestHeader !== undefined) {
      this.stateVerifier = referenceStateVerifier({ bestHeader: (hash) => bestHeader.call(headers, hash) })
    }
    headers.addEventListener('tip', (event: HeaderChainEvents['tip']) => this.relayTip(event.detail.tip))
    headers.addEventListener('reorg', (event: HeaderChainEvents['reorg']) => {
      const { disconnected, connected } = event.detail
      this.relayReorg(disconnected.map(hashOf), connected.map(hashOf))
    })
  }

  async importHeader(encoded: Uint8Array, options?: AbortOptions): Promise<Judgement<Imported<BlockHeader>>> {
    options?.signal?.throwIfAborted()
    let header: BlockHeader
    try {
      header = decodeHeader(encoded)
    } catch (error) {
      if (!isChainError(error)) throw error
      return judgementOf(error, 'header')
    }
    try {
      const outcome = await this.#headers.addHeader(header)
      return {
        status: 'accepted',
        value: {
          outcome,
          hash: blockHash(header),
          height: header.height,
          headerEncoding: encoded,
          decoded: header,
        },
      }
    } catch (error) {
      if (!isChainError(error)) throw error
      return judgementOf(error, 'header')
    }
  }

  /**
   * Adds a peer's headers in order; how many were new. The first must build on a header we
   * hold (UNKNOWN_PARENT there: we may lack its branch); any later one's parent is the one
   * before it in the batch, so an UNKNOWN_PARENT there means the batch does not link.
   */
  async importHeaders(encoded: readonly Uint8Array[], options?: AbortOptions): Promise<number> {
    options?.signal?.throwIfAborted()
    const headers: BlockHeader[] = []
    for (const bytes of encoded) {
      try {
        headers.push(decodeHeader(bytes))
      } catch (error) {
        if (!isChainError(error)) throw error
        throw ReferenceChainRejection.of(error)
      }
    }
    try {
      const outcomes = await this.#headers.addHeaders(headers)
      return outcomes.filter((outcome) => outcome !== 'duplicate').length
    } catch (error) {
      if (!isChainError(error)) throw error
      const first = ((error as { index?: number }).index ?? 0) === 0
      const behind = first && error.code === ChainErrorCode.UnknownParent
      throw ReferenceChainRejection.of(error, behind ? 'unknown-parent' : 'invalid')
    }
  }

  async hasHeader(hash: Uint8Array, options?: AbortOptions): Promise<boolean> {
    options?.signal?.throwIfAborted()
    return this.#headers.hasHeader(hash)
  }

  /**
   * What a node without state can check of its user's transaction: a canonical encoding
   * and a signature valid on this chain (its full peers would Reject, and charge, anything else).
   */
  checkTransaction(encoded: Uint8Array): Judgement<{ id: Uint8Array; decoded: Transaction }> {
    let transaction: Transaction
    try {
      transaction = decodeTransaction(encoded)
      if (!verifyTransactionSignature(transaction, this.chainId)) {
        throw new ChainError(ChainErrorCode.BadSignature, 'the signature does not verify for this chain')
      }
    } catch (error) {
      if (!isChainError(error)) throw error
      return judgementOf(error, 'transaction')
    }
    return { status: 'accepted', value: { id: txHash(transaction), decoded: transaction } }
  }

  /** Checks a block fetched for a header we hold: the body rules, not the state rules. */
  async verifyBlock(encoded: Uint8Array, options?: AbortOptions): Promise<Judgement<Block>> {
    options?.signal?.throwIfAborted()
    let block: Block
    try {
      block = decodeBlock(encoded)
    } catch (error) {
      if (!isChainError(error)) throw error
      return judgementOf(error, 'block')
    }
    try {
      await this.#headers.verifyBody(block)
      return { status: 'accepted', value: block }
    } catch (error) {
      if (!isChainError(error)) throw error
      return judgementOf(error, 'block')
    }
  }
}

/** The reference chain's HeaderChainPort over a light node's header chain. */
export function referenceHeaderPort(
  headers: ReferenceHeaders,
): HeaderChainPort<Block, Transaction, BlockHeader> {
  return new ReferenceHeaderPort(headers)
}
