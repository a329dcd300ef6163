/**
 * The reference chain: `Chain` over a BlockStore (docs/chain.md). It keeps the best tip's
 * account state in memory and in the store, picks the branch with the most cumulative
 * work, and rolls state back and forward on a reorg with the undo records it stores.
 *
 * Every change of the chain is one `store.commit`: a block with its metadata, index entry,
 * tip, state entries and undo record (or, for a reorg, the whole switch) lands whole or not
 * at all, so a node killed at any moment reopens at a consistent tip without replaying
 * blocks, and can still reorg below it. addBlock and validateBlock run one at a time, so
 * the in-memory tip and state always match the store's. Browser-safe.
 */

import { TypedEventEmitter } from 'main-event'
import { equalBytes, toHex } from '../wire/bytes.ts'
import { encodeBlock, encodedBlockLength } from './encoding.ts'
import { ChainError, ChainErrorCode } from './errors.ts'
import { genesisState } from './genesis.ts'
import { blockHash } from './hashing.ts'
import type { Mempool, PendingView } from './mempool/index.ts'
import { workForTarget } from './pow.ts'
import { stateEntries, stateOnBranch } from './reference-chain/branch-state.ts'
import { openChainStore } from './reference-chain/open-store.ts'
import { type Branch, ChainReader } from './reference-chain/reader.ts'
import { type IncludedAt, RecentTransactions } from './reference-chain/recent-transactions.ts'
import { TipStateRoots } from './reference-chain/tip-state-roots.ts'
import { SerialQueue } from './serial-queue.ts'
import {
  type AccountState,
  addressKey,
  applyBlock,
  type ChainState,
  createState,
  getAccount,
  StateOverlay,
} from './state.ts'
import type { StateTree } from './state-tree/index.ts'
import type { BlockMeta, BlockStore, StoreChange, StoredBlock } from './store/block-store.ts'
import type {
  AddBlockOutcome,
  Address,
  Block,
  BlockHeader,
  Chain,
  ChainEvents,
  ChainParams,
  ChainPosition,
  Hash,
  Transaction,
} from './types.ts'
import { decodeAccount, decodeStateKey, encodeAccount, encodeStateKey, encodeUndo } from './undo-codec.ts'
import {
  checkBlockBody,
  checkStateRoot,
  type ValidatedBlock,
  type ValidationContext,
  validateBlock,
  validateHeader,
  validateTransaction,
} from './validation.ts'

export interface ReferenceChainInit {
  params: ChainParams
  /** Opened by `open` if it is not yet; a new (empty) store gets the genesis. */
  store: BlockStore
  /** Told of every new tip and reorg, so it drops included and restores rolled-back transactions. */
  mempool?: Mempool
  /**
   * The node's clock (ms), for the future-timestamp bound.
   * @default Date.now
   */
  now?: () => number
}

function blockTooLarge(block: Block, params: ChainParams): void {
  const size = encodedBlockLength(block)
  if (size > params.maxBlockBytes) {
    throw new ChainError(ChainErrorCode.BlockTooLarge, `block is ${size} bytes, over ${params.maxBlockBytes}`)
  }
}

export class ReferenceChain extends TypedEventEmitter<ChainEvents> implements Chain {
  readonly params: ChainParams
  readonly #store: BlockStore
  readonly #reader: ChainReader
  readonly #mempool: Mempool | undefined
  readonly #now: () => number
  readonly #state: ChainState
  /** The state tree over #state at the tip (what proofs are served from). */
  readonly #roots: TipStateRoots
  /** The best chain's newest blocks' transactions (transaction status, protocols/state.md). */
  readonly #recent: RecentTransactions
  #tip: ChainPosition
  /** addBlock/validateBlock (addHeader) run one at a time. */
  readonly #queue = new SerialQueue()

  private constructor(
    init: ReferenceChainInit,
    tip: ChainPosition,
    state: ChainState,
    roots: TipStateRoots,
    recent: RecentTransactions,
  ) {
    super()
    this.#roots = roots
    this.#recent = recent
    this.params = init.params
    this.#store = init.store
    this.#reader = new ChainReader(init.store)
    this.#mempool = init.mempool
    this.#now = init.now ?? Date.now
    this.#tip = tip
    this.#state = state
  }

  /**
   * Opens the chain on `store`: writes the genesis (one commit) into an empty store, or
   * loads the tip and the state a previous run committed, and rebuilds the state tree
   * from that state (the store keeps accounts, not tree nodes: O(accounts · log accounts)
   * once per start; a crash can never leave the two apart).
   * @throws StoreError STORE_INCOMPATIBLE if the store holds another chain's genesis, or
   *   blocks of an older header version
   * @throws StoreError STORE_CORRUPT if the stored state is not the one the tip commits to
   */
  static async open(init: ReferenceChainInit): Promise<ReferenceChain> {
    const { params, store } = init
    const genesisAccounts = genesisState(params)
    const opened = await openChainStore(store, params, encodeBlock, {
      state: [...genesisAccounts].map(([key, account]) => [encodeStateKey(key), encodeAccount(account)]),
    })
    let state = genesisAccounts
    if (!opened.created) {
      state = createState()
      for await (const [key, value] of store.allState()) state.set(decodeStateKey(key), decodeAccount(value))
    }
    const reader = new ChainReader(store)
    const roots = TipStateRoots.build(state, (await reader.header(opened.tip.hash)).stateRoot)
    const recent = await RecentTransactions.load(store, reader, opened.tip)
    return new ReferenceChain(init, opened.tip, state, roots, recent)
  }

