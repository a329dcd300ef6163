/**
 * The reference chain as a full node's chain port (src/ports/chain.ts FullChainPort): the
 * ReferenceChain and its mempool behind the encodings the network moves. The network
 * layer (src/protocols, src/gossip, src/sync, src/peers) reaches the reference chain only
 * through this. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type {
  BlockParts,
  ChainPool,
  FullChainPort,
  Imported,
  Judgement,
  StateProver,
  StateVerifier,
} from '../../ports/chain.ts'
import { decodeBlock, HEADER_LENGTH } from '../encoding.ts'
import { isChainError } from '../errors.ts'
import { blockHash } from '../hashing.ts'
import { type PoolPortEvents, referenceChainPool } from '../mempool/pool-port.ts'
import type { Block, BlockHeader, Chain, ChainEvents, Transaction, TransactionPool } from '../types.ts'
import { REFERENCE_BLOCK_PARTS } from './block-parts.ts'
import { judgementOf } from './judgement.ts'
import { ReferenceView } from './reference-view.ts'
import { type ProvingChain, referenceStateProver, referenceStateVerifier } from './state-proofs.ts'

export interface ReferenceFullPortInit {
  chain: Chain
  mempool: TransactionPool
  /**
   * Told of transactions fetched by /paw/mempool/1, decoded, with the chain's error for an
   * invalid one. The node does not need it (the network charges and reports fetched
   * transactions itself, whatever the chain); tests and tools may.
   */
  events?: PoolPortEvents
  /**
   * The chain's state tree, recent transactions and best headers (a ReferenceChain): with it
   * the node serves and checks /paw/state/1; without it (a bare `Chain`) it does neither.
   */
  proofs?: ProvingChain
}

/** Whether `chain` can answer /paw/state/1 (ReferenceChain can; a bare `Chain` cannot). */
export function isProvingChain(chain: object): chain is ProvingChain {
  const candidate = chain as Partial<Record<keyof ProvingChain, unknown>>
  return (
    typeof candidate.bestHeader === 'function' &&
    typeof candidate.findTransaction === 'function' &&
    typeof candidate.getBlock === 'function' &&
    typeof candidate.stateTree === 'object'
  )
}

const NO_POOL_EVENTS: PoolPortEvents = { admitted: () => {}, invalid: () => {} }

const hashOf = (block: Block): Uint8Array => blockHash(block.header)

class ReferenceFullPort extends ReferenceView implements FullChainPort<Block, Transaction, BlockHeader> {
  readonly kind = 'full'
  readonly pool: ChainPool<Transaction>
  readonly stateProver?: StateProver
  readonly stateVerifier?: StateVerifier
  readonly blockParts: BlockParts = REFERENCE_BLOCK_PARTS
  readonly #chain: Chain

  constructor(init: ReferenceFullPortInit) {
    super(init.chain)
    this.#chain = init.chain
    this.pool = referenceChainPool(init.mempool, init.events ?? NO_POOL_EVENTS)
    if (init.proofs !== undefined) {
      this.stateProver = referenceStateProver(init.proofs, (id) => init.mempool.has(id))
      this.stateVerifier = referenceStateVerifier(init.proofs)
    }
    init.chain.addEventListener('tip', (event: ChainEvents['tip']) => this.relayTip(event.detail.tip))
    init.chain.addEventListener('reorg', (event: ChainEvents['reorg']) => {
      const { disconnected, connected } = event.detail
      this.relayReorg(disconnected.map(hashOf), connected.map(hashOf))
    })
  }

  async encodedBlock(hash: Uint8Array, options?: AbortOptions): Promise<Uint8Array | undefined> {
    options?.signal?.throwIfAborted()
    return this.#chain.getEncodedBlock(hash)
  }

  /**
   * Decodes, validates and stores a block (fork choice moves the tip). A rule it breaks,
   * MALFORMED for bytes that do not decode, is judged by judgementOf.
   */
  async importBlock(encoded: Uint8Array, options?: AbortOptions): Promise<Judgement<Imported<Block>>> {
    options?.signal?.throwIfAborted()
    let block: Block
    try {
      block = decodeBlock(encoded)
    } catch (error) {
      if (!isChainError(error)) throw error
      return judgementOf(error, 'block')
    }
    try {
      const outcome = await this.#chain.addBlock(block)
      const hash = blockHash(block.header)
      return {
        status: 'accepted',
        value: {
          outcome,
          hash,
          height: block.header.height,
          headerEncoding: encoded.subarray(0, HEADER_LENGTH),
          decoded: block,
          transactionCount: block.transactions.length,
        },
      }
    } catch (error) {
      if (!isChainError(error)) throw error
      return judgementOf(error, 'block')
    }
  }
}

/** The reference chain's FullChainPort over `chain` and its `mempool`. */
export function referenceFullPort(
  init: ReferenceFullPortInit,
): FullChainPort<Block, Transaction, BlockHeader> {
  return new ReferenceFullPort(init)
}
