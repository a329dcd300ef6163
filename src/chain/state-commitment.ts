/**
 * The bridge between the account state (state.ts: hex address → account) and the state
 * tree that commits to it (state-tree/, docs/chain.md "State tree"): the tree changes a
 * set of touched accounts makes, and a tree built from a whole state (genesis, or a node
 * reopening its store). Browser-safe.
 */
import { fromHex } from '../wire/bytes.ts'
import { type AccountState, applyBlock, type BlockUndo, StateOverlay, type StateView } from './state.ts'
import {
  accountKey,
  accountValue,
  type PendingUpdate,
  StateTree,
  type StateTreeInit,
} from './state-tree/index.ts'
import type { Block } from './types.ts'

/** Tree changes: state key → 16-byte value, or undefined for an account holding nothing. */
export type StateTreeChanges = Map<Uint8Array, Uint8Array | undefined>

/** The tree changes that bring the accounts `keys` (hex addresses) to their values in `view`. */
export function treeChanges(keys: Iterable<string>, view: StateView): StateTreeChanges {
  const changes: StateTreeChanges = new Map()
  for (const key of keys) changes.set(accountKey(fromHex(key)), accountValue(view.get(key)))
  return changes
}

/** A tree holding exactly `state`'s accounts, its root retained. O(accounts · log accounts). */
export function stateTreeOf(
  state: Iterable<readonly [string, AccountState]>,
  init: Omit<StateTreeInit, 'roots'> = {},
): StateTree {
  const tree = new StateTree(init)
  const changes: StateTreeChanges = new Map()
  for (const [key, account] of state) changes.set(accountKey(fromHex(key)), accountValue(account))
  tree.update(changes)
  return tree
}

/** The state root of a whole state (the genesis header's), computed in a throwaway tree. */
export function stateRootOf(state: Iterable<readonly [string, AccountState]>): Uint8Array {
  return stateTreeOf(state).root
}

/**
 * Computes the state root after a block, for validateBlock: the state after the block
 * (`view`), the accounts the block touched (`touched`, hex addresses). The reference chain
 * prepares it on its tree from the tip's root (adding the accounts a side branch moved).
 */
export type StateRootAfter = (view: StateView, touched: Iterable<string>) => PendingUpdate

/** A block applied on an overlay, with the tree version after it: nothing written yet. */
export interface BlockState {
  overlay: StateOverlay
  undo: BlockUndo
  stateRoot: PendingUpdate
}

/**
 * `block` applied on `state`, whose tree version in `tree` is `base`, and the tree version
 * after it (its root is the stateRoot the block's header must carry). For whoever builds
 * blocks: a miner's template, tests, benchmarks. Commit `overlay` to `state` and
 * `stateRoot` to `tree` to move on.
 * @throws ChainError if the block breaks a state rule
 */
export function blockState(tree: StateTree, base: Uint8Array, state: StateView, block: Block): BlockState {
  const overlay = new StateOverlay(state)
  const undo = applyBlock(overlay, block)
  const touched = undo.previous.map(([key]) => key)
  return { overlay, undo, stateRoot: tree.prepare(treeChanges(touched, overlay), { base }) }
}
