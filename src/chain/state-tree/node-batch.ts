/**
 * The writes of one tree operation, gathered before any reaches the store (Diem's
 * `TreeUpdateBatch`): reads see them first, then the store. Creating a node that already
 * exists (same hash: same content) adds nothing; a new node takes a reference on each
 * child; releasing the last reference to a node deletes it and releases its children.
 * Reference counts are what let versions share nodes and still be pruned one at a time.
 *
 * Stored records are never copied or changed here: their count changes are kept as deltas
 * and applied by the store in `write`, so an operation that fails leaves the store as it was.
 */
import { StateTreeError, StateTreeErrorCode } from './errors.ts'
import { EMPTY_ID, internalId, leafId, type NodeId, type NodeRecord } from './node.ts'
import type { NodeStore, NodeWrites } from './node-store.ts'

export function missing(id: NodeId): never {
  const hex = Array.from(id.slice(0, 8), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
  throw new StateTreeError(StateTreeErrorCode.MissingNode, `state node ${hex}… is not in the store`)
}

export class NodeBatch implements NodeWrites {
  readonly #store: NodeStore
  /** Nodes made by this batch: not in the store, so their counts change in place. */
  readonly added = new Map<NodeId, NodeRecord>()
  readonly refChanges = new Map<NodeId, number>()
  readonly deleted = new Set<NodeId>()

  constructor(store: NodeStore) {
    this.#store = store
  }

  /** The node `id` names; throws if there is none. */
  read(id: NodeId): NodeRecord {
    const record = this.added.get(id) ?? this.#store.get(id)
    if (record === undefined || (this.deleted.size > 0 && this.deleted.has(id))) missing(id)
    return record
  }

  /**
   * A node of the version being changed: in the store, never in this batch (an update only
   * walks its base, which is stored). One lookup instead of two per node on every path.
   */
  readStored(id: NodeId): NodeRecord {
    return this.#store.get(id) ?? missing(id)
  }

  /** Takes a reference on `id` (a new parent, or a retained root). */
  retain(id: NodeId): void {
    if (id === EMPTY_ID) return
    const own = this.added.get(id)
    if (own !== undefined) own.refs++
    else this.refChanges.set(id, (this.refChanges.get(id) ?? 0) + 1)
  }

  /**
   * Stored nodes (or the empty id) that new nodes hold, their references not yet counted
   * in `refChanges`: `settle` counts them. Counting is for the store, not for the root, so
   * `prepare` leaves it to `commit` (a refused block never pays it).
   */
  readonly #heldStored: NodeId[] = []

  /** retain, for an id known not to be made by this batch: counted at `settle`. */
  #retainStored(id: NodeId): void {
    this.#heldStored.push(id)
  }

  /** Counts the references new nodes took on stored ones. Before `refChanges` is read. */
  settle(): void {
    for (const id of this.#heldStored) {
      if (id !== EMPTY_ID) this.refChanges.set(id, (this.refChanges.get(id) ?? 0) + 1)
    }
    this.#heldStored.length = 0
  }

  /** Drops a reference on `id`; at zero the node goes, and so does its hold on its children. */
  release(id: NodeId): void {
    this.settle()
    const stack = [id]
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (next === EMPTY_ID) continue
      let record = this.added.get(next)
      if (record !== undefined) {
        if (--record.refs > 0) continue
        this.added.delete(next)
      } else {
        record = this.read(next)
        const change = (this.refChanges.get(next) ?? 0) - 1
        if (record.refs + change > 0) {
          this.refChanges.set(next, change)
          continue
        }
        this.refChanges.delete(next)
        this.deleted.add(next)
      }
      if (record.kind === 'internal') stack.push(record.left, record.right)
    }
  }

  /** The leaf holding `value` under `key`, stored if new. Its caller takes the reference. */
  leaf(key: NodeId, value: string): NodeId {
    const id = leafId(key, value)
    if (!this.added.has(id) && this.#store.get(id) === undefined) {
      this.added.set(id, { kind: 'leaf', id, key, value, refs: 0 })
    }
    return id
  }

  /** The internal node over `left` and `right`, stored if new (then it holds both). */
  internal(left: NodeId, right: NodeId): NodeId {
    const id = internalId(left, right)
    const newLeft = this.added.get(left)
    const newRight = this.added.get(right)
    // A node over a child made in this batch is new too: the store cannot hold it, and
    // this batch cannot have made it already (two places in one version hold different
    // keys, so different hashes). Otherwise it may exist in either.
    if (newLeft === undefined && newRight === undefined) {
      if (this.#store.get(id) !== undefined || this.added.has(id)) return id
    }
    this.added.set(id, { kind: 'internal', id, left, right, refs: 0 })
    if (newLeft !== undefined) newLeft.refs++
    else this.#retainStored(left)
    if (newRight !== undefined) newRight.refs++
    else this.#retainStored(right)
    return id
  }

  isLeaf(id: NodeId): boolean {
    return id !== EMPTY_ID && this.read(id).kind === 'leaf'
  }
}
