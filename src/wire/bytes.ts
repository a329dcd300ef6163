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

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`not a hex string: ${hex.slice(0, 40)}`)
  }
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
