/**
 * The state tree against a plain Map and the plain definition of its root (model.ts):
 *
 * - any sequence of updates gives the root of the map it leaves, and the same root as
 *   building that map from scratch in any order, at once or key by key;
 * - every key's proof (through its encoding) verifies against its root, giving the map's
 *   answer, and against no other root;
 * - a proof with a changed byte, or a changed value, never verifies;
 * - old roots stay provable until pruned, and pruning leaves exactly what retained roots reach.
 *
 * Keys come from a small pool, half of them one bit away from a common key, so updates
 * collide, remove, split deep paths and collapse them again.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeStateProof,
  encodeStateProof,
  isStateTreeError,
  MemoryNodeStore,
  StateTree,
  StateTreeErrorCode,
  verifyStateProof,
} from '../../../src/chain/state-tree/index.ts'
import { changesOf, hex, modelRoot, sha, testValue, unhex } from './model.ts'
import { storeProblem } from './store-check.ts'

const RUNS = { numRuns: 150 }

const BASE = sha(Uint8Array.of(0xba))
const flip = (depth: number) => {
  const key = BASE.slice()
  key[depth >> 3] ^= 0x80 >> (depth & 7)
  return key
}
/** Random keys, the common key and its neighbours at shallow, middle and the deepest bits. */
const POOL: string[] = [
  ...Array.from({ length: 12 }, (_, i) => hex(sha(Uint8Array.of(i)))),
  hex(BASE),
  ...[0, 1, 2, 7, 8, 100, 200, 253, 254, 255].map((d) => hex(flip(d))),
]

/** One update: pool index → a value (0–5, so values repeat) or undefined (remove). */
const batchArb = fc
  .array(fc.tuple(fc.nat({ max: POOL.length - 1 }), fc.option(fc.nat({ max: 5 }), { nil: undefined })), {
    maxLength: 10,
  })
  .map(
    (pairs) =>
      new Map(pairs.map(([i, v]) => [POOL[i] as string, v === undefined ? undefined : testValue(v)])),
  )

type Model = Map<string, Uint8Array>

function apply(model: Model, batch: ReadonlyMap<string, Uint8Array | undefined>): Model {
  const next = new Map(model)
  for (const [key, value] of batch) {
    if (value === undefined) next.delete(key)
    else next.set(key, value)
  }
  return next
}

function outcome(run: () => unknown): string {
  try {
    run()
    return 'accepted'
  } catch (error) {
    return isStateTreeError(error) ? error.code : String(error)
  }
}

