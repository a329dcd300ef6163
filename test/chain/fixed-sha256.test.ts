/**
 * The state tree's own SHA-256 (src/chain/fixed-sha256.ts), byte for byte against
 * node:crypto on every input it takes: node inputs of 65 bytes (every value of the last
 * byte, whose block is precomputed), leaf inputs over 16-byte values, 32-byte
 * addresses for keys, and the Merkle tree's 64-byte pairs (written in place too).
 */
import { describe, expect, it } from 'vitest'
import { digest32, internalDigest, leafDigest, pairDigestInto } from '../../src/chain/fixed-sha256.ts'
import { accountKey } from '../../src/chain/state-tree/index.ts'
import { bytesOfId, idOf } from '../../src/chain/state-tree/node.ts'
import { sha } from './state-tree/model.ts'

/** Deterministic bytes: SHA-256 of a counter, cut to `length`. */
const bytes = (seed: number, length: number) =>
  sha(Uint8Array.of(seed & 255, (seed >> 8) & 255, 0x5a)).subarray(0, length)

describe('state tree SHA-256', () => {
  it('hashes 0x01 ‖ left ‖ right as node:crypto does, for every last byte', () => {
    for (let i = 0; i < 600; i++) {
      const left = bytes(2 * i, 32)
      const right = bytes(2 * i + 1, 32).slice()
      right[31] = i & 255
      const got = bytesOfId(internalDigest(idOf(left), idOf(right)))
      expect(got).toEqual(sha(Uint8Array.of(1), left, right))
    }
  })

  it('hashes 0x00 ‖ key ‖ SHA-256(value) as node:crypto does', () => {
    for (let i = 0; i < 300; i++) {
      const key = bytes(i, 32)
      const value = bytes(i + 1000, 16)
      expect(bytesOfId(leafDigest(idOf(key), idOf(value)))).toEqual(sha(Uint8Array.of(0), key, sha(value)))
    }
    const zeros = new Uint8Array(16)
    const ones = new Uint8Array(32).fill(0xff)
    expect(bytesOfId(leafDigest(idOf(ones), idOf(zeros)))).toEqual(sha(Uint8Array.of(0), ones, sha(zeros)))
  })

  it('hashes 32 bytes (an address into its key) as node:crypto does', () => {
    for (let i = 0; i < 300; i++) {
      const address = bytes(i + 5000, 32)
      expect(digest32(address)).toEqual(sha(address))
      expect(accountKey(address)).toEqual(sha(address))
    }
    expect(digest32(new Uint8Array(32))).toEqual(sha(new Uint8Array(32)))
  })

  it('hashes a pair of 32-byte hashes as node:crypto does, into another buffer or over its inputs', () => {
    for (let i = 0; i < 300; i++) {
      const left = bytes(3 * i, 32)
      const right = bytes(3 * i + 1, 32)
      const out = new Uint8Array(40)
      const both = new Uint8Array(70)
      both.set(left, 3)
      both.set(right, 35)
      pairDigestInto(both, 3, 35, out, 5)
      expect(out.subarray(5, 37)).toEqual(sha(left, right))
      pairDigestInto(both, 3, 35, both, 3)
      expect(both.subarray(3, 35)).toEqual(sha(left, right))
    }
  })
})
