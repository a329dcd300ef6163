/**
 * The writes of one tree operation, gathered before any reaches the store (Diem's
 * `TreeUpdateBatch`). Creating a node that already exists (same hash: same content) adds
 * nothing; a new node takes a reference on each child; releasing the last reference to a
 * node deletes it and releases its children. Reference counts are what let versions share
 * nodes and still be pruned one at a time.
 *
 * Stored records are never copied or changed here: their count changes are kept as deltas
 * and applied by the store in `write`, so an operation that fails leaves the store as it was.
 * Records this batch made carry its number and count their references in place.
 */
import { StateTreeError, StateTreeErrorCode } from './errors.ts'
import {
  type Child,
  EMPTY_ID,
  type InternalRecord,
  idOfNode,
  internalId,
  type LeafRecord,
  leafId,
  type NodeId,
  type NodeRecord,
} from './node.ts'
import type { NodeStore, NodeWrites } from './node-store.ts'

export function missing(id: NodeId): never {
  const hex = Array.from(id.slice(0, 8), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
  throw new StateTreeError(StateTreeErrorCode.MissingNode, `state node ${hex}… is not in the store`)
}

/** The stored node `id` names (null for the empty id); throws if the store has none. */
export function readNode(store: NodeStore, id: NodeId): Child {
  if (id === EMPTY_ID) return null
  return store.get(id) ?? missing(id)
}

/** `record`'s left child: its link, or a read by id from a store that keeps none. */
export function leftOf(store: NodeStore, record: InternalRecord): Child {
  const child = record.leftNode
  return child !== undefined ? child : readNode(store, record.left)
}

export function rightOf(store: NodeStore, record: InternalRecord): Child {
  const child = record.rightNode
  return child !== undefined ? child : readNode(store, record.right)
}

/** Batch numbers: a record made by batch n is new in batch n only, never in a later one. */
let batches = 0

export class NodeBatch implements NodeWrites {
  readonly store: NodeStore
  readonly #number = ++batches
  /** Nodes made by this batch: not in the store, so their counts change in place. */
  readonly added: NodeRecord[] = []
  readonly refChanges = new Map<NodeRecord, number>()
  readonly deleted: NodeRecord[] = []

  constructor(store: NodeStore) {
    this.store = store
  }

  /** Whether this batch made `node`. */
  #made(node: NodeRecord): boolean {
    return node.batch === this.#number
  }

  /** Takes a reference on `node` (a new parent, or a retained root). */
  retain(node: Child): void {
    if (node === null) return
    if (this.#made(node)) node.refs++
    else this.refChanges.set(node, (this.refChanges.get(node) ?? 0) + 1)
  }

  /**
   * Stored nodes that new nodes hold, their references not yet counted in `refChanges`:
   * `settle` counts them. Counting is for the store, not for the root, so `prepare` leaves
   * it to `commit` (a refused block never pays it).
   */
  readonly #heldStored: NodeRecord[] = []

  /** Counts the references new nodes took on stored ones. Before `refChanges` is read. */
  settle(): void {
    for (const node of this.#heldStored) this.refChanges.set(node, (this.refChanges.get(node) ?? 0) + 1)
    this.#heldStored.length = 0
  }

  /**
   * Drops a reference on a stored node; at zero the node goes, and so does its hold on its
   * children. (Only stored versions are released: a batch never releases what it made.)
   */
  release(node: Child): void {
    this.settle()
    const stack: Child[] = [node]
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (next === null) continue
      const change = (this.refChanges.get(next) ?? 0) - 1
      if (next.refs + change > 0) {
        this.refChanges.set(next, change)
        continue
      }
      this.refChanges.delete(next)
      this.deleted.push(next)
      if (next.kind === 'internal') stack.push(leftOf(this.store, next), rightOf(this.store, next))
    }
  }

  /** The leaf holding `value` under `key`, stored if new. Its caller takes the reference. */
  leaf(key: NodeId, value: string): LeafRecord {
    const id = leafId(key, value)
    // One version holds a key once, so this batch cannot have made the leaf already; an
    // older version may hold it.
    const stored = this.store.get(id)
    if (stored !== undefined) return stored as LeafRecord
    const record: LeafRecord = { kind: 'leaf', id, key, value, refs: 0, batch: this.#number }
    this.added.push(record)
    return record
  }

  /**
   * The internal node over `left` and `right`, stored if new (then it holds both). A child
   * known to be stored may come with its id (its parent's `left` or `right`): the child's
   * record is then not read at all, which at a million accounts is a cache miss saved per
   * level (the untouched sibling of every node on a changed path).
   */
  internal(left: Child, right: Child, storedLeftId?: NodeId, storedRightId?: NodeId): InternalRecord {
    const leftId = storedLeftId ?? idOfNode(left)
    const rightId = storedRightId ?? idOfNode(right)
    const id = internalId(leftId, rightId)
    const newLeft = storedLeftId === undefined && left !== null && this.#made(left)
    const newRight = storedRightId === undefined && right !== null && this.#made(right)
    // A node over a child made in this batch is new too: the store cannot hold it. Nor can
    // this batch have made it already: two places in one version hold different keys, so
    // different hashes. Over two stored children it may be stored (an older version).
    if (!newLeft && !newRight) {
      const stored = this.store.get(id)
      if (stored !== undefined) return stored as InternalRecord
    }
    const record: InternalRecord = {
      kind: 'internal',
      id,
      left: leftId,
      right: rightId,
      leftNode: left,
      rightNode: right,
      refs: 0,
      batch: this.#number,
    }
    this.added.push(record)
    if (newLeft) (left as NodeRecord).refs++
    else if (left !== null) this.#heldStored.push(left)
    if (newRight) (right as NodeRecord).refs++
    else if (right !== null) this.#heldStored.push(right)
    return record
  }
}
