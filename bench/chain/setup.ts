/**
 * The chain the chain benchmark validates, built untimed on the paw-devnet params as they
 * are: block 1 has the four devnet accounts fund BENCH_ACCOUNTS accounts, then each bench
 * block carries 1,000 signed transfers among them (plus the coinbase), mined on the devnet
 * target and valid against its parent's state. Every block is validated with
 * validateBlock as it is added, so a broken setup fails here, before anything is timed.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { HASH_LENGTH, SIGNATURE_LENGTH } from '../../src/chain/encoding.ts'
import { ChainErrorCode, isChainError } from '../../src/chain/errors.ts'
import { genesisBlock, genesisState } from '../../src/chain/genesis.ts'
import { blockHash, txRoot } from '../../src/chain/hashing.ts'
import {
  BASE_UNITS_PER_PAW,
  DEVNET_ACCOUNT_COUNT,
  devnetAccount,
  PAW_DEVNET,
} from '../../src/chain/params.ts'
import { mineHeader, nextTarget } from '../../src/chain/pow.ts'
import { type Account, accountFromPrivateKey, signTransaction } from '../../src/chain/signing.ts'
import { type ChainState, cloneState, getAccount } from '../../src/chain/state.ts'
import {
  blockState,
  type StateRootAfter,
  stateTreeOf,
  treeChanges,
} from '../../src/chain/state-commitment.ts'
import type { StateTree } from '../../src/chain/state-tree/index.ts'
import type { Address, Block, BlockHeader, ChainParams, Transaction } from '../../src/chain/types.ts'
import { type ValidationContext, validateBlock } from '../../src/chain/validation.ts'
import { utf8Encode } from '../../src/wire/bytes.ts'

/** Senders of the bench blocks: each sends TRANSFERS_PER_BLOCK / BENCH_ACCOUNTS a block. */
export const BENCH_ACCOUNTS = 50
/** The block size. */
export const TRANSFERS_PER_BLOCK = 1_000
const FEE = 1_000n
/** What block 1 gives each bench account: 13 of them per devnet account must fit its 1M PAW. */
const FUNDING = 50_000n * BASE_UNITS_PER_PAW
/** An address no key signs for: where the coinbases pay. */
const MINER: Address = new Uint8Array(32).fill(0x4d)
/** Index of the transaction the negative control breaks (a transfer mid-block). */
const BROKEN_TX_INDEX = 500

/** A block to validate with everything validateBlock needs. */
export interface BlockCase {
  block: Block
  parent: BlockHeader
  /** The state after the parent; validateBlock does not change it. */
  parentState: ChainState
  context: ValidationContext
  /** validateBlock's state root computation, on the bench chain's tree from the parent's root. */
  stateRootAfter: StateRootAfter
}

export interface BenchChain {
  params: ChainParams
  accounts: Account[]
  /** The blocks of TRANSFERS_PER_BLOCK transfers, each with its parent state. */
  cases: BlockCase[]
  /** The first bench block with one signature broken and txRoot and proof of work redone. */
  brokenSignature: BlockCase
}

/** Bench account `index`: a deterministic key, so runs validate the same blocks. */
function benchAccount(index: number): Account {
  return accountFromPrivateKey(sha256(utf8Encode(`paw-bench account ${index}`)))
}

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

async function mine(header: BlockHeader): Promise<BlockHeader> {
  const mined = await mineHeader({ ...header, nonce: 0n }, { maxIterations: 2_000_000 })
  if (mined === undefined) throw new Error('setup: the devnet target took over 2M hashes')
  return mined
}

async function seal(header: BlockHeader, transactions: Transaction[]): Promise<Block> {
  return { header: await mine({ ...header, txRoot: txRoot(transactions) }), transactions }
}

/** Prepares (never commits) the state after a child of `parent` in `tree`. */
function rootAfter(tree: StateTree, parent: BlockHeader): StateRootAfter {
  return (view, touched) => tree.prepare(treeChanges(touched, view), { base: parent.stateRoot })
}

class Builder {
  readonly params: ChainParams
  readonly blocks: Block[]
  readonly state: ChainState
  /** Keeps every root: each case validates against its own parent's. */
  readonly tree: StateTree

  constructor(params: ChainParams) {
    this.params = params
    this.blocks = [genesisBlock(params)]
    this.state = genesisState(params)
    this.tree = stateTreeOf(this.state, { keep: 1_000 })
  }

  get tip(): BlockHeader {
    return (this.blocks.at(-1) as Block).header
  }

  /** The clock an hour past the tip, fixed, so runs do not depend on the wall clock. */
  context(): ValidationContext {
    const blocks = this.blocks
    return {
      params: this.params,
      now: this.tip.timestamp + 3_600_000,
      getHeaderAtHeight: (height) => blocks[height]?.header,
    }
  }

