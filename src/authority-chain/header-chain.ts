/**
 * A light node's authority chain (src/ports/chain.ts HeaderChainPort): headers only,
 * each checked against its parent and the validator set — a header signed by the
 * validator whose turn it is is the whole proof, no state needed — with the full chain's
 * fork choice (the longest; a tie keeps the tip held first). Bodies fetched for a held
 * header are checked against it. In memory (docs/authority-chain.md "Storage").
 * Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { TypedEventEmitter } from 'main-event'
import type {
  BlockSummary,
  ChainPortEvents,
  HeaderChainPort,
  HeaderChecker,
  HeaderSummary,
  Imported,
  Judgement,
  TipSummary,
} from '../ports/chain.ts'
import { equalBytes, toHex } from '../wire/bytes.ts'
import { BLOCK_WEIGHT, BlockTree, type TreeEntry } from './block-tree.ts'
import { DEFAULT_BLOCK_INTERVAL_MS, HEADER_BYTES } from './constants.ts'
import {
  AUTHORITY_CODEC,
  decodeBlock,
  decodeHeader,
  decodeTransaction,
  encodeBlock,
  encodeHeader,
} from './encoding.ts'
import {
  AuthorityChainError,
  AuthorityCode,
  type AuthorityJudgement,
  invalid,
  unknownParent,
} from './errors.ts'
import { checkGenesis, genesisBlock } from './genesis.ts'
import { AuthorityHeaderChecker } from './header-checker.ts'
import { InvalidBlocks, placeHeader } from './placement.ts'
import { bodyMatches, checkTransaction, checkTransactions, isRefusal } from './rules.ts'
import { AUTHORITY_SHAPE, readBlockEncoding, readHeaderEncoding, transactionIdOf } from './summaries.ts'
import type { AuthorityBlock, AuthorityGenesis, AuthorityHeader, AuthorityTransaction } from './types.ts'

export interface AuthorityHeaderChainInit {
  genesis: AuthorityGenesis
  /** The node's clock (ms), for the future-timestamp rule. @default Date.now */
  now?: () => number
}

type Entry = TreeEntry<undefined>

