/**
 * The header chain a light node keeps (issue 4, node type `light`): headers only, checked
 * with the rules that need no state (docs/chain.md "Validation", rules 2–9, validateHeader)
 * against the branch each one extends, with the full chain's fork choice (most cumulative
 * work; a tie keeps the tip we have). Bodies are fetched from peers when needed and checked
 * against a stored header with `verifyBody` (rules 1 and 10–15, checkBlockBody).
 *
 * It uses the same BlockStore as the reference chain, storing each header's 185-byte
 * encoding as the "block" bytes (so ChainReader, which decodes the first 185 bytes, reads
 * both kinds of store). Every change is one `store.commit`: a header with its metadata,
 * index entry and tip, or a whole branch switch, so a node killed at any moment reopens at
 * a consistent header tip. addHeader calls run one at a time. Browser-safe.
 */

import { TypedEventEmitter } from 'main-event'
import { equalBytes, toHex } from '../wire/bytes.ts'
import { encodeBlock, encodeHeader, HEADER_LENGTH } from './encoding.ts'
import { ChainError, ChainErrorCode, isChainError } from './errors.ts'
import { genesisBlock } from './genesis.ts'
import { blockHash } from './hashing.ts'
import { workForTarget } from './pow.ts'
import { openChainStore } from './reference-chain/open-store.ts'
import { type Branch, ChainReader } from './reference-chain/reader.ts'
import { SerialQueue } from './serial-queue.ts'
import type { BlockStore, StoredBlock } from './store/block-store.ts'
import { StoreError, StoreErrorCode } from './store/errors.ts'
import type {
  AddBlockOutcome,
  Block,
  BlockHeader,
  ChainParams,
  ChainPosition,
  Hash,
  HeaderChainEvents,
} from './types.ts'
import { checkBlockBody, type ValidationContext, validateHeader } from './validation.ts'

export interface HeaderChainInit {
  params: ChainParams
  /** Opened by `open` if it is not yet; a new (empty) store gets the genesis header. */
  store: BlockStore
  /**
   * The node's clock (ms), for the future-timestamp bound.
   * @default Date.now
   */
  now?: () => number
}

/** Same outcomes as a full chain's addBlock, for a header. */
export type AddHeaderOutcome = AddBlockOutcome

export type { HeaderChainEvents } from './types.ts'

/**
 * A header of an `addHeaders` batch was refused: the same `code` as the refusal (so
 * reputation keys on it as for a single header), the batch `index`, and the refusal as
 * `cause`. Headers before `index` were added.
 */
export class HeaderBatchError extends ChainError {
  readonly index: number

  constructor(index: number, refusal: ChainError) {
    super(refusal.code, `header ${index} of the batch: ${refusal.message}`)
    this.index = index
    this.cause = refusal
  }
}

function unknownParent(hash: Hash): ChainError {
  return new ChainError(ChainErrorCode.UnknownParent, `parent ${toHex(hash)} is not known`)
}

export class HeaderChain extends TypedEventEmitter<HeaderChainEvents> {
  readonly params: ChainParams
  readonly #store: BlockStore
  readonly #reader: ChainReader
  readonly #now: () => number
  readonly #genesisHash: Hash
  #tip: ChainPosition
  /** addBlock/validateBlock (addHeader) run one at a time. */
  readonly #queue = new SerialQueue()

  private constructor(init: HeaderChainInit, tip: ChainPosition, genesisHash: Hash) {
    super()
    this.params = init.params
    this.#store = init.store
    this.#reader = new ChainReader(init.store)
    this.#now = init.now ?? Date.now
    this.#tip = tip
    this.#genesisHash = genesisHash
  }

  /**
   * Opens the header chain on `store`: writes the genesis header (one commit) into an
   * empty store, or loads the tip a previous run committed.
   * @throws StoreError STORE_INCOMPATIBLE if the store holds another chain's genesis, or
   * full blocks (a full node's store: writing bare headers into it would break that node)
   */
  static async open(init: HeaderChainInit): Promise<HeaderChain> {
    const { params, store } = init
    const opened = await openChainStore(store, params, (genesis) => encodeHeader(genesis.header))
    if (!opened.created && (await store.getBlock(opened.genesisHash))?.length !== HEADER_LENGTH) {
      throw new StoreError(
        StoreErrorCode.Incompatible,
        'the block store holds full blocks (a full node’s store), not headers',
      )
    }
    return new HeaderChain(init, opened.tip, opened.genesisHash)
  }

  /** Waits for queued work, then closes the store. */
  async close(): Promise<void> {
    await this.#queue.idle()
    await this.#store.close()
  }

