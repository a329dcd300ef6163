/**
 * The authenticated account map (issue 18): a compact sparse Merkle tree over 256-bit
 * keys, persistent (each `update` makes a new version and leaves the old one whole), with
 * membership and non-membership proofs. Layout and hashing: docs/chain.md "State tree".
 *
 * Versions are named by their root. The tree retains the roots `update` made, newest last;
 * `prune()` lets go of all but the newest `keep` and deletes the nodes no retained root
 * reaches. Until then an old root answers `get` and `prove` as it did when it was new, which
 * is what a node serving proofs against the last few headers (and reorging among them)
 * needs. Browser-safe.
 */

import { ACCOUNT_VALUE_LENGTH } from './account.ts'
import { StateTreeError, StateTreeErrorCode } from './errors.ts'
import { STATE_HASH_LENGTH, valueHash } from './hashing.ts'
import { bytesOfId, EMPTY_ID, idBit, idOf, idOfNode, type LeafRecord, type NodeId } from './node.ts'
import { leftOf, NodeBatch, readNode, rightOf } from './node-batch.ts'
import { MemoryNodeStore, type NodeStore } from './node-store.ts'
import type { StateProof } from './proof.ts'
import { applyChanges, type KeyChange } from './update.ts'

/**
 * Roots kept by default: enough to answer for, and reorg among, the last 64 blocks. The
 * reference chain has no finality, so the number is a policy, not a rule.
 */
export const DEFAULT_KEEP_ROOTS = 64

export interface StateTreeInit {
  /** Where the nodes live. @default a new MemoryNodeStore */
  store?: NodeStore
  /** How many of the newest roots `prune()` keeps (≥ 1). @default DEFAULT_KEEP_ROOTS */
  keep?: number
  /**
   * Roots already retained in `store` (their references counted), oldest first: to reopen
   * a persistent store. @default none
   */
  roots?: readonly Uint8Array[]
}

export interface UpdateOptions {
  /** The version to change. @default the newest retained root (the empty tree if none) */
  base?: Uint8Array
}

/**
 * A version computed but not yet stored: its root is known, its nodes wait in memory
 * (Diem's `put_value_sets` likewise returns the root and a `TreeUpdateBatch` for the caller
 * to write). Block validation compares `root` with the header's and commits only a block
 * it accepts, so a refused block never reaches the store, and the write is off the path
 * that decides.
 */
export interface PendingUpdate {
  /** The new version's root (the base's when nothing changed). */
  readonly root: Uint8Array
  /** How many nodes committing adds to the store. */
  readonly newNodes: number
  /**
   * Writes the version's nodes and retains its root. Only while the tree is as it was
   * when the update was prepared: any update, prune or release in between (a commit of
   * another pending update included) makes this throw a TypeError, storing nothing.
   * @returns the root
   */
  commit(): Uint8Array
}

export interface PruneResult {
  releasedRoots: number
  deletedNodes: number
}

function checkBytes(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new TypeError(`${what} must be ${length} bytes`)
  }
}

/** The changes as the update walk wants them: keys as ids, sorted, each once. */
function sortedChanges(changes: ReadonlyMap<Uint8Array, Uint8Array | undefined>): KeyChange[] {
  const list: KeyChange[] = []
  for (const [key, value] of changes) {
    checkBytes(key, STATE_HASH_LENGTH, 'a state key')
    if (value !== undefined) checkBytes(value, ACCOUNT_VALUE_LENGTH, 'a state value')
    list.push({ key: idOf(key), value: value === undefined ? undefined : idOf(value) })
  }
  list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  for (let i = 1; i < list.length; i++) {
    if ((list[i] as KeyChange).key === (list[i - 1] as KeyChange).key) {
      throw new TypeError('the same state key appears twice in one update')
    }
  }
  return list
}

export class StateTree {
  readonly #store: NodeStore
  readonly #keep: number
  /** Retained roots, oldest first; one reference each (a root may appear more than once). */
  readonly #roots: NodeId[]
  /** Counts this tree's writes to the store, so a pending update can tell it is stale. */
  #generation = 0

