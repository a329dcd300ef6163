/**
 * `prepare` then `commit`: the root before the store is written, the same root and store
 * as `update`, nothing stored for a pending update dropped, and a commit refused once the
 * tree changed under it.
 */
import { describe, expect, it } from 'vitest'
import { MemoryNodeStore, StateTree } from '../../../src/chain/state-tree/index.ts'
import { hex, modelRoot, sha, testValue } from './model.ts'
import { storeProblem } from './store-check.ts'

const key = (i: number) => sha(Uint8Array.of(i, 0x70))
const entries = (n: number, from = 0) =>
  new Map(
    Array.from({ length: n }, (_, i) => [key(from + i), testValue(from + i + 1)] as [Uint8Array, Uint8Array]),
  )

describe('state tree pending updates', () => {
  it('gives the root before writing; commit stores what update would', () => {
    const store = new MemoryNodeStore()
    const tree = new StateTree({ store })
    const twin = new StateTree()
    tree.update(entries(40))
    twin.update(entries(40))
    const changes = new Map([...entries(5, 38), [key(3), undefined] as [Uint8Array, undefined]])
    const size = store.size
    const pending = tree.prepare(changes)
    expect(store.size).toBe(size)
    expect(tree.roots).toHaveLength(1)
    const expected = twin.update(changes)
    expect(pending.root).toEqual(expected)
    const all = new Map([...entries(43)].map(([k, v]) => [hex(k), v]))
    all.delete(hex(key(3)))
    expect(pending.root).toEqual(modelRoot(all))
    expect(pending.commit()).toEqual(expected)
    expect(store.size).toBe(size + pending.newNodes)
    expect(tree.root).toEqual(expected)
    expect(twin.nodeCount).toBe(store.size)
    expect(storeProblem(store, tree.roots)).toBeUndefined()
  })

  it('a pending update dropped leaves nothing behind', () => {
    const store = new MemoryNodeStore()
    const tree = new StateTree({ store })
    const root = tree.update(entries(20))
    const size = store.size
    expect(tree.prepare(entries(6, 100)).root).not.toEqual(root)
    expect(store.size).toBe(size)
    expect(tree.roots).toEqual([root])
    expect(storeProblem(store, tree.roots)).toBeUndefined()
  })

  it('refuses a commit after the tree changed, or a second commit, storing nothing', () => {
    const store = new MemoryNodeStore()
    const tree = new StateTree({ store, keep: 1 })
    tree.update(entries(20))
    const first = tree.prepare(entries(2, 50))
    const second = tree.prepare(entries(2, 60))
    first.commit()
    const size = store.size
    expect(() => second.commit()).toThrow(TypeError)
    expect(() => first.commit()).toThrow(TypeError)
    const third = tree.prepare(entries(2, 70))
    tree.prune()
    expect(() => third.commit()).toThrow(TypeError)
    expect(store.size).toBeLessThanOrEqual(size)
    expect(storeProblem(store, tree.roots)).toBeUndefined()
  })
})
