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
import { EMPTY_ID, idBit, type NodeId } from './node.ts'
import type { NodeBatch } from './node-batch.ts'

/** A change to one key: the new value, or undefined to remove the key. */
export interface KeyChange {
  readonly key: NodeId
  /** As a binary string (node.ts). */
  readonly value: string | undefined
}

/** A leaf of a subtree being rebuilt: one already stored (`id`) or one to make. */
interface Entry {
  readonly key: NodeId
  readonly id?: NodeId
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
function build(batch: NodeBatch, entries: readonly Entry[], lo: number, hi: number, depth: number): NodeId {
  if (lo === hi) return EMPTY_ID
  if (hi - lo === 1) {
    const entry = entries[lo] as Entry
    return entry.id ?? batch.leaf(entry.key, entry.value as string)
  }
  const mid = splitIndex(entries, lo, hi, depth)
  // Two distinct keys differ at some bit < 256, so this recursion ends by depth 255.
  return batch.internal(build(batch, entries, lo, mid, depth + 1), build(batch, entries, mid, hi, depth + 1))
}

/** A leaf's subtree after the changes: the leaf (unless changed) and any new keys beside it. */
function mergeLeaf(
  batch: NodeBatch,
  id: NodeId,
  leafKey: NodeId,
  changes: readonly KeyChange[],
  lo: number,
  hi: number,
  depth: number,
): NodeId {
  const entries: Entry[] = []
  let leafPending = true
  for (let i = lo; i < hi; i++) {
    const change = changes[i] as KeyChange
    if (leafPending && change.key >= leafKey) {
      leafPending = false
      // A change to the leaf's own key replaces (or removes) it; any other goes beside it.
      if (change.key !== leafKey) entries.push({ key: leafKey, id })
    }
    if (change.value !== undefined) entries.push({ key: change.key, value: change.value })
  }
  if (leafPending) entries.push({ key: leafKey, id })
  return build(batch, entries, 0, entries.length, depth)
}

/**
 * `node` at `depth` after `changes[lo, hi)` (sorted by key, distinct, all under this node's
 * position). Returns the new subtree's id: the same id when nothing changed.
 */
function updateAt(
  batch: NodeBatch,
  node: NodeId,
  changes: readonly KeyChange[],
  lo: number,
  hi: number,
  depth: number,
): NodeId {
  if (lo === hi) return node
  if (node === EMPTY_ID) {
    const entries: Entry[] = []
    for (let i = lo; i < hi; i++) {
      const change = changes[i] as KeyChange
      if (change.value !== undefined) entries.push({ key: change.key, value: change.value })
    }
    return build(batch, entries, 0, entries.length, depth)
  }
  const record = batch.readStored(node)
  if (record.kind === 'leaf') return mergeLeaf(batch, node, record.key, changes, lo, hi, depth)
  const mid = splitIndex(changes, lo, hi, depth)
  const left = updateAt(batch, record.left, changes, lo, mid, depth + 1)
  const right = updateAt(batch, record.right, changes, mid, hi, depth + 1)
  if (left === record.left && right === record.right) return node
  // Collapse upward: a subtree left holding one leaf (or none) is that leaf (or empty).
  if (left === EMPTY_ID && (right === EMPTY_ID || batch.isLeaf(right))) return right
  if (right === EMPTY_ID && batch.isLeaf(left)) return left
  return batch.internal(left, right)
}

/**
 * The root after `changes` (sorted by key, keys distinct) are applied to the tree under
 * `root`. New nodes go into `batch`; the caller takes the reference on the new root.
 */
export function applyChanges(batch: NodeBatch, root: NodeId, changes: readonly KeyChange[]): NodeId {
  return updateAt(batch, root, changes, 0, changes.length, 0)
}
