/**
 * The block whose validation the state root is compared with, built untimed on the
 * paw-devnet params as they are (as bench/chain/setup.ts does): block 1 has the four devnet
 * accounts fund `transfers` senders; block 2, the measured one, carries `transfers` signed
 * transfers, each from its own sender to its own fresh recipient, so it touches
 * 2 × transfers + 1 accounts (the miner's too): the T of the "block touching T
 * accounts". Both blocks are checked with validateBlock here, so a broken setup fails
 * before anything is timed.
 *
 * validateBlock computes the state root through its `stateRootAfter`; here that hands back
 * the header's root, computed at setup, so the time it measures is validation without the
 * root, the ratio's denominator (the root is timed apart, on trees of each size).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { HASH_LENGTH, HEADER_VERSION, SIGNATURE_LENGTH } from '../../src/chain/encoding.ts'
import { genesisBlock, genesisState } from '../../src/chain/genesis.ts'
import { blockHash, txRoot } from '../../src/chain/hashing.ts'
import {
  BASE_UNITS_PER_PAW,
  DEVNET_ACCOUNT_COUNT,
  devnetAccount,
  PAW_DEVNET,
} from '../../src/chain/params.ts'
import { mineHeader, nextTarget } from '../../src/chain/pow.ts'
import { accountFromPrivateKey, signTransaction } from '../../src/chain/signing.ts'
import {
  type AccountState,
  applyBlock,
  type ChainState,
  cloneState,
  StateOverlay,
} from '../../src/chain/state.ts'
import { type StateRootAfter, stateRootOf } from '../../src/chain/state-commitment.ts'
import type { Address, Block, BlockHeader, Transaction } from '../../src/chain/types.ts'
import { type ValidationContext, validateBlock } from '../../src/chain/validation.ts'
import { fromHex, utf8Encode } from '../../src/wire/bytes.ts'

const FEE = 1_000n
const MINER: Address = new Uint8Array(32).fill(0x4d)

export interface BenchBlock {
  block: Block
  parent: BlockHeader
  /** The state after the parent; validateBlock does not change it. */
  parentState: ChainState
  context: ValidationContext
  /** validateBlock's root step, without the work: the header's root (see above). */
  stateRootAfter: StateRootAfter
  /** Every account the block touches: address, state before, state after. */
  touched: Array<{ address: Address; before: AccountState | undefined; after: AccountState | undefined }>
}

const key = (label: string) => sha256(utf8Encode(label))

function coinbase(height: number, amount: bigint): Transaction {
  return {
    from: new Uint8Array(32),
    to: MINER,
    amount,
    fee: 0n,
    nonce: BigInt(height),
    signature: new Uint8Array(SIGNATURE_LENGTH),
  }
}

async function child(
  blocks: Block[],
  state: ChainState,
  transfers: Transaction[],
): Promise<{ block: Block; context: ValidationContext; stateRootAfter: StateRootAfter }> {
  const params = PAW_DEVNET
  const parent = (blocks.at(-1) as Block).header
  const height = parent.height + 1
  const fees = transfers.reduce((sum, tx) => sum + tx.fee, 0n)
  const transactions = [coinbase(height, params.blockReward + fees), ...transfers]
  const draft: BlockHeader = {
    version: HEADER_VERSION,
    chainId: params.chainId,
    height,
    previousHash: blockHash(parent),
    timestamp: parent.timestamp + params.targetBlockTimeMs,
    txRoot: txRoot(transactions),
    target: await nextTarget(params, parent, (h) => blocks[h]?.header),
    nonce: 0n,
    stateRoot: new Uint8Array(HASH_LENGTH),
  }
  const after = cloneState(state)
  applyBlock(after, { header: draft, transactions })
  draft.stateRoot = stateRootOf(after)
  const header = await mineHeader(draft, { maxIterations: 2_000_000 })
  if (header === undefined) throw new Error('setup: the devnet target took over 2M hashes')
  const block = { header, transactions }
  const context: ValidationContext = {
    params,
    now: header.timestamp + 3_600_000,
    getHeaderAtHeight: (h) => blocks[h]?.header,
  }
  const root = header.stateRoot
  const stateRootAfter: StateRootAfter = () => ({ root, newNodes: 0, commit: () => root })
  await validateBlock(block, parent, state, context, stateRootAfter)
  return { block, context, stateRootAfter }
}

export async function buildBenchBlock(transfers: number): Promise<BenchBlock> {
  const { chainId } = PAW_DEVNET
  const blocks: Block[] = [genesisBlock(PAW_DEVNET)]
  const state = genesisState(PAW_DEVNET)
  const senders = Array.from({ length: transfers }, (_, i) =>
    accountFromPrivateKey(key(`paw-bench state sender ${i}`)),
  )
  const funding = senders.map((sender, i) => {
    const funder = devnetAccount(i % DEVNET_ACCOUNT_COUNT)
    const nonce = BigInt(Math.floor(i / DEVNET_ACCOUNT_COUNT))
    const unsigned = {
      from: funder.address,
      to: sender.address,
      amount: 100n * BASE_UNITS_PER_PAW,
      fee: FEE,
      nonce,
    }
    return signTransaction(unsigned, funder.privateKey, chainId)
  })
  const first = await child(blocks, state, funding)
  applyBlock(state, first.block)
  blocks.push(first.block)
  const payments = senders.map((sender, i) => {
    const unsigned = {
      from: sender.address,
      to: key(`paw-bench state recipient ${i}`),
      amount: BASE_UNITS_PER_PAW,
      fee: FEE,
      nonce: 0n,
    }
    return signTransaction(unsigned, sender.privateKey, chainId)
  })
  const parentState = cloneState(state)
  const { block, context, stateRootAfter } = await child(blocks, state, payments)
  const overlay = new StateOverlay(state)
  const undo = applyBlock(overlay, block)
  const touched = undo.previous.map(([hex, before]) => ({
    address: fromHex(hex),
    before,
    after: overlay.get(hex),
  }))
  return { block, parent: first.block.header, parentState, context, stateRootAfter, touched }
}
