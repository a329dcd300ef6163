/**
 * A block template on the best tip: the header the miner searches a nonce for, with the
 * coinbase and the mempool's selection (docs/chain.md "Coinbase", "Proof of work").
 * Browser-safe.
 */
import { equalBytes, fromHex, toHex } from '../../wire/bytes.ts'
import {
  ADDRESS_LENGTH,
  BLOCK_PREFIX_LENGTH,
  HASH_LENGTH,
  HEADER_VERSION,
  SIGNATURE_LENGTH,
  TRANSACTION_LENGTH,
} from '../encoding.ts'
import { isChainError } from '../errors.ts'
import { blockHash, txRoot } from '../hashing.ts'
import type { SelectLimits } from '../mempool/index.ts'
import { type HeaderLookup, nextTarget } from '../pow.ts'
import { type AccountState, applyBlock, StateOverlay, type StateView } from '../state.ts'
import type { Address, Block, BlockHeader, Chain, ChainPosition, Hash, Transaction } from '../types.ts'
import { MEDIAN_TIME_BLOCKS, medianTimePast } from '../validation.ts'

/** What the miner needs of a chain: the `Chain` interface and the best tip's accounts. */
export interface MinerChain extends Chain {
  /** An account at the best tip (ReferenceChain.accountOf). */
  accountOf(address: Address): AccountState
  /** The stateRoot of a block on the best tip: the root after its transactions (ReferenceChain.stateRootOnTip). */
  stateRootOnTip(block: Block): Hash
}

/** What the miner needs of a mempool. */
export interface MinerMempool {
  select(limits?: SelectLimits): Transaction[]
}

export interface BlockTemplate {
  /** The block with nonce 0: search from there. */
  block: Block
  /** The tip it extends. */
  parent: ChainPosition
  /** Sum of the transfers' fees (the coinbase pays them with the reward). */
  fees: bigint
}

/** The best tip moved while the template was being built: build again. */
export class StaleTipError extends Error {
  override readonly name = 'StaleTipError'
}

/**
 * Bytes of a block that are not transfers: the header, the transaction count and the
 * coinbase. The mempool's selection gets the rest of maxBlockBytes.
 */
export const TEMPLATE_OVERHEAD_BYTES = BLOCK_PREFIX_LENGTH + TRANSACTION_LENGTH

export function coinbaseTransaction(height: number, amount: bigint, to: Address): Transaction {
  return {
    from: new Uint8Array(ADDRESS_LENGTH),
    to: to.slice(),
    amount,
    fee: 0n,
    nonce: BigInt(height),
    signature: new Uint8Array(SIGNATURE_LENGTH),
  }
}

/**
 * The headers of the best chain the next block's rules read (the median-time window, and
 * the retarget window's first header), with the tip's own header.
 * @throws StaleTipError if the best chain no longer ends at `tip`
 */
async function tipHeaders(
  chain: Chain,
  tip: ChainPosition,
): Promise<{ parent: BlockHeader; lookup: HeaderLookup }> {
  const from = Math.max(0, tip.height - MEDIAN_TIME_BLOCKS + 1)
  const headers = await chain.getHeaders(from, tip.height - from + 1)
  const parent = headers.at(-1)
  if (parent === undefined || parent.height !== tip.height || !equalBytes(blockHash(parent), tip.hash)) {
    throw new StaleTipError('the best tip moved while reading its headers')
  }
  const lookup: HeaderLookup = async (height) =>
    headers[height - from] ?? (await chain.getHeaders(height, 1))[0]
  return { parent, lookup }
}

/**
 * A template on the chain's best tip, paying `rewardAddress`.
 *
 * - header: version 2, the next height, timestamp = max(now, median time past + 1) (the
 *   earliest valid, or the clock), target = nextTarget (the consensus retarget rule);
 * - transactions: the coinbase (reward + fees, nonce = height), then the mempool's
 *   selection, highest fee per byte first within maxBlockBytes, each applied in turn to
 *   an overlay of the tip state and left out if it would fail there. The mempool checks
 *   nonce and balance but not a recipient's u64 overflow, and a sender's later nonces
 *   fail with the one left out, so the body is valid as built.
 *
 * @throws StaleTipError if the tip moved during the asynchronous header reads
 */
export async function buildTemplate(
  chain: MinerChain,
  mempool: MinerMempool,
  rewardAddress: Address,
  now: number,
): Promise<BlockTemplate> {
  const { params } = chain
  const tip = chain.tip()
  const { parent, lookup } = await tipHeaders(chain, tip)
  const header: BlockHeader = {
    version: HEADER_VERSION,
    chainId: params.chainId,
    height: tip.height + 1,
    previousHash: tip.hash,
    timestamp: Math.max(now, (await medianTimePast(parent, lookup)) + 1),
    txRoot: new Uint8Array(HASH_LENGTH),
    stateRoot: new Uint8Array(HASH_LENGTH),
    target: await nextTarget(params, parent, lookup),
    nonce: 0n,
  }
  // Everything below is synchronous: the state it reads is the tip's if the tip is still ours.
  if (!equalBytes(chain.tip().hash, tip.hash)) throw new StaleTipError('the best tip moved')

  const candidates = mempool.select({ maxBytes: params.maxBlockBytes - TEMPLATE_OVERHEAD_BYTES })
  const base: StateView = { get: (key) => chain.accountOf(fromHex(key)) }
  const overlay = new StateOverlay(base)
  // applyBlock checks exactly the consensus state rules; a zero coinbase makes one transfer a block.
  const probeCoinbase = coinbaseTransaction(header.height, 0n, rewardAddress)
  const transfers: Transaction[] = []
  let fees = 0n
  for (const tx of candidates) {
    try {
      applyBlock(overlay, { header, transactions: [probeCoinbase, tx] })
    } catch (error) {
      if (isChainError(error)) continue
      throw error
    }
    transfers.push(tx)
    fees += tx.fee
  }
  const transactions = [
    coinbaseTransaction(header.height, params.blockReward + fees, rewardAddress),
    ...transfers,
  ]
  const block: Block = { header: { ...header, txRoot: txRoot(transactions) }, transactions }
  block.header.stateRoot = chain.stateRootOnTip(block)
  return {
    block,
    parent: tip,
    fees,
  }
}

/** `3fa2b1c0…9d41`: enough of a hash to tell blocks apart in a log. */
export function shortHash(hash: Hash): string {
  const hex = toHex(hash)
  return `${hex.slice(0, 8)}…${hex.slice(-4)}`
}
