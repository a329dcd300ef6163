/**
 * PAW frame encoding (004 §1.1 as settled by DECISIONS.md "Framing"):
 *
 *   [u32 BE L][u16 BE T][type: T bytes][payload],  L = 2 + T + payload length
 *
 * protocols/framing.md is the byte-level contract.
 */
import type { Uint8ArrayList } from 'uint8arraylist'
import { InvalidMessageFormatError, MessageTooLargeError } from '../errors.ts'
import { allocUnsafe } from './bytes.ts'
import { FRAME_LENGTH_BYTES, MAX_FRAME_LENGTH, MAX_TYPE_LENGTH, TYPE_LENGTH_BYTES } from './constants.ts'

/**
 * One decoded frame. `payload` holds views of the chunks the decoder was given (no copy);
 * `payload.subarray()` gives contiguous bytes.
 */
export interface Frame {
  type: string
  payload: Uint8ArrayList
}

export interface EncodeFrameOptions {
  /**
   * Largest L accepted.
   * @default MAX_FRAME_LENGTH (10 MiB)
   */
  maxFrameLength?: number
}

/** DECISIONS.md "Framing": type bytes are `[a-z0-9_./-]`. */
export function isTypeByte(byte: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x5f || // _
    byte === 0x2e || // .
    byte === 0x2f || // /
    byte === 0x2d // -
  )
}

/** Checks a frame type before it goes on the wire; returns its bytes (ASCII). */
function typeBytes(type: string): Uint8Array {
  if (type.length === 0 || type.length > MAX_TYPE_LENGTH) {
    throw new InvalidMessageFormatError(`frame type must be 1..${MAX_TYPE_LENGTH} bytes, got ${type.length}`)
  }
  const bytes = new Uint8Array(type.length)
  for (let i = 0; i < type.length; i++) {
    const code = type.charCodeAt(i)
    if (!isTypeByte(code)) {
      throw new InvalidMessageFormatError(
        `frame type ${JSON.stringify(type)} has a character outside [a-z0-9_./-]`,
      )
    }
    bytes[i] = code
  }
  return bytes
}

/**
 * The 6 + T header bytes of a frame carrying `payloadLength` bytes. Lets a sender put a
 * large payload on the wire without copying it into a new buffer.
 */
export function encodeFrameHeader(
  type: string,
  payloadLength: number,
  options: EncodeFrameOptions = {},
): Uint8Array {
  const maxFrameLength = options.maxFrameLength ?? MAX_FRAME_LENGTH
  const typeBuf = typeBytes(type)
  const length = TYPE_LENGTH_BYTES + typeBuf.length + payloadLength
  if (length > maxFrameLength) throw new MessageTooLargeError(length, maxFrameLength)
  const header = allocUnsafe(FRAME_LENGTH_BYTES + TYPE_LENGTH_BYTES + typeBuf.length)
  writeHeader(header, length, typeBuf)
  return header
}

/** One contiguous frame: header, type and a copy of `payload`. */
export function encodeFrame(type: string, payload: Uint8Array, options: EncodeFrameOptions = {}): Uint8Array {
  const maxFrameLength = options.maxFrameLength ?? MAX_FRAME_LENGTH
  const typeBuf = typeBytes(type)
  const length = TYPE_LENGTH_BYTES + typeBuf.length + payload.length
  if (length > maxFrameLength) throw new MessageTooLargeError(length, maxFrameLength)
  const frame = allocUnsafe(FRAME_LENGTH_BYTES + length)
  const payloadOffset = writeHeader(frame, length, typeBuf)
  frame.set(payload, payloadOffset)
  return frame
}

function writeHeader(target: Uint8Array, length: number, typeBuf: Uint8Array): number {
  target[0] = length >>> 24
  target[1] = (length >>> 16) & 0xff
  target[2] = (length >>> 8) & 0xff
  target[3] = length & 0xff
  target[4] = typeBuf.length >>> 8
  target[5] = typeBuf.length & 0xff
  target.set(typeBuf, FRAME_LENGTH_BYTES + TYPE_LENGTH_BYTES)
  return FRAME_LENGTH_BYTES + TYPE_LENGTH_BYTES + typeBuf.length
}
