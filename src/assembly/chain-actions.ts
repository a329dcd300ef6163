/**
 * What the node's API does with its own chain (src/api.ts announceBlock, submitTransaction,
 * requestTransactions, fetchBlock): add to the local chain or pool, then publish; decode
 * and verify what peers return. The network layer moves encodings; the reference chain's
 * codecs, hashes and checks are applied here, in the node's assembly, not in src/protocols.
 * Browser-safe.
 */
import type { AnnounceResult, NodeChain, SubmitResult, TransactionRequestResult } from '../api.ts'
import { decodeBlock, decodeTransaction, encodeTransaction } from '../chain/encoding.ts'
import { ChainError, ChainErrorCode, isChainError } from '../chain/errors.ts'
import { blockHash, txHash } from '../chain/hashing.ts'
import { verifyTransactionSignature } from '../chain/signing.ts'
import type { AddBlockOutcome, Block, Transaction } from '../chain/types.ts'
import type { PawGossip } from '../gossip/gossip-service.ts'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import type { BlocksProtocol } from '../protocols/blocks/blocks-protocol.ts'
import type { MempoolProtocol } from '../protocols/mempool/mempool-protocol.ts'
import { equalBytes, toHex } from '../wire/bytes.ts'

export interface ChainActionsInit {
  chain: NodeChain | undefined
  chainId: string
  gossip: Pick<PawGossip, 'publishBlock' | 'publishTransaction'>
  blocks: Pick<BlocksProtocol, 'getBlock'>
  mempool: Pick<MempoolProtocol, 'requestTransactions'>
  /** Connected peers, in the order fetchBlock asks them. */
  connectedPeers: () => string[]
  enforcer: Pick<Enforcer, 'charge'>
  log: Logger
}

export class ChainActions {
  readonly #init: ChainActionsInit

  constructor(init: ChainActionsInit) {
    this.#init = init
  }

  async announceBlock(block: Block): Promise<AnnounceResult> {
    const { chain, gossip, log } = this.#init
    const hash = toHex(blockHash(block.header))
    let outcome: AddBlockOutcome
    if (chain?.chain !== undefined) outcome = await chain.chain.addBlock(block)
    else if (chain?.headers !== undefined) outcome = await chain.headers.addHeader(block.header)
    else throw new TypeError('announceBlock needs a node with a chain')
    // A block that lost the race to another of the same height would only be Ignored.
    if (outcome === 'side-branch') return { hash, outcome, recipients: 0 }
    const recipients = await gossip.publishBlock(block)
    log.debug('block announced', { height: block.header.height, hash, outcome, recipients })
    return { hash, outcome, recipients }
  }

  async submitTransaction(transaction: Transaction): Promise<SubmitResult> {
    const { chain, chainId, gossip } = this.#init
    const encoded = encodeTransaction(transaction)
    let result: { id: string; evicted: string[] }
    if (chain?.mempool !== undefined) {
      result = chain.mempool.add(transaction)
    } else {
      // A light node cannot check balances or nonces; its full peers do. It can refuse a
      // transaction that would only cost it score with them.
      if (!verifyTransactionSignature(transaction, chainId)) {
        throw new ChainError(ChainErrorCode.BadSignature, 'the signature does not verify for this chain')
      }
      result = { id: toHex(txHash(transaction)), evicted: [] }
    }
    const recipients = await gossip.publishTransaction(encoded)
    return { ...result, recipients }
  }

  async requestTransactions(peerId: string, ids: readonly string[]): Promise<TransactionRequestResult> {
    const { found, notFound } = await this.#init.mempool.requestTransactions(peerId, ids)
    return { found: found.map((encoded) => decodeTransaction(encoded)), notFound }
  }

  /** The block `hash` from the first connected peer that has it and whose copy verifies. */
  async fetchBlock(hash: Uint8Array): Promise<Block | undefined> {
    const { chain, blocks, enforcer, log } = this.#init
    for (const peerId of this.#init.connectedPeers()) {
      let bytes: Uint8Array | undefined
      try {
        bytes = await blocks.getBlock(peerId, hash)
      } catch (error) {
        log.debug('block request failed', { peer: peerId, error: (error as Error).message })
        continue
      }
      if (bytes === undefined) continue
      try {
        const block = decodeBlock(bytes)
        if (!equalBytes(blockHash(block.header), hash))
          throw new ChainError(ChainErrorCode.Malformed, 'not the block asked for')
        await chain?.headers?.verifyBody(block)
        return block
      } catch (error) {
        if (!isChainError(error)) throw error
        // UNKNOWN_PARENT from verifyBody means we lack the header: not the peer's fault.
        if (error.code !== ChainErrorCode.UnknownParent) {
          enforcer.charge(
            peerId,
            'invalidMessage',
            `block refused: ${error.code}: ${error.message}`,
            'fetchBlock',
          )
        } else {
          log.warn('block refused', { peer: peerId, code: error.code, error: error.message })
        }
      }
    }
    return undefined
  }
}
