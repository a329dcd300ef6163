/**
 * The state tree's definition written the plainest way, to test the real one against: the
 * root of a set of (key, value) pairs straight from docs/chain.md "State tree" (no
 * subtree: 32 zero bytes; one leaf: its leaf hash; otherwise split on the next key bit and
 * hash the two halves), with node:crypto's SHA-256. No nodes, no store, no versions.
 */
import { createHash } from 'node:crypto'

export const sha = (...parts: Uint8Array[]): Uint8Array => {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

const bit = (key: Uint8Array, depth: number) => ((key[depth >> 3] as number) >> (7 - (depth & 7))) & 1

export function modelLeaf(key: Uint8Array, value: Uint8Array): Uint8Array {
  return sha(Uint8Array.of(0), key, sha(value))
}

function rootAt(entries: Array<[Uint8Array, Uint8Array]>, depth: number): Uint8Array {
  if (entries.length === 0) return new Uint8Array(32)
  if (entries.length === 1) {
    const [key, value] = entries[0] as [Uint8Array, Uint8Array]
    return modelLeaf(key, value)
  }
  const left = entries.filter(([key]) => bit(key, depth) === 0)
  const right = entries.filter(([key]) => bit(key, depth) === 1)
  return sha(Uint8Array.of(1), rootAt(left, depth + 1), rootAt(right, depth + 1))
}

/** The root of a map from hex key to value. */
export function modelRoot(map: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return rootAt(
    [...map].map(([key, value]) => [unhex(key), value]),
    0,
  )
}

/** The changes `update` takes, from a hex-keyed map (undefined: remove). */
export function changesOf(
  map: ReadonlyMap<string, Uint8Array | undefined>,
): Map<Uint8Array, Uint8Array | undefined> {
  return new Map([...map].map(([key, value]) => [unhex(key), value]))
}

/** A 16-byte value from a number (balance n, nonce n mod 7), like an account encoding. */
export function testValue(n: number): Uint8Array {
  const bytes = new Uint8Array(16)
  const view = new DataView(bytes.buffer)
  view.setBigUint64(0, BigInt(n))
  view.setBigUint64(8, BigInt(n % 7))
  return bytes
}
