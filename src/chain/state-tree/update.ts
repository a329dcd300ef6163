/**
 * One batch of changes applied to a version of the tree, by path copying: every node on
 * a changed path is made anew, every untouched subtree is shared with the old version.
 * The old version is not changed, so it stays provable.
 *
 * The shape is canonical: a subtree with no leaf is empty, a subtree with one leaf is that
 * leaf, placed as high as it goes (the Jellyfish tree's rule, diem/diem
 * storage/jellyfish-merkle/src/lib.rs: "any subtree containing 0 or 1 leaf node will be
 * replaced by that leaf node or a placeholder node"). So the root depends only on the set
 * of (key, value) pairs, never on the order they came in, and a leaf sits about
 * log2(accounts) deep. Keys are SHA-256 outputs, so nobody can place one deeper than that
 * without grinding hashes: two keys sharing d leading bits cost about 2^d hashes.
 *
 * Each batch walks the tree once: changes are sorted by key and split at each level by
 * the key bit, so the nodes shared by several changed paths (the top of the tree) are
 * hashed once per batch, not once per change.
 */
import { type Child, idBit, type LeafRecord, type NodeId } from './node.ts'
import { leftOf, type NodeBatch, rightOf } from './node-batch.ts'

/** A change to one key: the new value, or undefined to remove the key. */
export interface KeyChange {
  readonly key: NodeId
  /** As a binary string (node.ts). */
  readonly value: string | undefined
}

/** A leaf of a subtree being rebuilt: one already stored (`node`) or one to make. */
interface Entry {
  readonly key: NodeId
  readonly node?: LeafRecord
  readonly value?: string
}

/** The first index in [lo, hi) whose key has bit `depth` set (keys sorted, sharing the prefix). */
function splitIndex<T extends { key: NodeId }>(items: readonly T[], lo: number, hi: number, depth: number) {
  let a = lo
  let b = hi
  while (a < b) {
    const mid = (a + b) >>> 1
    if (idBit((items[mid] as T).key, depth) === 0) a = mid + 1
    else b = mid
  }
  return a
}

/** The canonical subtree at `depth` holding exactly `entries[lo, hi)` (sorted by key). */
function build(batch: NodeBatch, entries: readonly Entry[], lo: number, hi: number, depth: number): Child {
  if (lo === hi) return null
  if (hi - lo === 1) {
    const entry = entries[lo] as Entry
    return entry.node ?? batch.leaf(entry.key, entry.value as string)
  }
  const mid = splitIndex(entries, lo, hi, depth)
  // Two distinct keys differ at some bit < 256, so this recursion ends by depth 255.
  return batch.internal(build(batch, entries, lo, mid, depth + 1), build(batch, entries, mid, hi, depth + 1))
}

/** A leaf's subtree after the changes: the leaf (unless changed) and any new keys beside it. */
function mergeLeaf(
  batch: NodeBatch,
  leaf: LeafRecord,
  changes: readonly KeyChange[],
  lo: number,
  hi: number,
  depth: number,
): Child {
  const entries: Entry[] = []
  let leafPending = true
  for (let i = lo; i < hi; i++) {
    const change = changes[i] as KeyChange
    if (leafPending && change.key >= leaf.key) {
      leafPending = false
      // A change to the leaf's own key replaces (or removes) it; any other goes beside it.
      if (change.key !== leaf.key) entries.push({ key: leaf.key, node: leaf })
    }
    if (change.value !== undefined) entries.push({ key: change.key, value: change.value })
  }
  if (leafPending) entries.push({ key: leaf.key, node: leaf })
  return build(batch, entries, 0, entries.length, depth)
}

/**
 * `node` at `depth` after `changes[lo, hi)` (sorted by key, distinct, all under this node's
 * position). Returns the new subtree: the same record when nothing changed.
 */
function updateAt(
  batch: NodeBatch,
  node: Child,
  changes: readonly KeyChange[],
  lo: number,
  hi: number,
  depth: number,
): Child {
  if (lo === hi) return node
  if (node === null) {
    const entries: Entry[] = []
    for (let i = lo; i < hi; i++) {
      const change = changes[i] as KeyChange
      if (change.value !== undefined) entries.push({ key: change.key, value: change.value })
    }
    return build(batch, entries, 0, entries.length, depth)
  }
  if (node.kind === 'leaf') return mergeLeaf(batch, node, changes, lo, hi, depth)
  const mid = splitIndex(changes, lo, hi, depth)
  const oldLeft = leftOf(batch.store, node)
  const oldRight = rightOf(batch.store, node)
  const left = updateAt(batch, oldLeft, changes, lo, mid, depth + 1)
  const right = updateAt(batch, oldRight, changes, mid, hi, depth + 1)
  if (left === oldLeft && right === oldRight) return node
  // Collapse upward: a subtree left holding one leaf (or none) is that leaf (or empty).
  if (left === null && (right === null || right.kind === 'leaf')) return right
  if (right === null && left?.kind === 'leaf') return left
  // An unchanged side is stored: its id is in `node`, no need to read its record.
  return batch.internal(
    left,
    right,
    left === oldLeft ? node.left : undefined,
    right === oldRight ? node.right : undefined,
  )
}

/**
 * The root after `changes` (sorted by key, keys distinct) are applied to the tree under
 * `root`. New nodes go into `batch`; the caller takes the reference on the new root.
 */
export function applyChanges(batch: NodeBatch, root: Child, changes: readonly KeyChange[]): Child {
  return updateAt(batch, root, changes, 0, changes.length, 0)
}
