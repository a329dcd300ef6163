/**
 * The state tree by hand: shapes small enough to write down (docs/chain.md "State tree"),
 * the three kinds of proof, versions and pruning, and the errors of a misused tree.
 */
import { describe, expect, it } from 'vitest'
import {
  EMPTY_STATE_ROOT,
  isStateTreeError,
  MemoryNodeStore,
  type NodeRecord,
  type NodeStore,
  StateTree,
  StateTreeErrorCode,
  verifyStateProof,
} from '../../../src/chain/state-tree/index.ts'
import { modelLeaf, sha, testValue } from './model.ts'
import { storeProblem } from './store-check.ts'

/** A key of 32 bytes with the given leading bits (as a string of 0s and 1s), then zeros. */
function keyWithBits(bits: string): Uint8Array {
  const key = new Uint8Array(32)
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') key[i >> 3] |= 0x80 >> (i & 7)
  return key
}

const node = (left: Uint8Array, right: Uint8Array) => sha(Uint8Array.of(1), left, right)
const ZERO = new Uint8Array(32)

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return isStateTreeError(error) ? error.code : (error as Error).name
  }
  return undefined
}

describe('state tree shapes', () => {
  it('the empty tree has the zero root; one account is its own leaf, at the root', () => {
    const tree = new StateTree()
    expect(tree.root).toEqual(EMPTY_STATE_ROOT)
    const key = keyWithBits('1')
    const root = tree.update(new Map([[key, testValue(1)]]))
    expect(root).toEqual(modelLeaf(key, testValue(1)))
    expect(tree.nodeCount).toBe(1)
  })

  it('keys splitting at bit 0 sit just under the root', () => {
    const [a, b] = [keyWithBits('0'), keyWithBits('1')]
    const tree = new StateTree()
    const root = tree.update(
      new Map([
        [b, testValue(2)],
        [a, testValue(1)],
      ]),
    )
    expect(root).toEqual(node(modelLeaf(a, testValue(1)), modelLeaf(b, testValue(2))))
  })

  it('keys sharing a prefix hang below internal nodes with an empty side, down to their split', () => {
    const [a, b, c] = [keyWithBits('0100'), keyWithBits('0101'), keyWithBits('1')]
    const tree = new StateTree()
    const root = tree.update(
      new Map([
        [a, testValue(1)],
        [b, testValue(2)],
        [c, testValue(3)],
      ]),
    )
    const split = node(modelLeaf(a, testValue(1)), modelLeaf(b, testValue(2))) // depth 3
    // Depth 1 splits on bit 1 (both keys 1: right), depth 2 on bit 2 (both 0: left).
    const left = node(ZERO, node(split, ZERO))
    expect(root).toEqual(node(left, modelLeaf(c, testValue(3))))
    const proof = tree.prove(root, a)
    expect(proof.siblings).toEqual([modelLeaf(c, testValue(3)), ZERO, ZERO, modelLeaf(b, testValue(2))])
  })

  it('removing a key pulls its lone neighbour back up; removing all gives the zero root', () => {
    const [a, b, c] = [keyWithBits('0100'), keyWithBits('0101'), keyWithBits('1')]
    const tree = new StateTree()
    tree.update(
      new Map([
        [a, testValue(1)],
        [b, testValue(2)],
        [c, testValue(3)],
      ]),
    )
    expect(tree.update(new Map([[b, undefined]]))).toEqual(
      node(modelLeaf(a, testValue(1)), modelLeaf(c, testValue(3))),
    )
    expect(tree.update(new Map([[c, undefined]]))).toEqual(modelLeaf(a, testValue(1)))
    expect(tree.update(new Map([[a, undefined]]))).toEqual(EMPTY_STATE_ROOT)
  })

  it('keys differing only in their last bit make a 256-deep path', () => {
    const a = keyWithBits('')
    const b = keyWithBits(`${'0'.repeat(255)}1`)
    const tree = new StateTree()
    const root = tree.update(
      new Map([
        [a, testValue(1)],
        [b, testValue(2)],
      ]),
    )
    const proof = tree.prove(root, b)
    expect(proof.siblings).toHaveLength(256)
    expect(verifyStateProof(root, b, proof)).toEqual(testValue(2))
    expect(tree.nodeCount).toBe(2 + 256)
  })

  it('an update that changes nothing returns the same root and stores nothing', () => {
    const tree = new StateTree()
    const key = sha(Uint8Array.of(1))
    const root = tree.update(new Map([[key, testValue(1)]]))
    const nodes = tree.nodeCount
    expect(tree.update(new Map([[key, testValue(1)]]))).toEqual(root)
    expect(tree.update(new Map([[sha(Uint8Array.of(2)), undefined]]))).toEqual(root)
    expect(tree.update(new Map())).toEqual(root)
    expect(tree.nodeCount).toBe(nodes)
    expect(tree.roots).toHaveLength(4)
  })
})

