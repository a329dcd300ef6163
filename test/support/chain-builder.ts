/**
 * Builds valid chains for tests: blocks with a correct coinbase, txRoot, target and
 * timestamp, mined on the chain's target (devnet by default: ~4,096 hashes a block).
 * Tests break one thing in a valid block, `reseal` it, and expect one error code.
 */
import { HASH_LENGTH, SIGNATURE_LENGTH } from '../../src/chain/encoding.ts'
import { isChainError } from '../../src/chain/errors.ts'
import { genesisBlock, genesisState } from '../../src/chain/genesis.ts'
import { blockHash, txRoot } from '../../src/chain/hashing.ts'
import { devnetAccount, PAW_DEVNET } from '../../src/chain/params.ts'
import { mineHeader, nextTarget } from '../../src/chain/pow.ts'
import { type Account, signTransaction } from '../../src/chain/signing.ts'
import { type ChainState, getAccount } from '../../src/chain/state.ts'
import {
  blockState,
  type StateRootAfter,
  stateTreeOf,
  treeChanges,
} from '../../src/chain/state-commitment.ts'
import type { StateTree } from '../../src/chain/state-tree/index.ts'
import type { Address, Block, BlockHeader, ChainParams, Transaction } from '../../src/chain/types.ts'
import { type ValidationContext, validateBlock } from '../../src/chain/validation.ts'

/** The devnet's funded accounts (public keys: devnets only). */
export const alice = devnetAccount(0)
export const bob = devnetAccount(1)
export const carol = devnetAccount(2)

/** An address no key signs for: where test coinbases pay. */
export const MINER: Address = new Uint8Array(32).fill(0x4d)

/** Finds a nonce for the header as it is; throws if the target is too hard for a test. */
export async function mine(header: BlockHeader): Promise<BlockHeader> {
  const mined = await mineHeader({ ...header, nonce: 0n }, { maxIterations: 2_000_000 })
  if (mined === undefined) throw new Error('test target too hard to mine')
  return mined
}

/** Recomputes txRoot from the transactions, then mines again. */
export async function reseal(block: Block): Promise<Block> {
  const header = await mine({ ...block.header, txRoot: txRoot(block.transactions) })
  return { header, transactions: block.transactions }
}

export function coinbase(height: number, amount: bigint, to: Address = MINER): Transaction {
  return {
    from: new Uint8Array(32),
    to,
    amount,
    fee: 0n,
    nonce: BigInt(height),
    signature: new Uint8Array(SIGNATURE_LENGTH),
  }
}

export interface BuildOptions {
  /** Transfers after the coinbase. */
  transactions?: Transaction[]
  /** Fields to set before the coinbase, txRoot, stateRoot and nonce are worked out (a stateRoot given is kept). */
  header?: Partial<BlockHeader>
  /** Replaces the coinbase built from the final height and the fees. */
  coinbase?: Transaction
}

/** A chain in memory: its blocks by height, the state at its tip. */
export class TestChain {
  readonly params: ChainParams
  readonly blocks: Block[]
  readonly state: ChainState
  /** The state tree over `state`: its newest root is the tip's stateRoot. */
  readonly tree: StateTree
  /** validateBlock's last argument for a child of the tip. */
  readonly stateRootAfter: StateRootAfter = (view, touched) =>
    this.tree.prepare(treeChanges(touched, view), { base: this.tip.stateRoot })

  constructor(params: ChainParams = PAW_DEVNET) {
    this.params = params
    this.blocks = [genesisBlock(params)]
    this.state = genesisState(params)
    this.tree = stateTreeOf(this.state)
  }

  /**
   * The stateRoot of a child of the tip with these transactions: the root after them, or
   * the tip's own when they break a state rule (a test then expects that rule's error).
   */
  stateRootOf(block: Block): Uint8Array {
    try {
      return blockState(this.tree, this.tip.stateRoot, this.state, block).stateRoot.root
    } catch (error) {
      if (isChainError(error)) return this.tip.stateRoot
      throw error
    }
  }

  get tip(): BlockHeader {
    return (this.blocks.at(-1) as Block).header
  }

  /** Validation context for a child of the tip; the clock an hour past the tip. */
  context(now = this.tip.timestamp + 3_600_000): ValidationContext {
    return { params: this.params, now, getHeaderAtHeight: (height) => this.blocks[height]?.header }
  }

  /** A signed transfer using the sender's next nonce at the tip, unless given. */
  transfer(
    from: Account,
    to: Address,
    amount: bigint,
    options: { fee?: bigint; nonce?: bigint; chainId?: string } = {},
  ): Transaction {
    const nonce = options.nonce ?? getAccount(this.state, from.address).nonce
    return signTransaction(
      { from: from.address, to, amount, fee: options.fee ?? 1_000n, nonce },
      from.privateKey,
      options.chainId ?? this.params.chainId,
    )
  }

  /** A valid, mined child of the tip (unless the options break it). */
  async build(options: BuildOptions = {}): Promise<Block> {
    const parent = this.tip
    const transfers = options.transactions ?? []
    const draft: BlockHeader = {
      version: 2,
      chainId: this.params.chainId,
      height: parent.height + 1,
      previousHash: blockHash(parent),
      timestamp: parent.timestamp + this.params.targetBlockTimeMs,
      txRoot: new Uint8Array(HASH_LENGTH),
      stateRoot: new Uint8Array(HASH_LENGTH),
      target: await nextTarget(this.params, parent, (height) => this.blocks[height]?.header),
      nonce: 0n,
      ...options.header,
    }
    const fees = transfers.reduce((sum, tx) => sum + tx.fee, 0n)
    const transactions = [
      options.coinbase ?? coinbase(draft.height, this.params.blockReward + fees),
      ...transfers,
    ]
    const stateRoot = options.header?.stateRoot ?? this.stateRootOf({ header: draft, transactions })
    return reseal({ header: { ...draft, stateRoot }, transactions })
  }

  /** Validates the block as a full node would, then applies it. */
  async add(block: Block, now?: number): Promise<void> {
    const validated = await validateBlock(block, this.tip, this.state, this.context(now), this.stateRootAfter)
    validated.overlay.commit(this.state)
    validated.stateRoot.commit()
    this.blocks.push(block)
  }

  async extend(options: BuildOptions = {}): Promise<Block> {
    const block = await this.build(options)
    await this.add(block)
    return block
  }
}