  /** Mines a child of the tip carrying `transfers`, validates it, applies it. */
  async extend(transfers: Transaction[]): Promise<BlockCase> {
    const parent = this.tip
    const fees = transfers.reduce((sum, tx) => sum + tx.fee, 0n)
    const height = parent.height + 1
    const draft: BlockHeader = {
      version: 2,
      chainId: this.params.chainId,
      height,
      previousHash: blockHash(parent),
      timestamp: parent.timestamp + this.params.targetBlockTimeMs,
      txRoot: new Uint8Array(HASH_LENGTH),
      stateRoot: new Uint8Array(32),
      target: await nextTarget(this.params, parent, (h) => this.blocks[h]?.header),
      nonce: 0n,
    }
    const transactions = [coinbase(height, this.params.blockReward + fees), ...transfers]
    draft.stateRoot = blockState(this.tree, parent.stateRoot, this.state, {
      header: draft,
      transactions,
    }).stateRoot.root
    const block = await seal(draft, transactions)
    const blockCase: BlockCase = {
      block,
      parent,
      parentState: cloneState(this.state),
      context: this.context(),
      stateRootAfter: rootAfter(this.tree, parent),
    }
    const validated = await validateBlock(
      block,
      parent,
      this.state,
      blockCase.context,
      blockCase.stateRootAfter,
    )
    validated.overlay.commit(this.state)
    validated.stateRoot.commit()
    this.blocks.push(block)
    return blockCase
  }
}

/** Transfers where sender s sends its k-th of the block to account s + 1 + k (never itself). */
function benchTransfers(accounts: Account[], state: ChainState, chainId: string): Transaction[] {
  const perSender = TRANSFERS_PER_BLOCK / accounts.length
  const transfers: Transaction[] = []
  for (let k = 0; k < perSender; k++) {
    accounts.forEach((sender, s) => {
      const nonce = getAccount(state, sender.address).nonce + BigInt(k)
      const to = (accounts[(s + 1 + k) % accounts.length] as Account).address
      const amount = BASE_UNITS_PER_PAW + BigInt(k)
      transfers.push(
        signTransaction({ from: sender.address, to, amount, fee: FEE, nonce }, sender.privateKey, chainId),
      )
    })
  }
  return transfers
}

/** One bit of one signature's S half flipped, then txRoot and proof of work redone. */
async function breakOneSignature(good: BlockCase): Promise<BlockCase> {
  const transactions = good.block.transactions.map((tx, i) => {
    if (i !== BROKEN_TX_INDEX) return tx
    const signature = tx.signature.slice()
    signature[40] = (signature[40] as number) ^ 0x01
    return { ...tx, signature }
  })
  return { ...good, block: await seal(good.block.header, transactions) }
}

/** The negative control: the broken block must be refused with BAD_SIGNATURE and nothing else. */
export async function checkBrokenSignatureRefused(broken: BlockCase): Promise<void> {
  try {
    await validateBlock(
      broken.block,
      broken.parent,
      broken.parentState,
      broken.context,
      broken.stateRootAfter,
    )
  } catch (error) {
    if (isChainError(error) && error.code === ChainErrorCode.BadSignature) return
    throw new Error(
      `correctness check failed: the broken-signature block was refused with ${
        isChainError(error) ? error.code : String(error)
      }, expected ${ChainErrorCode.BadSignature}`,
    )
  }
  throw new Error('correctness check failed: a block with a broken signature was accepted')
}

export async function buildBenchChain(blockCount: number): Promise<BenchChain> {
  if (TRANSFERS_PER_BLOCK % BENCH_ACCOUNTS !== 0) throw new Error('accounts must divide the block size')
  const params = PAW_DEVNET
  const builder = new Builder(params)
  const accounts = Array.from({ length: BENCH_ACCOUNTS }, (_, i) => benchAccount(i))
  const funding = accounts.map((account, i) => {
    const funder = devnetAccount(i % DEVNET_ACCOUNT_COUNT)
    const nonce = BigInt(Math.floor(i / DEVNET_ACCOUNT_COUNT))
    return signTransaction(
      { from: funder.address, to: account.address, amount: FUNDING, fee: FEE, nonce },
      funder.privateKey,
      params.chainId,
    )
  })
  await builder.extend(funding)
  const cases: BlockCase[] = []
  for (let i = 0; i < blockCount; i++) {
    cases.push(await builder.extend(benchTransfers(accounts, builder.state, params.chainId)))
  }
  const brokenSignature = await breakOneSignature(cases[0] as BlockCase)
  await checkBrokenSignatureRefused(brokenSignature)
  return { params, accounts, cases, brokenSignature }
}
