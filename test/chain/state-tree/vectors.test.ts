/**
 * protocols/state-tree.vectors.json, read unchanged: account keys and values, the roots of
 * small trees (also rebuilt by the plain definition in model.ts), proofs and their bytes,
 * and proofs that must be refused, as malformed or as not proving what they claim.
 */
import { describe, expect, it } from 'vitest'
import {
  accountKey,
  decodeStateProof,
  encodeAccountValue,
  encodeStateProof,
  isStateTreeError,
  MAX_STATE_PROOF_BYTES,
  StateTree,
  verifyAccountProof,
} from '../../../src/chain/state-tree/index.ts'
import { type ByteSpec, bytesOf, loadVectors } from '../../support/vectors.ts'
import { hex, modelRoot, unhex } from './model.ts'

interface Vectors {
  limits: { maxProofBytes: number; maxSiblings: number }
  accounts: Array<{
    name: string
    address: string
    key: string
    balance: string
    nonce: string
    value: string
  }>
  trees: Array<{ name: string; accounts: number[]; root: string }>
  proofs: Array<{
    name: string
    tree: string
    address: string
    kind: string
    result: { balance: string; nonce: string } | null
    encoding: string
  }>
  bad: Array<{ name: string; tree: string; address: string; input: string; error: string }>
  malformed: Array<{ name: string; input: ByteSpec; error: string }>
}

const vectors = loadVectors<Vectors>('state-tree')

function account(index: number) {
  const a = vectors.accounts[index] as Vectors['accounts'][number]
  return { address: unhex(a.address), state: { balance: BigInt(a.balance), nonce: BigInt(a.nonce) } }
}

function treeNamed(name: string): { tree: StateTree; root: Uint8Array } {
  const spec = vectors.trees.find((t) => t.name === name)
  if (spec === undefined) throw new Error(`no tree ${name} in the vectors`)
  const tree = new StateTree()
  const changes = new Map(
    spec.accounts.map((i) => [accountKey(account(i).address), encodeAccountValue(account(i).state)] as const),
  )
  return { tree, root: tree.update(changes) }
}

function codeOf(run: () => unknown): string {
  try {
    run()
    return 'accepted'
  } catch (error) {
    return isStateTreeError(error) ? error.code : String(error)
  }
}

describe('state tree vectors', () => {
  it('limits', () => {
    expect(vectors.limits.maxProofBytes).toBe(MAX_STATE_PROOF_BYTES)
    expect(vectors.limits.maxSiblings).toBe(256)
  })

  for (const [i, a] of vectors.accounts.entries()) {
    it(`${a.name}: key and value`, () => {
      const { address, state } = account(i)
      expect(hex(accountKey(address))).toBe(a.key)
      expect(hex(encodeAccountValue(state))).toBe(a.value)
    })
  }

  for (const spec of vectors.trees) {
    it(`root of ${spec.name}`, () => {
      expect(hex(treeNamed(spec.name).root)).toBe(spec.root)
      const model = new Map(
        spec.accounts.map((i) => [
          (vectors.accounts[i] as { key: string }).key,
          unhex((vectors.accounts[i] as { value: string }).value),
        ]),
      )
      expect(hex(modelRoot(model))).toBe(spec.root)
    })
  }

  for (const p of vectors.proofs) {
    it(`proof: ${p.name}`, () => {
      const { tree, root } = treeNamed(p.tree)
      const address = unhex(p.address)
      const proof = tree.prove(root, accountKey(address))
      expect(proof.kind).toBe(p.kind)
      expect(hex(encodeStateProof(proof))).toBe(p.encoding)
      const result = verifyAccountProof(root, address, decodeStateProof(unhex(p.encoding)))
      const expected =
        p.result === null ? undefined : { balance: BigInt(p.result.balance), nonce: BigInt(p.result.nonce) }
      expect(result).toEqual(expected)
    })
  }

  for (const b of vectors.bad) {
    it(`refused as not proving: ${b.name}`, () => {
      const { root } = treeNamed(b.tree)
      expect(codeOf(() => verifyAccountProof(root, unhex(b.address), decodeStateProof(unhex(b.input))))).toBe(
        b.error,
      )
    })
  }

  for (const m of vectors.malformed) {
    it(`refused as malformed: ${m.name}`, () => {
      expect(codeOf(() => decodeStateProof(bytesOf(m.input)))).toBe(m.error)
    })
  }
})
