/**
 * Incremental PAW frame decoder (DECISIONS.md "Framing"; protocols/framing.md).
 *
 * Give it chunks split anywhere; it returns the frames they complete. What it does with
 * bad input follows from what the header lets it know:
 * - L > max: the stream can no longer be trusted. Decided from the 4 length bytes alone,
 *   before any of the body is buffered: MessageTooLargeError (0x04) is returned as the
 *   last item, after the frames that preceded it, and the decoder stays failed
 *   (004 §4.2: drop, disconnect). Feeding a failed decoder throws that error.
 * - L is valid but the rest of the header is not (L < 3, T = 0, T > 32, T > L − 2, a byte
 *   outside [a-z0-9_./-]): the frame's end is known, so exactly that frame is skipped
 *   (without buffering its body) and an InvalidMessageFormatError (0x05) is returned in
 *   its place; decoding goes on with the next frame.
 * - With per-type limits (`limits`, or an `admit` hook; protocols/framing.md "Frame
 *   limits"), the whole header (at most 38 bytes) is judged before the body is buffered:
 *   a type over its limit fails the stream with 0x04 as above; a type not accepted is
 *   skipped like a malformed frame, its error (0x0A or 0x05) in its place. An admission
 *   error of code 0x0B (the node's memory budget refused the frame) also fails the stream.
 *
 * Payloads are zero-copy: a Uint8ArrayList of views of the chunks the frame arrived in
 * (call `.subarray()` for contiguous bytes: free for a frame that came in one chunk, one
 * copy otherwise). Memory: it holds the bytes pushed and not yet taken as items, never
 * more of a frame than its 4 + L. `decode()` takes every item at once; `push()` and
 * `next()` let a reader take one item at a time and leave the rest buffered (a reader that
 * stops taking bounds what it holds itself: src/protocols/shared/frame-channel.ts).
 */
import { ErrorCode, InvalidMessageFormatError, MessageTooLargeError, type PawError } from '../errors.ts'
import { ByteQueue } from './byte-queue.ts'
import {
  FRAME_LENGTH_BYTES,
  MAX_FRAME_LENGTH,
  MAX_TYPE_LENGTH,
  MIN_FRAME_LENGTH,
  TYPE_LENGTH_BYTES,
} from './constants.ts'
import { type Frame, isTypeByte } from './frame.ts'
import { ceilingOf, type FrameLimits, judgeHeader } from './frame-limits.ts'

const HEADER_BYTES = FRAME_LENGTH_BYTES + TYPE_LENGTH_BYTES

/**
 * Judges a frame's whole header before its body is buffered: undefined accepts it; an
 * error of code 0x04 or 0x0B fails the stream; any other error skips the frame and is
 * reported in its place.
 */
export type FrameAdmission = (type: string, length: number) => PawError | undefined

export interface FrameDecoderOptions {
  /**
   * Largest L accepted; a larger one fails the stream with 0x04, from L alone.
   * @default the ceiling of `limits` (its largest L), else MAX_FRAME_LENGTH (10 MiB)
   */
  maxFrameLength?: number
  /** Per-type limits (protocols/framing.md "Frame limits"); without them, every type is accepted. */
  limits?: FrameLimits
  /** A header check of the caller's own, run after `limits` (a memory reservation, say). */
  admit?: FrameAdmission
}

/**
 * A frame; the error that took the place of a frame that was skipped (0x05, or 0x0A for a
 * type not accepted at this point); or, last, the error that failed the stream (0x04, or
 * 0x0B from an `admit` hook).
 */
export type DecodedItem = Frame | PawError

/** Admission errors after which the stream cannot go on. */
const FATAL_CODES: ReadonlySet<number> = new Set([ErrorCode.MessageTooLarge, ErrorCode.ResourceLimitExceeded])

/** Whether a decoded item is the error that failed the stream (nothing follows it). */
export function isFatal(item: DecodedItem): item is PawError {
  return 'wireCode' in item && FATAL_CODES.has(item.wireCode)
}

export class FrameDecoder {
  #maxFrameLength: number
  #limits: FrameLimits | undefined
  readonly #admit: FrameAdmission | undefined
  readonly #queue = new ByteQueue()
  /** Bytes of a skipped frame that have not arrived yet; discarded as they do. */
  #skipRemaining = 0
  /** 4 + L and T of the frame in progress, once its header has been checked. */
  #frameEnd = 0
  #typeLength = 0
  #failure: PawError | undefined

  constructor(options: FrameDecoderOptions = {}) {
    this.#limits = options.limits
    this.#admit = options.admit
    this.#maxFrameLength =
      options.maxFrameLength ?? (options.limits === undefined ? MAX_FRAME_LENGTH : ceilingOf(options.limits))
  }

  /** Largest L accepted from the 4 length bytes alone. */
  get maxFrameLength(): number {
    return this.#maxFrameLength
  }

  /**
   * Replaces the per-type limits, and the ceiling with theirs. Applies from the next frame
   * whose header has not been judged yet (a frame already admitted keeps its admission).
   */
  setLimits(limits: FrameLimits): void {
    this.#limits = limits
    this.#maxFrameLength = ceilingOf(limits)
  }

  /** Bytes held for the frame in progress. */
  get bufferedBytes(): number {
    return this.#queue.length
  }