describe('state tree proofs', () => {
  const keys = Array.from({ length: 8 }, (_, i) => sha(Uint8Array.of(i)))
  const tree = new StateTree()
  const root = tree.update(new Map(keys.slice(0, 6).map((key, i) => [key, testValue(i + 1)])))

  it('proves a member with its value', () => {
    const proof = tree.prove(root, keys[2] as Uint8Array)
    expect(proof.kind).toBe('member')
    expect(verifyStateProof(root, keys[2] as Uint8Array, proof)).toEqual(testValue(3))
    expect(tree.get(root, keys[2] as Uint8Array)).toEqual(testValue(3))
  })

  it('proves absence by an empty slot or by another leaf in the way', () => {
    const kinds = new Set<string>()
    for (let i = 6; i < 40; i++) {
      const key = sha(Uint8Array.of(i))
      const proof = tree.prove(root, key)
      kinds.add(proof.kind)
      expect(proof.kind).not.toBe('member')
      expect(verifyStateProof(root, key, proof)).toBeUndefined()
      expect(tree.get(root, key)).toBeUndefined()
    }
    expect([...kinds].sort()).toEqual(['empty', 'other-leaf'])
  })

  it('a proof fails for another key, another root, or another value', () => {
    const proof = tree.prove(root, keys[0] as Uint8Array)
    expect(codeOf(() => verifyStateProof(root, keys[1] as Uint8Array, proof))).toBe(
      StateTreeErrorCode.BadProof,
    )
    expect(codeOf(() => verifyStateProof(sha(root), keys[0] as Uint8Array, proof))).toBe(
      StateTreeErrorCode.BadProof,
    )
    if (proof.kind !== 'member') throw new Error('expected a member proof')
    const forged = { ...proof, value: testValue(999) }
    expect(codeOf(() => verifyStateProof(root, keys[0] as Uint8Array, forged))).toBe(
      StateTreeErrorCode.BadProof,
    )
  })

  it('an other-leaf proof must not name the key itself, nor a leaf off the path', () => {
    const member = tree.prove(root, keys[0] as Uint8Array)
    const disguised = {
      kind: 'other-leaf' as const,
      leafKey: keys[0] as Uint8Array,
      leafValueHash: sha(testValue(1)),
      siblings: member.siblings,
    }
    expect(codeOf(() => verifyStateProof(root, keys[0] as Uint8Array, disguised))).toBe(
      StateTreeErrorCode.BadProof,
    )
    const offPath = { ...disguised, leafKey: keys[1] as Uint8Array }
    expect(codeOf(() => verifyStateProof(root, keys[0] as Uint8Array, offPath))).toBe(
      StateTreeErrorCode.BadProof,
    )
  })

  it('refuses malformed proof objects with ERR_BAD_STATE_PROOF, not a crash', () => {
    const key = keys[0] as Uint8Array
    const siblings = Array.from({ length: 257 }, () => ZERO)
    expect(codeOf(() => verifyStateProof(root, key, { kind: 'empty', siblings }))).toBe(
      StateTreeErrorCode.BadProof,
    )
    const short = { kind: 'empty' as const, siblings: [new Uint8Array(31)] }
    expect(codeOf(() => verifyStateProof(root, key, short))).toBe(StateTreeErrorCode.BadProof)
    const odd = { kind: 'odd', siblings: [] } as unknown as Parameters<typeof verifyStateProof>[2]
    expect(codeOf(() => verifyStateProof(root, key, odd))).toBe(StateTreeErrorCode.BadProof)
    expect(codeOf(() => verifyStateProof(new Uint8Array(31), key, { kind: 'empty', siblings: [] }))).toBe(
      StateTreeErrorCode.BadProof,
    )
  })
})