describe('state tree against a Map', () => {
  it('every update gives the root of the map, and the tree answers as the map does', () => {
    fc.assert(
      fc.property(fc.array(batchArb, { maxLength: 12 }), (batches) => {
        const tree = new StateTree()
        let model: Model = new Map()
        for (const batch of batches) {
          model = apply(model, batch)
          const root = tree.update(changesOf(batch))
          expect(hex(root)).toBe(hex(modelRoot(model)))
          for (const key of POOL) expect(tree.get(root, unhex(key))).toEqual(model.get(key))
        }
      }),
      RUNS,
    )
  })

  it('the root depends on the contents only, not on the order or grouping of updates', () => {
    const contentsArb = fc.uniqueArray(fc.tuple(fc.nat({ max: POOL.length - 1 }), fc.nat({ max: 5 })), {
      selector: ([i]) => i,
      maxLength: POOL.length,
    })
    const caseArb = contentsArb.chain((entries) =>
      fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries, { minLength: entries.length })),
    )
    fc.assert(
      fc.property(caseArb, batchArb, ([entries, shuffled], noise) => {
        const model: Model = new Map(entries.map(([i, v]) => [POOL[i] as string, testValue(v)]))
        const atOnce = new StateTree().update(changesOf(model))
        const oneByOne = new StateTree()
        // Noise first, then undone: history must leave no trace in the root.
        oneByOne.update(changesOf(noise))
        oneByOne.update(changesOf(new Map([...noise.keys()].map((key) => [key, undefined]))))
        for (const [i, v] of shuffled)
          oneByOne.update(changesOf(new Map([[POOL[i] as string, testValue(v)]])))
        expect(hex(oneByOne.root)).toBe(hex(atOnce))
        expect(hex(atOnce)).toBe(hex(modelRoot(model)))
      }),
      RUNS,
    )
  })

  it("every key's proof verifies against its root, with the map's answer, and against no other root", () => {
    fc.assert(
      fc.property(batchArb, batchArb, (first, second) => {
        const tree = new StateTree()
        const rootA = tree.update(changesOf(first))
        const rootB = tree.update(changesOf(second))
        const modelA = apply(new Map(), first)
        for (const key of POOL) {
          const proof = decodeStateProof(encodeStateProof(tree.prove(rootA, unhex(key))))
          expect(verifyStateProof(rootA, unhex(key), proof)).toEqual(modelA.get(key))
          if (hex(rootA) !== hex(rootB)) {
            expect(outcome(() => verifyStateProof(rootB, unhex(key), proof))).toBe(
              StateTreeErrorCode.BadProof,
            )
          }
        }
      }),
      RUNS,
    )
  })

  it('a proof with any byte changed, or a member proof with another value, never verifies', () => {
    fc.assert(
      fc.property(
        batchArb,
        fc.nat({ max: POOL.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (batch, k, at, mask) => {
          const tree = new StateTree()
          const root = tree.update(changesOf(batch))
          const key = unhex(POOL[k] as string)
          const proof = tree.prove(root, key)
          const bytes = encodeStateProof(proof)
          bytes[at % bytes.length] ^= mask
          expect([StateTreeErrorCode.MalformedProof, StateTreeErrorCode.BadProof]).toContain(
            outcome(() => verifyStateProof(root, key, decodeStateProof(bytes))),
          )
          if (proof.kind === 'member') {
            const value = proof.value.slice()
            value[at % value.length] ^= mask
            expect(outcome(() => verifyStateProof(root, key, { ...proof, value }))).toBe(
              StateTreeErrorCode.BadProof,
            )
          }
        },
      ),
      RUNS,
    )
  })

  it('old roots stay provable until pruned; pruning keeps exactly what retained roots reach', () => {
    const caseArb = fc.tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.tuple(batchArb, fc.boolean(), fc.nat()), { maxLength: 12 }),
    )
    fc.assert(
      fc.property(caseArb, ([keep, steps]) => {
        const store = new MemoryNodeStore()
        const tree = new StateTree({ store, keep })
        const versions: Array<{ root: Uint8Array; model: Model }> = [{ root: tree.root, model: new Map() }]
        for (const [batch, prune, pick] of steps) {
          // Mostly the newest version, sometimes a retained older one (a reorg).
          const retained = versions.filter((v) => tree.roots.some((r) => hex(r) === hex(v.root)))
          const base =
            pick % 4 === 0 && retained.length > 0 ? retained[pick % retained.length] : versions.at(-1)
          const from = base as { root: Uint8Array; model: Model }
          const root = tree.update(changesOf(batch), { base: from.root })
          versions.push({ root, model: apply(from.model, batch) })
          if (prune) tree.prune()
          expect(storeProblem(store, tree.roots)).toBeUndefined()
          for (const { root: r, model } of versions) {
            const held = tree.roots.some((x) => hex(x) === hex(r))
            for (const key of POOL.slice(10, 16)) {
              if (!held) {
                if (r.some((b) => b !== 0)) {
                  expect(outcome(() => tree.prove(r, unhex(key)))).toBe(StateTreeErrorCode.UnknownRoot)
                }
                continue
              }
              expect(verifyStateProof(r, unhex(key), tree.prove(r, unhex(key)))).toEqual(model.get(key))
            }
          }
        }
        tree.prune()
        expect(tree.roots.length).toBeLessThanOrEqual(keep)
        expect(storeProblem(store, tree.roots)).toBeUndefined()
      }),
      RUNS,
    )
  })
})
