/**
 * Big-endian integers in and out of a Uint8Array or a Uint8ArrayList, read without joining
 * the list's chunks: the `/paw/blocks/1` codecs (blocks.ts) read answers of up to 10 MiB that
 * arrive in many chunks. Browser-safe.
 */
import type { Uint8ArrayList } from 'uint8arraylist'
import type { ByteInput } from './bytes.ts'

/** Reads bytes of a Uint8Array or a Uint8ArrayList without joining the list's chunks. */
export interface Reader {
  readonly length: number
  byte(index: number): number
  /** A view of [start, end) where the input allows one, else a copy. */
  view(start: number, end: number): Uint8Array
}

export function readerOf(input: ByteInput): Reader {
  if (input instanceof Uint8Array) {
    return {
      length: input.length,
      byte: (index) => input[index] as number,
      view: (start, end) => input.subarray(start, end),
    }
  }
  const list: Uint8ArrayList = input
  return {
    length: list.byteLength,
    byte: (index) => list.get(index),
    view: (start, end) => list.subarray(start, end),
  }
}

export const u16At = (reader: Reader, at: number): number => (reader.byte(at) << 8) | reader.byte(at + 1)
export const u32At = (reader: Reader, at: number): number =>
  reader.byte(at) * 0x100_0000 +
  ((reader.byte(at + 1) << 16) | (reader.byte(at + 2) << 8) | reader.byte(at + 3))

export function writeU16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 8
  out[at + 1] = value & 0xff
}

export function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24
  out[at + 1] = (value >>> 16) & 0xff
  out[at + 2] = (value >>> 8) & 0xff
  out[at + 3] = value & 0xff
}
