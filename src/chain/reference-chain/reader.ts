/**
 * Reads the reference chain's blocks and headers back from its BlockStore, and finds the
 * branch a stored block is on: where it leaves the best chain and the blocks above that.
 * Header validation of a side-branch block needs headers of *its* branch (median time,
 * retarget window; docs/chain.md "Validation"), which is what `branchLookup` serves.
 * Browser-safe.
 */
import { equalBytes, toHex } from '../../wire/bytes.ts'
import { decodeBlock, decodeHeader, HEADER_LENGTH } from '../encoding.ts'
import type { HeaderLookup } from '../pow.ts'
import { SerialQueue } from '../serial-queue.ts'
import type { BlockMeta, BlockStore } from '../store/block-store.ts'
import { StoreError, StoreErrorCode } from '../store/errors.ts'
import type { Block, BlockHeader, Hash } from '../types.ts'

/**
 * Decoded headers kept in memory: validating one block reads up to 11 (median time) or
 * `retargetInterval` of them, mostly the same ones as for its parent.
 */
const HEADER_CACHE_SIZE = 4_096

/** A branch of stored blocks: the best-chain height it leaves from, then its blocks. */
export interface Branch {
  /** Height of the last block the branch shares with the best chain. */
  forkHeight: number
  /** The branch's blocks above the fork, lowest first (empty when it is the best chain). */
  hashes: Hash[]
}

function missing(what: string, hash: Hash): StoreError {
  return new StoreError(StoreErrorCode.Corrupt, `the block store lacks the ${what} of block ${toHex(hash)}`)
}

export class ChainReader {
  readonly #store: BlockStore
  readonly #headers = new Map<string, BlockHeader>()
  /**
   * A header not in the cache is read as its whole block (the store keeps blocks only), up
   * to 10 MiB for 185 bytes: such reads go one at a time, so that a `get_headers` over old
   * heights, from however many peers, makes the node hold one block for it, not 512
   * (issue 15: every buffer a peer can fill has a bound).
   */
  readonly #blockReadsForHeaders = new SerialQueue()

  constructor(store: BlockStore) {
    this.#store = store
  }

  async block(hash: Hash): Promise<Block> {
    const bytes = await this.#store.getBlock(hash)
    if (bytes === undefined) throw missing('body', hash)
    return decodeBlock(bytes)
  }

  /** The header of a stored block. Blocks are never deleted, so the cache never goes stale. */
  async header(hash: Hash): Promise<BlockHeader> {
    const key = toHex(hash)
    const cached = this.#headers.get(key)
    if (cached !== undefined) return cached
    const header = await this.#blockReadsForHeaders.run(async () => {
      const bytes = await this.#store.getBlock(hash)
      if (bytes === undefined) throw missing('body', hash)
      return decodeHeader(bytes.subarray(0, HEADER_LENGTH))
    })
    if (this.#headers.size >= HEADER_CACHE_SIZE) this.#headers.clear()
    this.#headers.set(key, header)
    return header
  }

  /** The header of `hash` if that block is on the best chain (what proofs are checked against). */
  async bestHeader(hash: Hash): Promise<BlockHeader | undefined> {
    const meta = await this.#store.getMeta(hash)
    if (meta === undefined) return undefined
    const best = await this.#store.getHashAtHeight(meta.height)
    return best !== undefined && equalBytes(best, hash) ? this.header(hash) : undefined
  }

  /** Best-chain headers by height. */
  readonly bestLookup: HeaderLookup = async (height) => {
    const hash = await this.#store.getHashAtHeight(height)
    return hash === undefined ? undefined : this.header(hash)
  }

  /**
   * Walks back from a stored block to the best chain. O(branch length): side branches
   * worth keeping are short, and each block on one cost its sender a proof of work.
   */
  async branchOf(hash: Hash, meta: BlockMeta): Promise<Branch> {
    const hashes: Hash[] = []
    let current = hash
    let currentMeta = meta
    for (;;) {
      const best = await this.#store.getHashAtHeight(currentMeta.height)
      if (best !== undefined && equalBytes(best, current)) break
      hashes.push(current)
      current = currentMeta.parent
      const parentMeta = await this.#store.getMeta(current)
      if (parentMeta === undefined) throw missing('parent metadata', hashes.at(-1) as Hash)
      currentMeta = parentMeta
    }
    return { forkHeight: currentMeta.height, hashes: hashes.reverse() }
  }

  /** Headers of `branch` by height: the best chain up to the fork, the branch above it. */
  branchLookup(branch: Branch): HeaderLookup {
    return (height) => {
      if (height <= branch.forkHeight) return this.bestLookup(height)
      const hash = branch.hashes[height - branch.forkHeight - 1]
      return hash === undefined ? undefined : this.header(hash)
    }
  }
}
