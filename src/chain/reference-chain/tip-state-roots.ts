/**
 * The reference chain's state tree at its best tip (docs/chain.md "State tree"): the tree
 * over the tip's accounts, the root of the tip, and the tree versions a block on the tip or
 * on a side branch would make, prepared for validation and committed once the store took
 * the block. Browser-safe.
 */
import { equalBytes, toHex } from '../../wire/bytes.ts'
import type { AccountState, StateView } from '../state.ts'
import { blockState, type StateRootAfter, stateTreeOf, treeChanges } from '../state-commitment.ts'
import type { PendingUpdate, StateTree } from '../state-tree/index.ts'
import { StoreError, StoreErrorCode } from '../store/errors.ts'
import type { Block } from '../types.ts'

export class TipStateRoots {
  /** Its newest root is the tip's stateRoot; it keeps the roots of the last blocks it took. */
  readonly tree: StateTree
  #tipRoot: Uint8Array

  private constructor(tree: StateTree) {
    this.tree = tree
    this.#tipRoot = tree.root
  }

  /**
   * The tree over `state` (the store keeps accounts, not tree nodes: rebuilt on every open,
   * so a crash can never leave the two apart).
   * @throws StoreError STORE_CORRUPT unless it reaches `tipStateRoot`, the tip header's
   */
  static build(state: Iterable<readonly [string, AccountState]>, tipStateRoot: Uint8Array): TipStateRoots {
    const tree = stateTreeOf(state)
    if (!equalBytes(tree.root, tipStateRoot)) {
      throw new StoreError(
        StoreErrorCode.Corrupt,
        `the stored state's root ${toHex(tree.root)} is not the tip's stateRoot ${toHex(tipStateRoot)}`,
      )
    }
    return new TipStateRoots(tree)
  }

  /** The stateRoot of `block` on the tip, whose state is `tipState` (the miner's template). */
  rootOnTip(tipState: StateView, block: Block): Uint8Array {
    return blockState(this.tree, this.#tipRoot, tipState, block).stateRoot.root
  }

  /** The tree version after a block on the tip, not yet stored (validateBlock's StateRootAfter). */
  readonly afterTip: StateRootAfter = (view, touched) =>
    this.tree.prepare(treeChanges(touched, view), { base: this.#tipRoot })

  /** The same for a block on a side branch: the accounts the branch moved count too. */
  afterBranch(branchTouched: ReadonlySet<string>): StateRootAfter {
    return (view, touched) => this.afterTip(view, new Set([...branchTouched, ...touched]))
  }

  /** After the store took the block: the tree keeps its version, and forgets the oldest. */
  commit(pending: PendingUpdate): void {
    this.#tipRoot = pending.commit()
    this.tree.prune()
  }
}
