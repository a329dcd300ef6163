/**
 * The proof encoding (docs/chain.md "State tree", "Proof encoding"): one encoding per
 * proof, the hard size bound, and every malformed input refused with
 * ERR_MALFORMED_STATE_PROOF (proofs come from peers).
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import {
  decodeStateProof,
  encodeStateProof,
  isStateTreeError,
  MAX_STATE_PROOF_BYTES,
  StateTree,
  StateTreeErrorCode,
  verifyStateProof,
} from '../../../src/chain/state-tree/index.ts'
import { hex, sha, testValue, unhex } from './model.ts'

const ZERO = new Uint8Array(32)

function malformed(bytes: Uint8Array | Uint8ArrayList): boolean {
  try {
    decodeStateProof(bytes)
  } catch (error) {
    if (isStateTreeError(error) && error.code === StateTreeErrorCode.MalformedProof) return true
    throw error
  }
  return false
}

/** A key with bit `depth` flipped. */
function flip(key: Uint8Array, depth: number): Uint8Array {
  const out = key.slice()
  out[depth >> 3] ^= 0x80 >> (depth & 7)
  return out
}

describe('state proof encoding', () => {
  const keys = Array.from({ length: 40 }, (_, i) => sha(Uint8Array.of(i)))
  const tree = new StateTree()
  const root = tree.update(new Map(keys.slice(0, 20).map((key, i) => [key, testValue(i + 1)])))

  it('round-trips every kind of proof, byte for byte', () => {
    const kinds = new Set<string>()
    for (const key of keys) {
      const proof = tree.prove(root, key)
      kinds.add(proof.kind)
      const bytes = encodeStateProof(proof)
      const decoded = decodeStateProof(bytes)
      expect(decoded).toEqual(proof)
      expect(encodeStateProof(decoded)).toEqual(bytes)
      expect(verifyStateProof(root, key, decoded)).toEqual(tree.get(root, key))
    }
    expect(kinds).toEqual(new Set(['member', 'empty', 'other-leaf']))
  })

  it('lays out kind ‖ leaf data ‖ bitmap length ‖ bitmap ‖ present siblings', () => {
    const sibling = sha(Uint8Array.of(9))
    // Siblings 0 and 2 empty, 1 and 3 present: bitmap 0101_0000.
    const bytes = encodeStateProof({ kind: 'empty', siblings: [ZERO, sibling, ZERO, sibling] })
    expect(hex(bytes)).toBe(`000150${hex(sibling)}${hex(sibling)}`)
    const member = encodeStateProof({ kind: 'member', value: testValue(5), siblings: [] })
    expect(hex(member)).toBe(`01${hex(testValue(5))}00`)
  })

  it('a 256-deep proof with every sibling present fits the bound', () => {
    // The key and its 256 one-bit neighbours: every sibling on the key's path is a leaf.
    const base = sha(Uint8Array.of(0xee))
    const deep = new StateTree()
    const changes = new Map([[base, testValue(1)]])
    for (let d = 0; d < 256; d++) changes.set(flip(base, d), testValue(d + 2))
    const deepRoot = deep.update(changes)
    const proof = deep.prove(deepRoot, base)
    expect(proof.siblings.every((s) => s.some((b) => b !== 0))).toBe(true)
    const bytes = encodeStateProof(proof)
    expect(bytes).toHaveLength(1 + 16 + 1 + 32 + 256 * 32)
    expect(bytes.length).toBeLessThanOrEqual(MAX_STATE_PROOF_BYTES)
    expect(verifyStateProof(deepRoot, base, decodeStateProof(bytes))).toEqual(testValue(1))
    expect(MAX_STATE_PROOF_BYTES).toBe(8290)
  })

  it('refuses every malformed input with ERR_MALFORMED_STATE_PROOF', () => {
    const good = encodeStateProof(tree.prove(root, keys[0] as Uint8Array))
    const cases: Array<[string, Uint8Array]> = [
      ['no bytes', new Uint8Array(0)],
      ['unknown kind', unhex('0300')],
      ['kind 0xff', unhex('ff00')],
      ['no bitmap length', unhex('00')],
      ['member cut inside its value', unhex('01000000')],
      ['other-leaf cut inside its leaf', new Uint8Array(1 + 63).fill(0x02, 0, 1)],
      ['bitmap over 32 bytes', unhex(`0021${'ff'.repeat(33)}`)],
      ['cut inside the bitmap', unhex('0002ff')],
      ['bitmap ending in a zero byte', unhex(`00028000${'11'.repeat(32)}`)],
      ['a zero-length bitmap that is not alone', unhex('000011')],
      ['a sibling missing', unhex(`0001c0${'11'.repeat(32)}`)],
      ['a sibling cut short', good.subarray(0, good.length - 1)],
      ['a trailing byte', Uint8Array.of(...good, 0)],
      ['over the bound', new Uint8Array(MAX_STATE_PROOF_BYTES + 1)],
    ]
    for (const [name, bytes] of cases) expect(malformed(bytes), name).toBe(true)
    expect(malformed(good)).toBe(false)
  })

  it('reads a proof spread over several chunks (a frame payload)', () => {
    const good = encodeStateProof(tree.prove(root, keys[3] as Uint8Array))
    const list = new Uint8ArrayList(good.subarray(0, 5), good.subarray(5))
    expect(decodeStateProof(list)).toEqual(decodeStateProof(good))
    expect(malformed(new Uint8ArrayList(new Uint8Array(MAX_STATE_PROOF_BYTES), Uint8Array.of(0)))).toBe(true)
  })

  it('changing any byte of an encoded proof makes it refused or fail verification', () => {
    for (const key of keys.slice(0, 30)) {
      const good = encodeStateProof(tree.prove(root, key))
      for (let i = 0; i < good.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = good.slice()
          bad[i] ^= mask
          let outcome = 'accepted'
          try {
            verifyStateProof(root, key, decodeStateProof(bad))
          } catch (error) {
            outcome = isStateTreeError(error) ? error.code : String(error)
          }
          expect([StateTreeErrorCode.MalformedProof, StateTreeErrorCode.BadProof], `byte ${i}`).toContain(
            outcome,
          )
        }
      }
    }
  })

  it('encodes only canonical proofs', () => {
    expect(() => encodeStateProof({ kind: 'empty', siblings: [sha(Uint8Array.of(1)), ZERO] })).toThrow(
      TypeError,
    )
    expect(() =>
      encodeStateProof({ kind: 'empty', siblings: Array.from({ length: 257 }, () => sha(ZERO)) }),
    ).toThrow(TypeError)
    expect(() => encodeStateProof({ kind: 'member', value: new Uint8Array(15), siblings: [] })).toThrow(
      TypeError,
    )
    expect(() => encodeStateProof({ kind: 'empty', siblings: [new Uint8Array(31)] })).toThrow(TypeError)
  })
})