  /** True once the stream has failed (0x04, or 0x0B from the admit hook). */
  get failed(): boolean {
    return this.#failure !== undefined
  }

  /**
   * Feeds one chunk; returns the frames it completes, in order, with an error in place of
   * each frame that was skipped, and the error that failed the stream last, if one did.
   * @throws the error that failed the stream, if the decoder had already failed
   */
  decode(chunk: Uint8Array): DecodedItem[] {
    this.push(chunk)
    const out: DecodedItem[] = []
    for (;;) {
      const item = this.next()
      if (item === undefined) break
      out.push(item)
      if (item === this.#failure) break
    }
    return out
  }

  /**
   * Buffers one chunk without decoding it (bytes of a frame being skipped are discarded).
   * @throws the error that failed the stream, if the decoder had already failed
   */
  push(chunk: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure
    let input = chunk
    if (this.#skipRemaining > 0) {
      const skipped = Math.min(this.#skipRemaining, input.length)
      this.#skipRemaining -= skipped
      input = input.subarray(skipped)
    }
    this.#queue.push(input)
  }

  /**
   * The next item the buffered bytes complete, or undefined if they complete none yet (or
   * the decoder has failed: its error was the last item).
   */
  next(): DecodedItem | undefined {
    if (this.#failure !== undefined) return undefined
    return this.#next()
  }

  /**
   * Call at the end of the stream. Returns an error if it ended inside a frame that was
   * not already reported.
   */
  end(): InvalidMessageFormatError | undefined {
    if (this.#failure !== undefined) return undefined
    const pending = this.#queue.length
    this.#queue.clear()
    this.#frameEnd = 0
    if (pending === 0) return undefined
    return new InvalidMessageFormatError(`stream ended inside a frame (${pending} bytes pending)`)
  }

  /** The next frame or skipped-frame error from the queue, or undefined if it needs more bytes. */
  #next(): DecodedItem | undefined {
    const queue = this.#queue
    if (this.#frameEnd === 0) {
      const problem = this.#checkHeader()
      if (problem === 'incomplete') return undefined
      if (problem !== undefined) return problem
    }
    if (queue.length < this.#frameEnd) return undefined
    const typeEnd = HEADER_BYTES + this.#typeLength
    let type = ''
    for (let i = HEADER_BYTES; i < typeEnd; i++) type += String.fromCharCode(queue.byteAt(i))
    queue.drop(typeEnd)
    const payload = queue.takeList(this.#frameEnd - typeEnd)
    this.#frameEnd = 0
    return { type, payload }
  }

  /**
   * Checks the header of the frame at the front of the queue as far as its bytes have
   * arrived. Sets #frameEnd once it is all valid; skips the frame if it is not.
   */
  #checkHeader(): PawError | 'incomplete' | undefined {
    const queue = this.#queue
    if (queue.length < FRAME_LENGTH_BYTES) return 'incomplete'
    const length = queue.readUint32(0)
    if (length > this.#maxFrameLength)
      return this.#fail(new MessageTooLargeError(length, this.#maxFrameLength))
    if (length < MIN_FRAME_LENGTH) {
      return this.#skipFrame(length, `frame length ${length} is below the minimum of ${MIN_FRAME_LENGTH}`)
    }
    if (queue.length < HEADER_BYTES) return 'incomplete'
    const typeLength = queue.readUint16(FRAME_LENGTH_BYTES)
    if (typeLength === 0 || typeLength > MAX_TYPE_LENGTH || typeLength > length - TYPE_LENGTH_BYTES) {
      return this.#skipFrame(length, `type length ${typeLength} is invalid for frame length ${length}`)
    }
    if (queue.length < HEADER_BYTES + typeLength) return 'incomplete'
    let type = ''
    for (let i = 0; i < typeLength; i++) {
      const byte = queue.byteAt(HEADER_BYTES + i)
      if (!isTypeByte(byte)) {
        return this.#skipFrame(
          length,
          `type byte 0x${byte.toString(16).padStart(2, '0')} is outside [a-z0-9_./-]`,
        )
      }
      type += String.fromCharCode(byte)
    }
    const refusal =
      (this.#limits === undefined ? undefined : judgeHeader(this.#limits, type, length)) ??
      this.#admit?.(type, length)
    if (refusal !== undefined) {
      if (FATAL_CODES.has(refusal.wireCode)) return this.#fail(refusal)
      return this.#skipFrame(length, refusal)
    }
    this.#frameEnd = FRAME_LENGTH_BYTES + length
    this.#typeLength = typeLength
    return undefined
  }

  /** Fails the stream: nothing more is decoded, and nothing buffered is kept. */
  #fail(error: PawError): PawError {
    this.#failure = error
    this.#queue.clear()
    return error
  }

  /** Skips the frame at the front (its bytes still to come are discarded as they arrive). */
  #skipFrame(length: number, reason: string | PawError): PawError {
    const frameBytes = FRAME_LENGTH_BYTES + length
    this.#skipRemaining = frameBytes - this.#queue.drop(frameBytes)
    return typeof reason === 'string'
      ? new InvalidMessageFormatError(`malformed frame skipped: ${reason}`)
      : reason
  }
}