  constructor(init: StateTreeInit = {}) {
    const keep = init.keep ?? DEFAULT_KEEP_ROOTS
    if (!Number.isSafeInteger(keep) || keep < 1) throw new TypeError('keep must be an integer ≥ 1')
    this.#store = init.store ?? new MemoryNodeStore()
    this.#keep = keep
    this.#roots = (init.roots ?? []).map((root) => {
      checkBytes(root, STATE_HASH_LENGTH, 'a root')
      return idOf(root)
    })
  }

  /** Retained roots, oldest first. */
  get roots(): Uint8Array[] {
    return this.#roots.map(bytesOfId)
  }

  /** The newest retained root: the empty tree's (32 zero bytes) before any update. */
  get root(): Uint8Array {
    return bytesOfId(this.#roots.at(-1) ?? EMPTY_ID)
  }

  get nodeCount(): number {
    return this.#store.size
  }

  /** `root` as an id, if this tree retains it (the empty root always counts). */
  #retained(root: Uint8Array): NodeId {
    checkBytes(root, STATE_HASH_LENGTH, 'a root')
    const id = idOf(root)
    if (id !== EMPTY_ID && !this.#roots.includes(id)) {
      throw new StateTreeError(
        StateTreeErrorCode.UnknownRoot,
        'this state root is not retained (pruned, or never made)',
      )
    }
    return id
  }

  /**
   * A new version: `base` (by default the newest) with each key set to its value, or
   * removed where the value is undefined. The new root is retained; `base` stays whole.
   * Keys are 32-byte state keys (accountKey), values 16-byte account encodings.
   * @returns the new root (the same root when nothing changed)
   */
  update(changes: ReadonlyMap<Uint8Array, Uint8Array | undefined>, options: UpdateOptions = {}): Uint8Array {
    return this.prepare(changes, options).commit()
  }

  /**
   * `update` in two steps: the new root now, the store written by `commit()` (or never,
   * if the pending update is dropped: nothing to release).
   */
  prepare(
    changes: ReadonlyMap<Uint8Array, Uint8Array | undefined>,
    options: UpdateOptions = {},
  ): PendingUpdate {
    const base = options.base === undefined ? (this.#roots.at(-1) ?? EMPTY_ID) : this.#retained(options.base)
    const list = sortedChanges(changes)
    const batch = new NodeBatch(this.#store)
    const rootNode = applyChanges(batch, readNode(this.#store, base), list)
    const root = idOfNode(rootNode)
    const generation = this.#generation
    return {
      root: bytesOfId(root),
      newNodes: batch.added.length,
      commit: () => {
        if (this.#generation !== generation) {
          throw new TypeError('the state tree changed since this update was prepared (or it was committed)')
        }
        batch.settle()
        batch.retain(rootNode)
        this.#write(batch)
        this.#roots.push(root)
        return bytesOfId(root)
      },
    }
  }

  #write(batch: NodeBatch): void {
    this.#generation++
    this.#store.write(batch)
  }

  /** Lets go of all but the newest `keep` roots and deletes the nodes only they reached. */
  prune(): PruneResult {
    const released = this.#roots.length - this.#keep
    if (released <= 0) return { releasedRoots: 0, deletedNodes: 0 }
    const batch = new NodeBatch(this.#store)
    for (const root of this.#roots.slice(0, released)) batch.release(readNode(this.#store, root))
    this.#write(batch)
    this.#roots.splice(0, released)
    return { releasedRoots: released, deletedNodes: batch.deleted.length }
  }

  /**
   * Lets go of one retention of `root` at once, whatever its age: the root of a block found
   * invalid after its root was computed, which should neither be served nor take one of
   * the `keep` places.
   * @returns the nodes deleted
   */
  release(root: Uint8Array): number {
    const id = this.#retained(root)
    const at = this.#roots.lastIndexOf(id)
    if (at < 0) return 0
    const batch = new NodeBatch(this.#store)
    batch.release(readNode(this.#store, id))
    this.#write(batch)
    this.#roots.splice(at, 1)
    return batch.deleted.length
  }

  /** The node where `key`'s path ends under `root`, the siblings on the way (as ids). */
  #walk(root: Uint8Array, key: Uint8Array): { end: LeafRecord | undefined; siblings: NodeId[] } {
    checkBytes(key, STATE_HASH_LENGTH, 'a state key')
    const keyId = idOf(key)
    const siblings: NodeId[] = []
    let node = readNode(this.#store, this.#retained(root))
    for (let depth = 0; node !== null; depth++) {
      if (node.kind === 'leaf') return { end: node, siblings }
      const right = idBit(keyId, depth) === 1
      siblings.push(right ? node.left : node.right)
      node = right ? rightOf(this.#store, node) : leftOf(this.#store, node)
    }
    return { end: undefined, siblings }
  }

  /** `key`'s value under `root`, or undefined if absent. */
  get(root: Uint8Array, key: Uint8Array): Uint8Array | undefined {
    const { end } = this.#walk(root, key)
    return end !== undefined && end.key === idOf(key) ? bytesOfId(end.value) : undefined
  }

  /**
   * The proof of `key`'s value, or of its absence, under `root` (a retained root).
   * @throws StateTreeError ERR_UNKNOWN_STATE_ROOT for a root not retained
   */
  prove(root: Uint8Array, key: Uint8Array): StateProof {
    const { end, siblings: ids } = this.#walk(root, key)
    const siblings = ids.map(bytesOfId)
    if (end === undefined) return { kind: 'empty', siblings }
    if (end.key === idOf(key)) return { kind: 'member', value: bytesOfId(end.value), siblings }
    return {
      kind: 'other-leaf',
      leafKey: bytesOfId(end.key),
      leafValueHash: valueHash(bytesOfId(end.value)),
      siblings,
    }
  }
}
