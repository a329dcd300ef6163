/**
 * Checks shared by both stores, run before anything is written: a change of the wrong
 * shape, or one that would leave the tip off the best-chain index, is refused whole with
 * STORE_INVALID_CHANGE. This is what makes "a commit with a bad entry writes nothing" hold
 * for the memory store, and keeps garbage (a string LevelDB would happily coerce) out of
 * the LevelDB one. Browser-safe.
 */
import { equalBytes } from '../../wire/bytes.ts'
import type { ChainPosition, Hash } from '../types.ts'
import type { BlockMeta, StoreChange } from './block-store.ts'
import { StoreError, StoreErrorCode } from './errors.ts'

export const HASH_BYTES = 32

function invalid(message: string): StoreError {
  return new StoreError(StoreErrorCode.InvalidChange, `invalid store change: ${message}`)
}

function checkBytes(value: unknown, what: string): void {
  if (!(value instanceof Uint8Array)) throw invalid(`${what} is not a Uint8Array`)
}

function checkHash(value: unknown, what: string): void {
  checkBytes(value, what)
  if ((value as Uint8Array).length !== HASH_BYTES) throw invalid(`${what} is not ${HASH_BYTES} bytes`)
}

function checkHeight(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${what} is not a height (a non-negative safe integer)`)
  }
}

function checkWork(value: unknown, what: string): void {
  if (typeof value !== 'bigint' || value < 0n) throw invalid(`${what} is not a non-negative bigint`)
}

function checkPairs(value: unknown, what: string): asserts value is unknown[][] {
  if (!Array.isArray(value)) throw invalid(`${what} is not an array`)
  for (const [i, pair] of value.entries()) {
    if (!Array.isArray(pair) || pair.length !== 2) throw invalid(`${what}[${i}] is not a pair`)
  }
}

/** Throws STORE_INVALID_CHANGE naming the first bad field. */
export function validateChange(change: StoreChange): void {
  if (typeof change !== 'object' || change === null) throw invalid('not an object')
  if (change.blocks !== undefined) {
    if (!Array.isArray(change.blocks)) throw invalid('blocks is not an array')
    for (const [i, block] of change.blocks.entries()) {
      if (typeof block !== 'object' || block === null) throw invalid(`blocks[${i}] is not an object`)
      checkHash(block.hash, `blocks[${i}].hash`)
      checkBytes(block.encoded, `blocks[${i}].encoded`)
      if (typeof block.meta !== 'object' || block.meta === null) throw invalid(`blocks[${i}].meta is missing`)
      checkHeight(block.meta.height, `blocks[${i}].meta.height`)
      checkHash(block.meta.parent, `blocks[${i}].meta.parent`)
      checkWork(block.meta.totalWork, `blocks[${i}].meta.totalWork`)
    }
  }
  if (change.bestChain !== undefined) {
    const { removeAbove, set } = change.bestChain
    if (removeAbove !== undefined) checkHeight(removeAbove, 'bestChain.removeAbove')
    if (set !== undefined) {
      checkPairs(set, 'bestChain.set')
      for (const [i, [height, hash]] of set.entries()) {
        checkHeight(height, `bestChain.set[${i}] height`)
        checkHash(hash, `bestChain.set[${i}] hash`)
      }
    }
  }
  if (change.tip !== undefined) {
    checkHash(change.tip.hash, 'tip.hash')
    checkHeight(change.tip.height, 'tip.height')
    checkWork(change.tip.totalWork, 'tip.totalWork')
  }
  if (change.undo !== undefined) {
    checkPairs(change.undo, 'undo')
    for (const [i, [hash, record]] of change.undo.entries()) {
      checkHash(hash, `undo[${i}] hash`)
      if (record !== null) checkBytes(record, `undo[${i}] record`)
    }
  }
  if (change.state !== undefined) {
    checkPairs(change.state, 'state')
    for (const [i, [key, value]] of change.state.entries()) {
      checkBytes(key, `state[${i}] key`)
      if (value !== null) checkBytes(value, `state[${i}] value`)
    }
  }
}

/** What the invariant check needs to read of the store as it is before the change. */
export interface IndexView {
  tip: ChainPosition | undefined
  /** The highest height on the best-chain index, -1 when it is empty. */
  topHeight: number
  getMeta(hash: Hash): Promise<BlockMeta | undefined>
  getHashAtHeight(height: number): Promise<Hash | undefined>
}

/**
 * Checks that after `change` the tip sits on the best-chain index at its height, with
 * nothing above it, and that the tip block's metadata agrees; returns the index's new top
 * height. Cheap (at most two reads), and it turns a chain bug into a refused commit instead
 * of a store that reopens with a tip pointing nowhere.
 */
export async function checkTipInvariant(change: StoreChange, view: IndexView): Promise<number> {
  const { removeAbove, set = [] } = change.bestChain ?? {}
  let top = removeAbove === undefined ? view.topHeight : Math.min(view.topHeight, removeAbove)
  for (const [height] of set) top = Math.max(top, height)
  if (change.tip === undefined && change.bestChain === undefined) return top

  const tip = change.tip ?? view.tip
  if (tip === undefined) {
    if (top === -1) return top
    throw invalid('a best-chain index without a tip')
  }
  if (top !== tip.height) {
    throw invalid(`the best-chain index would end at height ${top}, the tip is at ${tip.height}`)
  }
  const setAtTip = set.findLast(([height]) => height === tip.height)
  const indexed =
    setAtTip !== undefined
      ? setAtTip[1]
      : removeAbove !== undefined && tip.height > removeAbove
        ? undefined
        : await view.getHashAtHeight(tip.height)
  if (indexed === undefined || !equalBytes(indexed, tip.hash)) {
    throw invalid(`the tip is not the best-chain block at its height ${tip.height}`)
  }
  const meta =
    change.blocks?.findLast((block) => equalBytes(block.hash, tip.hash))?.meta ??
    (await view.getMeta(tip.hash))
  if (meta === undefined) throw invalid('the tip block is neither stored nor in the change')
  if (meta.height !== tip.height || meta.totalWork !== tip.totalWork) {
    throw invalid('the tip disagrees with its block metadata on height or total work')
  }
  return top
}
