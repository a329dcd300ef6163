/**
 * A full node's authority chain (src/ports/chain.ts FullChainPort): every block validated
 * against its parent's state, the best chain the longest valid one, the state of its tip
 * rolled back and forward on a reorg with each block's undo record, and the pool of
 * pending transfers. In memory: a node restarts from genesis and syncs again
 * (docs/authority-chain.md "Storage"). Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { TypedEventEmitter } from 'main-event'
import type {
  BlockSummary,
  ChainPortEvents,
  FullChainPort,
  HeaderChecker,
  HeaderSummary,
  Imported,
  Judgement,
  TipSummary,
} from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import { BLOCK_WEIGHT, BlockTree, type TreeEntry } from './block-tree.ts'
import { DEFAULT_BLOCK_INTERVAL_MS, HEADER_BYTES } from './constants.ts'
import { AUTHORITY_CODEC, decodeBlock, encodeBlock } from './encoding.ts'
import { AuthorityCode, invalid, type Refusal } from './errors.ts'
import { checkGenesis, genesisBlock } from './genesis.ts'
import { AuthorityHeaderChecker } from './header-checker.ts'
import { InvalidBlocks, placeHeader } from './placement.ts'
import { AuthorityPool } from './pool.ts'
import { bodyMatches, checkTransactions, isRefusal } from './rules.ts'
import { AuthorityState, type BlockUndo } from './state.ts'
import { AUTHORITY_SHAPE, readBlockEncoding, readHeaderEncoding, transactionIdOf } from './summaries.ts'
import type {
  AuthorityBlock,
  AuthorityGenesis,
  AuthorityHeader,
  AuthorityTransaction,
  Hash,
} from './types.ts'

export interface AuthorityChainInit {
  genesis: AuthorityGenesis
  /** The node's clock (ms), for the future-timestamp rule. @default Date.now */
  now?: () => number
  /** Pending transfers the pool holds at most. @default 10_000 */
  poolCapacity?: number
}

/** What a full chain keeps of a block besides its header. */
export interface StoredBlock {
  block: AuthorityBlock
  encoded: Uint8Array
  ids: Hash[]
}

type Entry = TreeEntry<StoredBlock>
type ImportJudgement = Judgement<Imported<AuthorityBlock>>

