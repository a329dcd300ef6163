/**
 * Where a new header goes, for the full chain and the header chain alike: known already,
 * known invalid, on a parent we lack, or on a held parent whose rules it passes — and the
 * hashes found invalid, so a peer cannot make us judge the same block twice.
 * Browser-safe.
 */
import { toHex } from '../wire/bytes.ts'
import type { BlockTree, TreeEntry } from './block-tree.ts'
import { AuthorityCode, invalid, type Refusal, unknownParent } from './errors.ts'
import { checkHeader } from './rules.ts'
import type { AuthorityGenesis, AuthorityHeader } from './types.ts'

/** How many invalid hashes are remembered: the oldest is forgotten past this. */
const INVALID_MEMORY = 10_000

/**
 * Hashes of blocks whose header, or whose body as its header names it, breaks a rule: no
 * encoding with that hash can be valid. A body that is not its header's (BAD_TX_ROOT) or
 * a clock ahead of ours never lands here: the hash may still name a valid block.
 */
export class InvalidBlocks {
  readonly #hashes = new Set<string>()

  has(hex: string): boolean {
    return this.#hashes.has(hex)
  }

  add(hex: string): void {
    this.#hashes.add(hex)
    if (this.#hashes.size > INVALID_MEMORY) {
      const oldest = this.#hashes.values().next().value as string
      this.#hashes.delete(oldest)
    }
  }
}

export type Placement<D> =
  | { kind: 'duplicate'; entry: TreeEntry<D> }
  | { kind: 'new'; parent: TreeEntry<D> }
  | { kind: 'refused'; refusal: Refusal }

/**
 * Places the header `hex`: a duplicate, refused (remembered as invalid when provably so),
 * or new on `parent`, its header rules passed. `now` undefined skips the clock rule.
 */
export function placeHeader<D>(
  tree: BlockTree<D>,
  invalidBlocks: InvalidBlocks,
  header: AuthorityHeader,
  hex: string,
  genesis: AuthorityGenesis,
  now: number | undefined,
): Placement<D> {
  if (invalidBlocks.has(hex)) {
    return { kind: 'refused', refusal: invalid(AuthorityCode.KnownInvalid, `block ${hex} is known invalid`) }
  }
  const held = tree.get(hex)
  if (held !== undefined) return { kind: 'duplicate', entry: held }
  const parentHex = toHex(header.parentHash)
  if (invalidBlocks.has(parentHex)) {
    invalidBlocks.add(hex)
    return {
      kind: 'refused',
      refusal: invalid(AuthorityCode.KnownInvalid, `parent ${parentHex} is known invalid`),
    }
  }
  const parent = tree.get(parentHex)
  if (parent === undefined)
    return { kind: 'refused', refusal: unknownParent(`parent ${parentHex} is not known`) }
  const refusal = checkHeader(header, parent.header, genesis, now)
  if (refusal !== undefined) {
    if (refusal.status === 'invalid') invalidBlocks.add(hex)
    return { kind: 'refused', refusal }
  }
  return { kind: 'new', parent }
}
