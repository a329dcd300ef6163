/**
 * What the node store must hold after any sequence of updates and prunes: exactly the
 * nodes the retained roots reach, each counting its references (parents in the store,
 * plus retained roots equal to it). Computed by walking, independently of the batches.
 */
import { idOf, type NodeId, type NodeRecord } from '../../../src/chain/state-tree/node.ts'
import type { MemoryNodeStore } from '../../../src/chain/state-tree/node-store.ts'

const EMPTY = '\0'.repeat(32)

/** Returns a description of the first inconsistency, or undefined when there is none. */
export function storeProblem(store: MemoryNodeStore, roots: readonly Uint8Array[]): string | undefined {
  const held = new Map<NodeId, NodeRecord>()
  for (const record of store.records()) held.set(record.id, record)
  if (held.size !== store.size) return `size ${store.size}, but ${held.size} records`
  const expected = new Map<NodeId, number>()
  for (const root of roots) {
    const id = idOf(root)
    if (id !== EMPTY) expected.set(id, (expected.get(id) ?? 0) + 1)
  }
  for (const record of held.values()) {
    if (record.kind !== 'internal') continue
    for (const child of [record.left, record.right]) {
      if (child !== EMPTY) expected.set(child, (expected.get(child) ?? 0) + 1)
    }
  }
  for (const [id, refs] of expected) {
    const record = held.get(id)
    if (record === undefined) return 'a referenced node is missing'
    if (record.refs !== refs) return `a node counts ${record.refs} references, has ${refs}`
  }
  // Nothing unreachable: every held node is referenced (so, by induction, reached from a root).
  for (const id of held.keys()) if (!expected.has(id)) return 'an unreferenced node is held'
  return undefined
}