export class AuthorityFullChain
  extends TypedEventEmitter<ChainPortEvents>
  implements FullChainPort<AuthorityBlock, AuthorityTransaction, AuthorityHeader>
{
  readonly kind = 'full'
  readonly chainId: string
  readonly shape = AUTHORITY_SHAPE
  readonly codec = AUTHORITY_CODEC
  readonly genesis: AuthorityGenesis
  readonly blockIntervalMs: number
  readonly pool: AuthorityPool
  readonly #tree: BlockTree<StoredBlock>
  readonly #state: AuthorityState
  readonly #undo = new Map<string, BlockUndo>()
  readonly #invalid = new InvalidBlocks()
  readonly #now: () => number

  /** @throws TypeError if `init.genesis` is no chain's */
  constructor(init: AuthorityChainInit) {
    super()
    checkGenesis(init.genesis)
    this.genesis = init.genesis
    this.chainId = init.genesis.chainId
    this.blockIntervalMs = init.genesis.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS
    this.#now = init.now ?? Date.now
    this.#state = new AuthorityState(init.genesis)
    const block = genesisBlock(init.genesis)
    const encoded = encodeBlock(block)
    const { summary } = readHeaderEncoding(encoded.subarray(0, HEADER_BYTES))
    this.#tree = new BlockTree<StoredBlock>({
      hash: summary.hash,
      hex: toHex(summary.hash),
      header: block.header,
      headerEncoding: encoded.slice(0, HEADER_BYTES),
      totalWeight: summary.weight,
      data: { block, encoded, ids: [] },
    })
    const state = this.#state
    this.pool = new AuthorityPool(
      {
        chainId: this.chainId,
        nextHeight: () => this.#tree.tip.header.height + 1,
        balance: (address) => state.balance(address),
        isIncluded: (id) => state.isIncluded(id),
      },
      init.poolCapacity,
    )
  }

  readHeader(encoded: Uint8Array): HeaderSummary {
    return readHeaderEncoding(encoded).summary
  }

  readBlock(encoded: Uint8Array): BlockSummary | undefined {
    return readBlockEncoding(encoded, this.#tree.genesis.data.encoded)?.summary
  }

  transactionId(encoded: Uint8Array): Uint8Array | undefined {
    return transactionIdOf(encoded)
  }

  tip(): TipSummary {
    const { hash, header, totalWeight } = this.#tree.tip
    return { hash: hash.slice(), height: header.height, totalWeight }
  }

  /** A balance at the best tip (an address never funded holds 0). */
  balance(address: Uint8Array): bigint {
    return this.#state.balance(address)
  }

  /** The best chain's block at `height`. */
  blockAt(height: number): AuthorityBlock | undefined {
    return this.#tree.atHeight(height)?.data.block
  }

  /** The best tip's header (propose builds on it). */
  tipHeader(): AuthorityHeader {
    return this.#tree.tip.header
  }

  async encodedHeaders(fromHeight: number, count: number, _options?: AbortOptions): Promise<Uint8Array[]> {
    return this.#tree.bestFrom(fromHeight, count).map((entry) => entry.headerEncoding)
  }

  headerChecker(ancestorHeight: number): HeaderChecker {
    return new AuthorityHeaderChecker(this.#tree, ancestorHeight, this.genesis, this.#now)
  }

  async encodedBlock(hash: Uint8Array, _options?: AbortOptions): Promise<Uint8Array | undefined> {
    const hex = toHex(hash)
    return this.#invalid.has(hex) ? undefined : this.#tree.get(hex)?.data.encoded
  }

  async importBlock(encoded: Uint8Array, _options?: AbortOptions): Promise<ImportJudgement> {
    // Synchronous from here: no other import interleaves (JavaScript runs one task at a time).
    let block: AuthorityBlock
    try {
      block = decodeBlock(encoded)
    } catch {
      return invalid(AuthorityCode.Malformed, `not a block (${encoded.length} bytes)`)
    }
    const headerEncoding = encoded.slice(0, HEADER_BYTES)
    const hash = sha256(headerEncoding)
    const hex = toHex(hash)
    const placed = placeHeader(this.#tree, this.#invalid, block.header, hex, this.genesis, this.#now())
    if (placed.kind === 'refused') return placed.refusal
    if (placed.kind === 'duplicate') return this.#imported('duplicate', placed.entry)
    // The header is good; a body that is not its header's condemns this encoding only.
    const matched = bodyMatches(block)
    if (isRefusal(matched)) return matched
    const fault = checkTransactions(block, this.chainId)
    if (fault !== undefined) return this.#condemn(hex, fault)
    const { parent } = placed
    const ids = matched.ids
    const entry: Entry = {
      hash,
      hex,
      header: block.header,
      headerEncoding,
      totalWeight: parent.totalWeight + BLOCK_WEIGHT,
      data: { block, encoded: encoded.slice(), ids },
    }
    if (parent === this.#tree.tip) {
      const undo = this.#state.apply(block, ids)
      if (isRefusal(undo)) return this.#condemn(hex, undo)
      this.#tree.add(entry)
      this.#tree.setBest(parent.header.height, [entry])
      this.#undo.set(hex, undo)
      this.pool.revalidate()
      this.safeDispatchEvent('tip', { detail: { tip: this.tip() } })
      return this.#imported('extended', entry)
    }
    this.#tree.add(entry)
    if (!this.#tree.outweighsTip(entry)) return this.#imported('side-branch', entry)
    return this.#reorg(entry)
  }

  /**
   * `entry`'s branch is now the longest: roll the state back to the fork, apply the branch
   * (its blocks passed every stateless rule when they came; the state rules are checked
   * now). A block of the branch that breaks one is condemned with its descendants, the
   * previous best chain restored, and the new block refused.
   */
  #reorg(entry: Entry): ImportJudgement {
    const { forkHeight, entries } = this.#tree.branchOf(entry)
    const old = this.#tree.bestFrom(forkHeight + 1, Number.MAX_SAFE_INTEGER)
    for (const gone of [...old].reverse()) this.#state.undo(this.#undo.get(gone.hex) as BlockUndo)
    const applied: Entry[] = []
    for (const [i, next] of entries.entries()) {
      const undo = this.#state.apply(next.data.block, next.data.ids)
      if (!isRefusal(undo)) {
        this.#undo.set(next.hex, undo)
        applied.push(next)
        continue
      }
      for (const done of applied.reverse()) {
        this.#state.undo(this.#undo.get(done.hex) as BlockUndo)
        this.#undo.delete(done.hex)
      }
      for (const kept of old)
        this.#undo.set(kept.hex, this.#state.apply(kept.data.block, kept.data.ids) as BlockUndo)
      for (const bad of entries.slice(i)) this.#invalid.add(bad.hex)
      return next === entry
        ? undo
        : invalid(AuthorityCode.KnownInvalid, `block ${next.hex} of its branch: ${undo.reason}`)
    }
    for (const gone of old) this.#undo.delete(gone.hex)
    this.#tree.setBest(forkHeight, entries)
    this.pool.revalidate(old.flatMap((gone) => gone.data.block.transactions))
    this.safeDispatchEvent('tip', { detail: { tip: this.tip() } })
    this.safeDispatchEvent('reorg', {
      detail: { disconnected: old.map((e) => e.hash), connected: entries.map((e) => e.hash) },
    })
    return this.#imported('reorg', entry)
  }

  #condemn(hex: string, refusal: Refusal): Refusal {
    if (refusal.status === 'invalid') this.#invalid.add(hex)
    return refusal
  }

  #imported(outcome: Imported<AuthorityBlock>['outcome'], entry: Entry): ImportJudgement {
    return {
      status: 'accepted',
      value: {
        outcome,
        hash: entry.hash.slice(),
        height: entry.header.height,
        headerEncoding: entry.headerEncoding,
        decoded: entry.data.block,
        transactionCount: entry.data.block.transactions.length,
      },
    }
  }
}
