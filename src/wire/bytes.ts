/**
 * Byte helpers shared by the codecs. Browser-safe: Node's Buffer is used only when the
 * global exists, to skip the zero-fill of buffers the caller overwrites completely and to
 * encode hex natively.
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
  allocUnsafeSlow(size: number): Uint8Array
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'hex'): string }
}

const nodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

/**
 * Sizes from which a buffer gets memory of its own, not a slice of Node's shared pool
 * (64 KiB slabs in Node 24, used below half that): a long-lived buffer of this size (a
 * stream's 16 KiB read slab, byte-queue.ts) would otherwise keep a whole slab alive with it,
 * and whatever small values libp2p cut from the same slab. Measured on bench/handshake:
 * 84 -> 49 KiB of heap and external memory per idle peer.
 */
const OWN_MEMORY_BYTES = 4096

/** A buffer of `size` bytes whose contents the caller must overwrite entirely. */
export function allocUnsafe(size: number): Uint8Array {
  if (nodeBuffer === undefined) return new Uint8Array(size)
  return size >= OWN_MEMORY_BYTES ? nodeBuffer.allocUnsafeSlow(size) : nodeBuffer.allocUnsafe(size)
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
  // Node's hex encoding is native and makes a flat string (no rope for Map keys to flatten).
  if (nodeBuffer !== undefined) {
    return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
  }
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