export class AuthorityHeaderChain
  extends TypedEventEmitter<ChainPortEvents>
  implements HeaderChainPort<AuthorityBlock, AuthorityTransaction, AuthorityHeader>
{
  readonly kind = 'headers'
  readonly chainId: string
  readonly shape = AUTHORITY_SHAPE
  readonly codec = AUTHORITY_CODEC
  readonly blockIntervalMs: number
  readonly genesis: AuthorityGenesis
  readonly #tree: BlockTree<undefined>
  readonly #genesisEncoding: Uint8Array
  readonly #invalid = new InvalidBlocks()
  readonly #now: () => number

  /** @throws TypeError if `init.genesis` is no chain's */
  constructor(init: AuthorityHeaderChainInit) {
    super()
    checkGenesis(init.genesis)
    this.genesis = init.genesis
    this.chainId = init.genesis.chainId
    this.blockIntervalMs = init.genesis.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS
    this.#now = init.now ?? Date.now
    const { header } = genesisBlock(init.genesis)
    this.#genesisEncoding = encodeBlock({ header, transactions: [] })
    const headerEncoding = encodeHeader(header)
    const hash = sha256(headerEncoding)
    this.#tree = new BlockTree({
      hash,
      hex: toHex(hash),
      header,
      headerEncoding,
      totalWeight: BLOCK_WEIGHT,
      data: undefined,
    })
  }

  readHeader(encoded: Uint8Array): HeaderSummary {
    return readHeaderEncoding(encoded).summary
  }

  readBlock(encoded: Uint8Array): BlockSummary | undefined {
    return readBlockEncoding(encoded, this.#genesisEncoding)?.summary
  }

  transactionId(encoded: Uint8Array): Uint8Array | undefined {
    return transactionIdOf(encoded)
  }

  tip(): TipSummary {
    const { hash, header, totalWeight } = this.#tree.tip
    return { hash: hash.slice(), height: header.height, totalWeight }
  }

  /** The best chain's header at `height`. */
  headerAt(height: number): AuthorityHeader | undefined {
    return this.#tree.atHeight(height)?.header
  }

  async encodedHeaders(fromHeight: number, count: number, _options?: AbortOptions): Promise<Uint8Array[]> {
    return this.#tree.bestFrom(fromHeight, count).map((entry) => entry.headerEncoding)
  }

  headerChecker(ancestorHeight: number): HeaderChecker {
    return new AuthorityHeaderChecker(this.#tree, ancestorHeight, this.genesis, this.#now)
  }

  async hasHeader(hash: Uint8Array, _options?: AbortOptions): Promise<boolean> {
    return this.#tree.get(hash) !== undefined
  }

  async importHeader(
    encoded: Uint8Array,
    _options?: AbortOptions,
  ): Promise<Judgement<Imported<AuthorityHeader>>> {
    return this.#import(encoded)
  }

  async importHeaders(encoded: readonly Uint8Array[], options?: AbortOptions): Promise<number> {
    let added = 0
    for (const bytes of encoded) {
      options?.signal?.throwIfAborted()
      const judgement = this.#import(bytes)
      if (judgement.status !== 'accepted') throw new AuthorityChainError(judgement)
      if (judgement.value.outcome !== 'duplicate') added++
    }
    return added
  }

  /** A light node holds no balances: the transfer's own rules only (its signature above all). */
  checkTransaction(encoded: Uint8Array): Judgement<{ id: Uint8Array; decoded: AuthorityTransaction }> {
    let decoded: AuthorityTransaction
    try {
      decoded = decodeTransaction(encoded)
    } catch {
      return invalid(AuthorityCode.Malformed, `not a transaction (${encoded.length} bytes)`)
    }
    return (
      checkTransaction(decoded, this.chainId) ?? {
        status: 'accepted',
        value: { id: sha256(encoded), decoded },
      }
    )
  }

  /**
   * A body fetched for a held header: the header must be held (unknown-parent otherwise:
   * we lack it, which proves nothing of the peer), the body must be its header's, and each
   * transfer pass its own rules. Balances and replays need state a light node lacks.
   */
  async verifyBlock(encoded: Uint8Array, _options?: AbortOptions): Promise<Judgement<AuthorityBlock>> {
    let block: AuthorityBlock
    try {
      block = decodeBlock(encoded)
    } catch {
      return invalid(AuthorityCode.Malformed, `not a block (${encoded.length} bytes)`)
    }
    const hex = toHex(sha256(encoded.subarray(0, HEADER_BYTES)))
    const held = this.#tree.get(hex)
    if (held === undefined) return unknownParent(`header ${hex} is not held`)
    if (held === this.#tree.genesis) {
      return equalBytes(encoded, this.#genesisEncoding)
        ? { status: 'accepted', value: block }
        : invalid(AuthorityCode.BadTxRoot, 'not the genesis block')
    }
    const matched = bodyMatches(block)
    if (isRefusal(matched)) return matched
    return checkTransactions(block, this.chainId) ?? { status: 'accepted', value: block }
  }

  #import(encoded: Uint8Array): AuthorityJudgement<Imported<AuthorityHeader>> {
    let header: AuthorityHeader
    try {
      header = decodeHeader(encoded)
    } catch {
      return invalid(AuthorityCode.Malformed, `not a header (${encoded.length} bytes)`)
    }
    const hash = sha256(encoded)
    const hex = toHex(hash)
    const placed = placeHeader(this.#tree, this.#invalid, header, hex, this.genesis, this.#now())
    if (placed.kind === 'refused') return placed.refusal
    if (placed.kind === 'duplicate') return imported('duplicate', placed.entry)
    const entry: Entry = {
      hash,
      hex,
      header,
      headerEncoding: encoded.slice(),
      totalWeight: placed.parent.totalWeight + BLOCK_WEIGHT,
      data: undefined,
    }
    this.#tree.add(entry)
    if (placed.parent === this.#tree.tip) {
      this.#tree.setBest(header.height - 1, [entry])
      this.safeDispatchEvent('tip', { detail: { tip: this.tip() } })
      return imported('extended', entry)
    }
    if (!this.#tree.outweighsTip(entry)) return imported('side-branch', entry)
    const { forkHeight, entries } = this.#tree.branchOf(entry)
    const disconnected = this.#tree.setBest(forkHeight, entries)
    this.safeDispatchEvent('tip', { detail: { tip: this.tip() } })
    this.safeDispatchEvent('reorg', {
      detail: { disconnected: disconnected.map((e) => e.hash), connected: entries.map((e) => e.hash) },
    })
    return imported('reorg', entry)
  }
}

function imported(
  outcome: Imported<AuthorityHeader>['outcome'],
  entry: Entry,
): AuthorityJudgement<Imported<AuthorityHeader>> {
  return {
    status: 'accepted',
    value: {
      outcome,
      hash: entry.hash.slice(),
      height: entry.header.height,
      headerEncoding: entry.headerEncoding,
      decoded: entry.header,
    },
  }
}
