/**
 * Byte helpers shared by the codecs. Browser-safe: Node's Buffer is used only when the
 * global exists, to skip the zero-fill of buffers the caller overwrites completely.
 */

import type { Uint8ArrayList } from 'uint8arraylist'

/** Bytes as a decoder receives them: one array, or a frame payload's list of views. */
export type ByteInput = Uint8Array | Uint8ArrayList

/** Contiguous bytes: the array itself, or the list's one view, or (only then) a copy. */
export function contiguous(bytes: ByteInput): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : bytes.subarray()
}

interface BufferLike {
  allocUnsafe(size: number): Uint8Array
}

const nodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

/** A buffer of `size` bytes whose contents the caller must overwrite entirely. */
export function allocUnsafe(size: number): Uint8Array {
  return nodeBuffer === undefined ? new Uint8Array(size) : nodeBuffer.allocUnsafe(size)
}

const utf8Encoder = new TextEncoder()
/** `fatal` so invalid UTF-8 from a peer is an error, not silently replaced. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function utf8Encode(text: string): Uint8Array {
  return utf8Encoder.encode(text)
}

/** Decodes UTF-8, or returns undefined if the bytes are not valid UTF-8. */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes)
  } catch {
    return undefined
  }
}

const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += BYTE_HEX[byte] as string
  return hex
}

/** A hex digit's value by its char code; -1 for a character that is not one. */
const HEX_VALUES = (() => {
  const values = new Int8Array(128).fill(-1)
  for (let i = 0; i < 16; i++) {
    values[i.toString(16).charCodeAt(0)] = i
    values[i.toString(16).toUpperCase().charCodeAt(0)] = i
  }
  return values
})()

/** @throws TypeError for an odd length or a character that is not a hex digit */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >>> 1)
  let valid = hex.length % 2 === 0
  for (let i = 0; valid && i < bytes.length; i++) {
    const high = HEX_VALUES[hex.charCodeAt(2 * i)] ?? -1
    const low = HEX_VALUES[hex.charCodeAt(2 * i + 1)] ?? -1
    valid = high >= 0 && low >= 0
    bytes[i] = (high << 4) | low
  }
  if (!valid) throw new TypeError(`not a hex string: ${hex.slice(0, 40)}`)
  return bytes
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
