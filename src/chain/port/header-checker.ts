/**
 * The reference chain's headers-first check (000 syncBlockchain; src/ports/chain.ts
 * HeaderChecker): a peer's headers, batch after batch, each decoded, linked to the one
 * before and checked by the header rules (validateHeader: height, proof of work, target,
 * timestamps) against the branch they make from our best chain's block at the ancestor.
 * No state is needed, so a peer's claimed chain is worth only the work its headers prove.
 * Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { HeaderChecker, HeaderSummary } from '../../ports/chain.ts'
import { equalBytes } from '../../wire/bytes.ts'
import { decodeHeader } from '../encoding.ts'
import { isChainError } from '../errors.ts'
import { blockHash } from '../hashing.ts'
import type { BlockHeader, ChainParams } from '../types.ts'
import { MEDIAN_TIME_BLOCKS, validateHeader } from '../validation.ts'
import { BAD_LINK, ReferenceChainRejection } from './judgement.ts'
import { headerSummary } from './reader.ts'

/** What the checker needs of our chain (a ReferenceChain or a HeaderChain): its best headers. */
export interface HeaderCheckSource {
  readonly params: ChainParams
  /** Headers of the best chain from `fromHeight`, at most `count`. */
  getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]>
}

async function headerAt(source: HeaderCheckSource, height: number): Promise<BlockHeader | undefined> {
  const [header] = await source.getHeaders(height, 1)
  return header
}

/**
 * A checker for headers extending our best chain at `ancestorHeight`. It keeps the peer's
 * last headers that later ones' rules look back at (the median time's 11, a retarget
 * window); below the ancestor, our own best chain answers.
 */
export function referenceHeaderChecker(source: HeaderCheckSource, ancestorHeight: number): HeaderChecker {
  const lookBack = Math.max(MEDIAN_TIME_BLOCKS, source.params.retargetInterval) + 1
  const known = new Map<number, BlockHeader>()
  let parent: BlockHeader | undefined

  const getHeaderAtHeight = async (height: number): Promise<BlockHeader | undefined> =>
    known.get(height) ?? (height <= ancestorHeight ? await headerAt(source, height) : undefined)

  async function ancestor(): Promise<BlockHeader> {
    const header = await headerAt(source, ancestorHeight)
    // Our best chain moved below the ancestor since it was found: not the peer's fault.
    if (header === undefined) {
      throw new ReferenceChainRejection(
        'UNKNOWN_PARENT',
        'unknown-parent',
        `no header at height ${ancestorHeight} on our best chain`,
      )
    }
    return header
  }

  async function checkOne(bytes: Uint8Array, previous: BlockHeader): Promise<BlockHeader> {
    let header: BlockHeader
    try {
      header = decodeHeader(bytes)
    } catch (error) {
      if (!isChainError(error)) throw error
      throw ReferenceChainRejection.of(error)
    }
    if (!equalBytes(header.previousHash, blockHash(previous))) {
      throw new ReferenceChainRejection(
        BAD_LINK,
        'invalid',
        `the header at height ${header.height} does not build on the one before`,
      )
    }
    try {
      await validateHeader(header, previous, { params: source.params, getHeaderAtHeight })
    } catch (error) {
      if (!isChainError(error)) throw error
      throw ReferenceChainRejection.of(error)
    }
    return header
  }

  return {
    async check(encoded: readonly Uint8Array[], options?: AbortOptions): Promise<HeaderSummary[]> {
      parent ??= await ancestor()
      const summaries: HeaderSummary[] = []
      for (const bytes of encoded) {
        options?.signal?.throwIfAborted()
        const header = await checkOne(bytes, parent)
        known.set(header.height, header)
        known.delete(header.height - lookBack)
        parent = header
        summaries.push(headerSummary(header))
      }
      return summaries
    },
  }
}