describe('state tree versions', () => {
  const key = (i: number) => sha(Uint8Array.of(i))

  it('old roots answer as they did until pruned, then are unknown', () => {
    const store = new MemoryNodeStore()
    const tree = new StateTree({ store, keep: 2 })
    const roots = [1, 2, 3].map((n) => tree.update(new Map([[key(0), testValue(n)]])))
    expect(tree.get(roots[0] as Uint8Array, key(0))).toEqual(testValue(1))
    expect(tree.prune()).toEqual({ releasedRoots: 1, deletedNodes: 1 })
    expect(codeOf(() => tree.prove(roots[0] as Uint8Array, key(0)))).toBe(StateTreeErrorCode.UnknownRoot)
    expect(tree.get(roots[1] as Uint8Array, key(0))).toEqual(testValue(2))
    expect(tree.roots).toEqual(roots.slice(1))
    expect(storeProblem(store, tree.roots)).toBeUndefined()
    expect(tree.prune()).toEqual({ releasedRoots: 0, deletedNodes: 0 })
  })

  it('releases one root at once (a block found invalid), keeping what others share', () => {
    const store = new MemoryNodeStore()
    const tree = new StateTree({ store })
    const base = tree.update(new Map(Array.from({ length: 20 }, (_, i) => [key(i), testValue(i)])))
    const rejected = tree.update(new Map([[key(3), testValue(300)]]))
    expect(tree.release(rejected)).toBeGreaterThan(0)
    expect(tree.roots).toEqual([base])
    expect(codeOf(() => tree.prove(rejected, key(3)))).toBe(StateTreeErrorCode.UnknownRoot)
    expect(tree.get(base, key(3))).toEqual(testValue(3))
    expect(storeProblem(store, tree.roots)).toBeUndefined()
    expect(tree.release(EMPTY_STATE_ROOT)).toBe(0)
  })

  it('updates a chosen base (a reorg), sharing what did not change', () => {
    const store = new MemoryNodeStore()
    const tree = new StateTree({ store })
    const base = tree.update(new Map(Array.from({ length: 50 }, (_, i) => [key(i), testValue(i)])))
    const mainChain = tree.update(new Map([[key(1), testValue(100)]]))
    const branch = tree.update(new Map([[key(2), testValue(200)]]), { base })
    expect(tree.get(branch, key(1))).toEqual(testValue(1))
    expect(tree.get(branch, key(2))).toEqual(testValue(200))
    expect(tree.get(mainChain, key(2))).toEqual(testValue(2))
    expect(tree.root).toEqual(branch)
    expect(storeProblem(store, tree.roots)).toBeUndefined()
  })

  it('reopens a store with the roots it retains', () => {
    const store = new MemoryNodeStore()
    const first = new StateTree({ store })
    const root = first.update(new Map([[key(1), testValue(1)]]))
    const reopened = new StateTree({ store, roots: first.roots })
    expect(reopened.get(root, key(1))).toEqual(testValue(1))
    expect(reopened.root).toEqual(root)
  })

  it('refuses misuse: an unknown base or root, bad lengths, a key twice, keep < 1', () => {
    const tree = new StateTree()
    tree.update(new Map([[key(1), testValue(1)]]))
    expect(codeOf(() => tree.update(new Map(), { base: key(9) }))).toBe(StateTreeErrorCode.UnknownRoot)
    expect(codeOf(() => tree.get(key(9), key(1)))).toBe(StateTreeErrorCode.UnknownRoot)
    expect(codeOf(() => tree.update(new Map([[new Uint8Array(31), testValue(1)]])))).toBe('TypeError')
    expect(codeOf(() => tree.update(new Map([[key(1), new Uint8Array(15)]])))).toBe('TypeError')
    const twice = new Map([
      [key(2), testValue(1)],
      [key(2).slice(), testValue(2)],
    ])
    expect(codeOf(() => tree.update(twice))).toBe('TypeError')
    expect(codeOf(() => tree.prove(tree.root, new Uint8Array(3)))).toBe('TypeError')
    expect(codeOf(() => new StateTree({ keep: 0 }))).toBe('TypeError')
    // The empty root is always known, even after other roots are made.
    expect(tree.get(EMPTY_STATE_ROOT, key(1))).toBeUndefined()
  })

  it('reads by id from a store that keeps no links between records (as one on disk)', () => {
    const inner = new MemoryNodeStore()
    const linked = new StateTree({ store: inner })
    const root = linked.update(new Map(Array.from({ length: 30 }, (_, i) => [key(i), testValue(i)])))
    let reads = 0
    const unlinked: NodeStore = {
      get: (id) => {
        reads++
        const record = inner.get(id)
        return record?.kind === 'internal' ? { ...record, leftNode: undefined, rightNode: undefined } : record
      },
      write: () => {
        throw new Error('not written in this test')
      },
      size: 0,
    }
    const tree = new StateTree({ store: unlinked, roots: [root] })
    const changes = new Map([
      [key(4), testValue(40)],
      [key(99), testValue(99)],
      [key(7), undefined],
    ])
    expect(tree.prepare(changes).root).toEqual(linked.prepare(changes).root)
    for (const i of [0, 7, 29, 99]) {
      expect(tree.prove(root, key(i))).toEqual(linked.prove(root, key(i)))
      expect(tree.get(root, key(i))).toEqual(linked.get(root, key(i)))
    }
    expect(reads).toBeGreaterThan(30)
  })

  it('a store missing a node is reported as ERR_MISSING_STATE_NODE, and the store is left as it was', () => {
    const inner = new MemoryNodeStore()
    const tree = new StateTree({ store: inner })
    const root = tree.update(new Map(Array.from({ length: 8 }, (_, i) => [key(i), testValue(i)])))
    // As a store on disk would: records without links to their children, read by id.
    const unlinked = (record: NodeRecord | undefined): NodeRecord | undefined =>
      record?.kind === 'internal' ? { ...record, leftNode: undefined, rightNode: undefined } : record
    const holed: NodeStore = {
      get: (id) => (inner.get(id)?.kind === 'leaf' ? undefined : unlinked(inner.get(id))),
      write: (writes) => inner.write(writes),
      get size() {
        return inner.size
      },
    }
    const broken = new StateTree({ store: holed, roots: [root] })
    const size = inner.size
    expect(codeOf(() => broken.prove(root, key(1)))).toBe(StateTreeErrorCode.MissingNode)
    expect(codeOf(() => broken.update(new Map([[key(1), testValue(9)]])))).toBe(
      StateTreeErrorCode.MissingNode,
    )
    expect(inner.size).toBe(size)
    expect(storeProblem(inner, [root])).toBeUndefined()
  })
})