  tip(): ChainPosition {
    return { ...this.#tip, hash: this.#tip.hash.slice() }
  }

  hasHeader(hash: Hash): Promise<boolean> {
    return this.#store.hasBlock(hash)
  }

  /** A stored header on any branch. */
  async getHeader(hash: Hash): Promise<BlockHeader | undefined> {
    return (await this.#store.hasBlock(hash)) ? this.#reader.header(hash) : undefined
  }

  /** The header of `hash` if it is on the best chain. */
  bestHeader(hash: Hash): Promise<BlockHeader | undefined> {
    return this.#reader.bestHeader(hash)
  }

  /** The best chain's header at `height`. */
  getHeaderAtHeight(height: number): Promise<BlockHeader | undefined> {
    return this.#reader.bestLookup(height) as Promise<BlockHeader | undefined>
  }

  /** Headers of the best chain from `fromHeight`, at most `count`. */
  async getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]> {
    const hashes = await this.#store.getHashesFrom(fromHeight, count)
    return Promise.all(hashes.map((hash) => this.#reader.header(hash)))
  }

  /**
   * Validates a header against the branch it extends and stores it, moving the tip by
   * fork choice (one commit). Throws a ChainError naming the broken rule.
   */
  addHeader(header: BlockHeader): Promise<AddHeaderOutcome> {
    return this.#queue.run(() => this.#addHeader(header))
  }

  /**
   * Adds headers in order, as one queued task (no other header interleaves), one commit
   * each: a crash keeps a prefix. Stops at the first refused header.
   * @throws HeaderBatchError with the refused header's index and code; those before it stay added
   */
  addHeaders(headers: readonly BlockHeader[]): Promise<AddHeaderOutcome[]> {
    return this.#queue.run(async () => {
      const outcomes: AddHeaderOutcome[] = []
      for (const [index, header] of headers.entries()) {
        try {
          outcomes.push(await this.#addHeader(header))
        } catch (err) {
          throw isChainError(err) ? new HeaderBatchError(index, err) : err
        }
      }
      return outcomes
    })
  }

  /**
   * Checks a body fetched from a peer for a header we hold: the header must be stored
   * (UNKNOWN_PARENT otherwise: we lack it, which proves nothing against the peer), then the
   * stateless body rules (BLOCK_TOO_LARGE, MALFORMED, DUPLICATE_TRANSACTION, BAD_TX_ROOT,
   * BAD_COINBASE, BAD_TRANSACTION, BAD_SIGNATURE). The state rules (nonce, balance) need
   * the state at the parent and are not checked. A BAD_TX_ROOT or DUPLICATE_TRANSACTION
   * condemns this body only: fetch it again from another peer (docs/chain.md "Hashing").
   */
  async verifyBody(block: Block): Promise<void> {
    const hash = blockHash(block.header)
    if (!(await this.#store.hasBlock(hash))) {
      throw new ChainError(ChainErrorCode.UnknownParent, `header ${toHex(hash)} is not known`)
    }
    if (equalBytes(hash, this.#genesisHash)) {
      // Genesis holds mints, not a coinbase: it is the definition, so compare with it.
      if (!equalBytes(encodeBlock(block), encodeBlock(genesisBlock(this.params)))) {
        throw new ChainError(ChainErrorCode.BadTxRoot, 'not the genesis body')
      }
      return
    }
    checkBlockBody(block, this.params)
  }

  async #addHeader(header: BlockHeader): Promise<AddHeaderOutcome> {
    // Rule 3 before the parent look-up: another chain's header is WRONG_CHAIN, not UNKNOWN_PARENT.
    if (header.chainId !== this.params.chainId) {
      throw new ChainError(
        ChainErrorCode.WrongChain,
        `chain ${header.chainId}, expected ${this.params.chainId}`,
      )
    }
    const encoded = encodeHeader(header)
    const hash = blockHash(header)
    if (await this.#store.hasBlock(hash)) return 'duplicate'
    const parentHash = header.previousHash
    const parentMeta = await this.#store.getMeta(parentHash)
    if (parentMeta === undefined) throw unknownParent(parentHash)
    const parentHeader = await this.#reader.header(parentHash)
    const onTip = equalBytes(parentHash, this.#tip.hash)
    const branch = onTip ? undefined : await this.#reader.branchOf(parentHash, parentMeta)
    const context: ValidationContext = {
      params: this.params,
      getHeaderAtHeight: branch === undefined ? this.#reader.bestLookup : this.#reader.branchLookup(branch),
      now: this.#now(),
    }
    await validateHeader(header, parentHeader, context)

    const totalWork = parentMeta.totalWork + workForTarget(header.target)
    const position: ChainPosition = { hash, height: header.height, totalWork }
    const stored: StoredBlock = {
      hash,
      encoded,
      meta: { height: header.height, parent: parentHash.slice(), totalWork },
    }
    if (branch === undefined) {
      await this.#store.commit({
        blocks: [stored],
        bestChain: { set: [[position.height, hash]] },
        tip: position,
      })
      this.#tip = position
      this.safeDispatchEvent('tip', { detail: { tip: this.tip(), header } })
      return 'extended'
    }
    // Fork choice by most cumulative work; a tie keeps the tip we have (first seen wins).
    if (totalWork <= this.#tip.totalWork) {
      await this.#store.commit({ blocks: [stored] })
      return 'side-branch'
    }
    return this.#reorg(header, stored, position, branch)
  }

  /** The header's branch has the most work: switch the index to it in one commit. */
  async #reorg(
    header: BlockHeader,
    stored: StoredBlock,
    position: ChainPosition,
    branch: Branch,
  ): Promise<AddHeaderOutcome> {
    const { forkHeight } = branch
    const disconnectedHashes = await this.#store.getHashesFrom(forkHeight + 1, this.#tip.height - forkHeight)
    const disconnected = await Promise.all(disconnectedHashes.map((hash) => this.#reader.header(hash)))
    const connectedHashes = [...branch.hashes, position.hash]
    const connected = [...(await Promise.all(branch.hashes.map((hash) => this.#reader.header(hash)))), header]
    await this.#store.commit({
      blocks: [stored],
      bestChain: {
        removeAbove: forkHeight,
        set: connectedHashes.map((hash, i): [number, Hash] => [forkHeight + 1 + i, hash]),
      },
      tip: position,
    })
    this.#tip = position
    this.safeDispatchEvent('tip', { detail: { tip: this.tip(), header } })
    this.safeDispatchEvent('reorg', { detail: { disconnected, connected } })
    return 'reorg'
  }
}
