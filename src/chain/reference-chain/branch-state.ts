/**
 * The best chain's state moved onto another branch, on an overlay: the best chain's blocks
 * above the fork reverted with their stored undo records (so this works after a restart),
 * then the branch's blocks applied. Used to validate a block on a side branch and to
 * reorg. Browser-safe.
 */
import { toHex } from '../../wire/bytes.ts'
import { applyBlock, revertBlock, StateOverlay, type StateView } from '../state.ts'
import type { BlockStore } from '../store/block-store.ts'
import { StoreError, StoreErrorCode } from '../store/errors.ts'
import type { Block, ChainPosition, Hash } from '../types.ts'
import { decodeUndo, encodeAccount, encodeStateKey, encodeUndo } from '../undo-codec.ts'
import type { Branch, ChainReader } from './reader.ts'

/** The best chain's state moved onto a branch, not yet committed anywhere. */
export interface BranchState {
  overlay: StateOverlay
  /** Every account the switch touched: what the commit writes. */
  touched: Set<string>
  disconnectedHashes: Hash[]
  /** The best chain's blocks above the fork, lowest first. */
  disconnected: Block[]
  /** The branch's blocks applied so far, lowest first, with their undo records. */
  connected: Array<{ block: Block; hash: Hash; undo: Uint8Array }>
}

/**
 * Told after each of the branch's blocks is applied: the state so far, every account the
 * switch touched so far, and the block (the reference chain checks its stateRoot here).
 */
export type OnConnected = (view: StateView, touched: ReadonlySet<string>, block: Block) => void

/** The state at the top of `branch`, on an overlay of the best state (which is untouched). */
export async function stateOnBranch(
  store: BlockStore,
  reader: ChainReader,
  tip: ChainPosition,
  state: StateView,
  branch: Branch,
  onConnected?: OnConnected,
): Promise<BranchState> {
  const overlay = new StateOverlay(state)
  const touched = new Set<string>()
  const disconnectedHashes = await store.getHashesFrom(branch.forkHeight + 1, tip.height - branch.forkHeight)
  const disconnected: Block[] = []
  for (const hash of disconnectedHashes.toReversed()) {
    const record = await store.getUndo(hash)
    if (record === undefined) {
      throw new StoreError(StoreErrorCode.Corrupt, `no undo record for best-chain block ${toHex(hash)}`)
    }
    const undo = decodeUndo(record)
    revertBlock(overlay, undo)
    for (const [key] of undo.previous) touched.add(key)
    disconnected.unshift(await reader.block(hash))
  }
  const connected: BranchState['connected'] = []
  for (const hash of branch.hashes) {
    const block = await reader.block(hash)
    const undo = applyBlock(overlay, block)
    for (const [key] of undo.previous) touched.add(key)
    onConnected?.(overlay, touched, block)
    connected.push({ block, hash, undo: encodeUndo(undo) })
  }
  return { overlay, touched, disconnectedHashes, disconnected, connected }
}

/** The store entries of `keys` as the overlay has them (null: the account is gone). */
export function stateEntries(
  overlay: StateOverlay,
  keys: Iterable<string>,
): Array<[Uint8Array, Uint8Array | null]> {
  return Array.from(keys, (key) => {
    const account = overlay.get(key)
    return [encodeStateKey(key), account === undefined ? null : encodeAccount(account)]
  })
}
