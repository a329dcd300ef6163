/**
 * The state tree's hashes (docs/chain.md "State tree"), checked against node:crypto's
 * SHA-256, and the account encoding and key.
 */
import { describe, expect, it } from 'vitest'
import { commonPrefixBits, keyBit } from '../../../src/chain/state-tree/hashing.ts'
import {
  ACCOUNT_VALUE_LENGTH,
  accountChanges,
  accountKey,
  accountValue,
  decodeAccountValue,
  EMPTY_STATE_ROOT,
  encodeAccountValue,
  internalHash,
  isStateTreeError,
  leafHash,
  StateTreeErrorCode,
  valueHash,
} from '../../../src/chain/state-tree/index.ts'
import { bytesOfId, idBit, idOf, internalId, leafId } from '../../../src/chain/state-tree/node.ts'
import { hex, sha } from './model.ts'

const a = sha(Uint8Array.of(1))
const b = sha(Uint8Array.of(2))
const value = Uint8Array.from({ length: 16 }, (_, i) => i)

describe('state tree hashes', () => {
  it('a leaf is SHA-256(0x00 ‖ key ‖ SHA-256(value)), an internal node SHA-256(0x01 ‖ left ‖ right)', () => {
    expect(valueHash(value)).toEqual(sha(value))
    expect(leafHash(a, sha(value))).toEqual(sha(Uint8Array.of(0), a, sha(value)))
    expect(internalHash(a, b)).toEqual(sha(Uint8Array.of(1), a, b))
    expect(EMPTY_STATE_ROOT).toEqual(new Uint8Array(32))
  })

  it('the prover hashes ids exactly as the verifier hashes bytes, call after call', () => {
    for (let i = 0; i < 50; i++) {
      const left = sha(Uint8Array.of(i))
      const right = sha(Uint8Array.of(i, i))
      const v = sha(Uint8Array.of(i, 7)).subarray(0, 16)
      expect(bytesOfId(internalId(idOf(left), idOf(right)))).toEqual(internalHash(left, right))
      expect(bytesOfId(leafId(idOf(left), idOf(v)))).toEqual(leafHash(left, sha(v)))
    }
  })

  it('ids round-trip every byte value', () => {
    const all = Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 8)
    expect(bytesOfId(idOf(all))).toEqual(all)
    expect(idOf(all)).toHaveLength(32)
  })

  it('bits run from the most significant bit of byte 0', () => {
    const key = new Uint8Array(32)
    key[0] = 0b1010_0000
    key[31] = 0b0000_0001
    expect([0, 1, 2, 3].map((d) => keyBit(key, d))).toEqual([1, 0, 1, 0])
    expect(keyBit(key, 255)).toBe(1)
    expect(keyBit(key, 254)).toBe(0)
    for (let d = 0; d < 256; d++) expect(idBit(idOf(key), d)).toBe(keyBit(key, d))
  })

  it('counts shared leading bits', () => {
    const x = new Uint8Array(32)
    const y = new Uint8Array(32)
    expect(commonPrefixBits(x, y)).toBe(256)
    y[31] = 1
    expect(commonPrefixBits(x, y)).toBe(255)
    y[0] = 0x80
    expect(commonPrefixBits(x, y)).toBe(0)
    y[0] = 0x01
    expect(commonPrefixBits(x, y)).toBe(7)
  })
})

describe('accounts in the state tree', () => {
  it('encodes balance u64 BE ‖ nonce u64 BE', () => {
    const bytes = encodeAccountValue({ balance: 0x0102030405060708n, nonce: 0xffffffffffffffffn })
    expect(hex(bytes)).toBe('0102030405060708ffffffffffffffff')
    expect(decodeAccountValue(bytes)).toEqual({ balance: 0x0102030405060708n, nonce: 0xffffffffffffffffn })
    expect(bytes).toHaveLength(ACCOUNT_VALUE_LENGTH)
  })

  it('refuses values with no encoding, and bytes that are not one', () => {
    expect(() => encodeAccountValue({ balance: -1n, nonce: 0n })).toThrow(TypeError)
    expect(() => encodeAccountValue({ balance: 0n, nonce: 1n << 64n })).toThrow(TypeError)
    for (const length of [0, 15, 17]) {
      try {
        decodeAccountValue(new Uint8Array(length))
        expect.unreachable()
      } catch (error) {
        expect(isStateTreeError(error) && error.code).toBe(StateTreeErrorCode.MalformedAccount)
      }
    }
  })

  it('keys an account by SHA-256 of its address', () => {
    const address = new Uint8Array(32).fill(7)
    expect(accountKey(address)).toEqual(sha(address))
    expect(() => accountKey(new Uint8Array(31))).toThrow(TypeError)
  })

  it('stores no leaf for an account holding nothing', () => {
    expect(accountValue(undefined)).toBeUndefined()
    expect(accountValue({ balance: 0n, nonce: 0n })).toBeUndefined()
    expect(accountValue({ balance: 0n, nonce: 1n })).toEqual(encodeAccountValue({ balance: 0n, nonce: 1n }))
    const address = new Uint8Array(32).fill(9)
    const changes = accountChanges([[address, { balance: 5n, nonce: 0n }]])
    expect([...changes]).toEqual([[sha(address), encodeAccountValue({ balance: 5n, nonce: 0n })]])
  })
})
