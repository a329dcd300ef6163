/**
 * Checks a peer's headers headers-first (src/ports/chain.ts HeaderChecker): each must link
 * to the one before, the first to our best chain's block at the ancestor height, and pass
 * the header rules (rules.ts checkHeader) — the validator set's signatures are the whole
 * proof here, no state needed. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { HeaderChecker, HeaderSummary } from '../ports/chain.ts'
import { equalBytes, toHex } from '../wire/bytes.ts'
import type { BlockTree } from './block-tree.ts'
import {
  AuthorityChainError,
  AuthorityCode,
  invalid,
  isAuthorityChainError,
  unknownParent,
} from './errors.ts'
import { checkHeader } from './rules.ts'
import { readHeaderEncoding } from './summaries.ts'
import type { AuthorityGenesis, AuthorityHeader, Hash } from './types.ts'

export class AuthorityHeaderChecker implements HeaderChecker {
  readonly #genesis: AuthorityGenesis
  readonly #now: () => number
  #parent: { hash: Hash; header: AuthorityHeader } | undefined
  #first = true

  constructor(
    tree: BlockTree<unknown>,
    ancestorHeight: number,
    genesis: AuthorityGenesis,
    now: () => number,
  ) {
    const ancestor = tree.atHeight(ancestorHeight)
    this.#parent = ancestor === undefined ? undefined : { hash: ancestor.hash, header: ancestor.header }
    this.#genesis = genesis
    this.#now = now
  }

  async check(encoded: readonly Uint8Array[], options?: AbortOptions): Promise<HeaderSummary[]> {
    const summaries: HeaderSummary[] = []
    for (const bytes of encoded) {
      options?.signal?.throwIfAborted()
      summaries.push(this.#checkOne(bytes))
    }
    return summaries
  }

  #checkOne(bytes: Uint8Array): HeaderSummary {
    const parent = this.#parent
    if (parent === undefined)
      throw new AuthorityChainError(unknownParent('no block of ours at the ancestor height'))
    let read: ReturnType<typeof readHeaderEncoding>
    try {
      read = readHeaderEncoding(bytes)
    } catch (error) {
      if (isAuthorityChainError(error)) throw error
      throw new AuthorityChainError(invalid(AuthorityCode.Malformed, 'not a header'))
    }
    const { header, summary } = read
    if (!equalBytes(header.parentHash, parent.hash)) {
      // The first header may build on a block we lack (we are behind, or on another
      // branch); a later one that does not link to the header before it is the peer's doing.
      throw new AuthorityChainError(
        this.#first
          ? unknownParent(`parent ${toHex(header.parentHash)} is not our block at the ancestor height`)
          : invalid(AuthorityCode.Unlinked, 'the headers do not link'),
      )
    }
    const refusal = checkHeader(header, parent.header, this.#genesis, this.#now())
    if (refusal !== undefined) throw new AuthorityChainError(refusal)
    this.#first = false
    this.#parent = { hash: summary.hash, header }
    return summary
  }
}