  /** Waits for queued work, then closes the store. */
  async close(): Promise<void> {
    await this.#queue.idle()
    await this.#store.close()
  }

  tip(): ChainPosition {
    return { ...this.#tip, hash: this.#tip.hash.slice() }
  }

  /** An account at the best tip (an address never seen holds zero). */
  accountOf(address: Address): AccountState {
    return getAccount(this.#state, address)
  }

  /** The state tree (read it; the chain alone changes it): proofs against retained roots. */
  get stateTree(): StateTree {
    return this.#roots.tree
  }

  /**
   * The stateRoot a block extending the best tip must carry: the root of the tip's state
   * with `block`'s transactions applied (the miner's template). Synchronous, so it reads
   * the tip the caller just checked.
   * @throws ChainError for a block whose transactions break a state rule
   */
  stateRootOnTip(block: Block): Uint8Array {
    return this.#roots.rootOnTip(this.#state, block)
  }

  async getBlock(hash: Hash): Promise<Block | undefined> {
    return (await this.#store.hasBlock(hash)) ? this.#reader.block(hash) : undefined
  }

  /** The header of `hash` if that block is on the best chain. */
  bestHeader(hash: Hash): Promise<BlockHeader | undefined> {
    return this.#reader.bestHeader(hash)
  }

  /**
   * Where the best chain holds the transaction `id` (hex), if in its newest
   * RECENT_TRANSACTION_BLOCKS blocks.
   */
  findTransaction(id: string): IncludedAt | undefined {
    return this.#recent.find(id)
  }

  async getBlockAtHeight(height: number): Promise<Block | undefined> {
    const hash = await this.#store.getHashAtHeight(height)
    return hash === undefined ? undefined : this.getBlock(hash)
  }

  getEncodedBlock(hash: Hash): Promise<Uint8Array | undefined> {
    return this.#store.getBlock(hash)
  }

  async getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]> {
    const hashes = await this.#store.getHashesFrom(fromHeight, count)
    return Promise.all(hashes.map((hash) => this.#reader.header(hash)))
  }

  async validateTransaction(tx: Transaction): Promise<void> {
    validateTransaction(tx, this.#state, this.params)
  }

  /**
   * The `validate` a Mempool needs: the transaction against the tip state with only its
   * sender's pending transactions ahead of it applied (mempool/options.ts PendingView).
   */
  mempoolValidator(): (tx: Transaction, pending: PendingView) => void {
    return (tx, pending) => {
      if (pending.count === 0) return validateTransaction(tx, this.#state, this.params)
      const sender = getAccount(this.#state, tx.from)
      if (sender.balance < pending.spent) {
        throw new ChainError(
          ChainErrorCode.InsufficientBalance,
          'pending transactions spend more than the balance',
        )
      }
      const view = new StateOverlay(this.#state)
      view.set(addressKey(tx.from), {
        balance: sender.balance - pending.spent,
        nonce: sender.nonce + BigInt(pending.count),
      })
      validateTransaction(tx, view, this.params)
    }
  }

  validateBlock(block: Block): Promise<void> {
    return this.#queue.run(async () => {
      blockTooLarge(block, this.params)
      const { parentHeader, branch } = await this.#parentOf(block)
      if (branch === undefined) {
        await validateBlock(
          block,
          parentHeader,
          this.#state,
          this.#context(this.#reader.bestLookup),
          this.#roots.afterTip,
        )
        return
      }
      const moved = await stateOnBranch(this.#store, this.#reader, this.#tip, this.#state, branch)
      await validateBlock(
        block,
        parentHeader,
        moved.overlay,
        this.#context(this.#reader.branchLookup(branch)),
        this.#roots.afterBranch(moved.touched),
      )
    })
  }

  addBlock(block: Block): Promise<AddBlockOutcome> {
    return this.#queue.run(() => this.#addBlock(block))
  }

  #context(getHeaderAtHeight: ValidationContext['getHeaderAtHeight']): ValidationContext {
    return { params: this.params, getHeaderAtHeight, now: this.#now() }
  }

  /** The parent's header, and its branch unless the parent is the tip. */
  async #parentOf(
    block: Block,
  ): Promise<{ parentMeta: BlockMeta; parentHeader: BlockHeader; branch: Branch | undefined }> {
    const parentHash = block.header.previousHash
    const parentMeta = await this.#store.getMeta(parentHash)
    if (parentMeta === undefined) {
      throw new ChainError(ChainErrorCode.UnknownParent, `parent ${toHex(parentHash)} is not known`)
    }
    const parentHeader = await this.#reader.header(parentHash)
    if (equalBytes(parentHash, this.#tip.hash)) return { parentMeta, parentHeader, branch: undefined }
    return { parentMeta, parentHeader, branch: await this.#reader.branchOf(parentHash, parentMeta) }
  }

  async #addBlock(block: Block): Promise<AddBlockOutcome> {
    blockTooLarge(block, this.params)
    const encoded = encodeBlock(block)
    const hash = blockHash(block.header)
    if (await this.#store.hasBlock(hash)) return 'duplicate'
    const { parentMeta, parentHeader, branch } = await this.#parentOf(block)
    const totalWork = parentMeta.totalWork + workForTarget(block.header.target)
    const position: ChainPosition = { hash, height: block.header.height, totalWork }
    const stored: StoredBlock = {
      hash,
      encoded,
      meta: { height: position.height, parent: block.header.previousHash.slice(), totalWork },
    }
    if (branch === undefined) {
      const validated = await validateBlock(
        block,
        parentHeader,
        this.#state,
        this.#context(this.#reader.bestLookup),
        this.#roots.afterTip,
      )
      return this.#extend(block, stored, position, validated)
    }
    // Header and body rules before storing anything: a side branch costs its sender work.
    await validateHeader(block.header, parentHeader, this.#context(this.#reader.branchLookup(branch)))
    checkBlockBody(block, this.params)
    // Fork choice by most cumulative work; a tie keeps the tip we have (first seen wins).
    if (totalWork <= this.#tip.totalWork) {
      await this.#store.commit({ blocks: [stored] })
      return 'side-branch'
    }
    return this.#reorg(block, stored, position, branch)
  }

  async #extend(
    block: Block,
    stored: StoredBlock,
    position: ChainPosition,
    { overlay, undo, stateRoot }: ValidatedBlock,
  ): Promise<AddBlockOutcome> {
    const touched = new Set(undo.previous.map(([key]) => key))
    await this.#store.commit({
      blocks: [stored],
      bestChain: { set: [[position.height, position.hash]] },
      tip: position,
      state: stateEntries(overlay, touched),
      undo: [[position.hash, encodeUndo(undo)]],
    })
    overlay.commit(this.#state)
    this.#roots.commit(stateRoot)
    this.#recent.connect(block, position.hash)
    this.#tip = position
    this.#mempool?.onBlockConnected(block)
    this.safeDispatchEvent('tip', { detail: { tip: this.tip(), block } })
    return 'extended'
  }

  /**
   * The new block's branch has the most work: revert the best chain to the fork and apply
   * the branch (its stored blocks passed the header and body rules when they came; the
   * state rules are checked now), then commit the whole switch at once. A block of the
   * branch that breaks a state rule refuses the new block with that rule's error.
   */
  async #reorg(
    block: Block,
    stored: StoredBlock,
    position: ChainPosition,
    branch: Branch,
  ): Promise<AddBlockOutcome> {
    const moved = await stateOnBranch(
      this.#store,
      this.#reader,
      this.#tip,
      this.#state,
      branch,
      (view, touched, connected) => checkStateRoot(connected, this.#roots.afterTip(view, touched)),
    )
    const undo = applyBlock(moved.overlay, block)
    for (const [key] of undo.previous) moved.touched.add(key)
    moved.connected.push({ block, hash: position.hash, undo: encodeUndo(undo) })
    const stateRoot = checkStateRoot(block, this.#roots.afterTip(moved.overlay, moved.touched))

    const change: StoreChange = {
      blocks: [stored],
      bestChain: {
        removeAbove: branch.forkHeight,
        set: moved.connected.map(({ hash }, i) => [branch.forkHeight + 1 + i, hash]),
      },
      tip: position,
      state: stateEntries(moved.overlay, moved.touched),
      undo: [
        ...moved.disconnectedHashes.map((hash): [Hash, null] => [hash, null]),
        ...moved.connected.map(({ hash, undo }): [Hash, Uint8Array] => [hash, undo]),
      ],
    }
    await this.#store.commit(change)
    moved.overlay.commit(this.#state)
    this.#roots.commit(stateRoot)
    for (const { header } of moved.disconnected.toReversed()) this.#recent.disconnect(header.height)
    for (const { block: connected, hash } of moved.connected) this.#recent.connect(connected, hash)
    this.#tip = position
    const reorg = { disconnected: moved.disconnected, connected: moved.connected.map((c) => c.block) }
    const pool = this.#mempool?.onReorg(reorg)
    this.safeDispatchEvent('tip', { detail: { tip: this.tip(), block } })
    this.safeDispatchEvent('reorg', {
      detail: pool === undefined ? reorg : { ...reorg, restored: pool.restored },
    })
    return 'reorg'
  }
}
