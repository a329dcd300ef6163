/**
 * Reads the protocols/*.vectors.json files (format: protocols/README.md#test-vectors).
 * A byte field is a hex string, or a list of segments, each a hex string or
 * `{ "hex": "ab", "repeat": N }`.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isPawError } from '../../src/errors.ts'
import { fromHex } from '../../src/wire/bytes.ts'

export type ByteSpec = string | Array<string | { hex: string; repeat: number }>

export function loadVectors<T>(name: string): T {
  const path = fileURLToPath(new URL(`../../protocols/${name}.vectors.json`, import.meta.url))
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

export function bytesOf(spec: ByteSpec): Uint8Array {
  if (typeof spec === 'string') return fromHex(spec)
  const segments = spec.map((segment) => {
    if (typeof segment === 'string') return fromHex(segment)
    const unit = fromHex(segment.hex)
    const out = new Uint8Array(unit.length * segment.repeat)
    for (let i = 0; i < segment.repeat; i++) out.set(unit, i * unit.length)
    return out
  })
  const out = new Uint8Array(segments.reduce((n, s) => n + s.length, 0))
  let offset = 0
  for (const segment of segments) {
    out.set(segment, offset)
    offset += segment.length
  }
  return out
}

/** "0x05" → 5 */
export function errorCode(text: string): number {
  if (!/^0x[0-9a-f]{2}$/.test(text)) throw new Error(`bad error code in vectors: ${text}`)
  return Number.parseInt(text, 16)
}

/** Splits `bytes` into chunks at the given cut points (sorted, deduplicated, in range). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point))
    start = point
  }
  return chunks
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** The wire code a call fails with (-1 for an error that is not a PawError), or undefined. */
export function wireCodeOf(run: () => unknown): number | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    return isPawError(error) ? error.wireCode : -1
  }
}
