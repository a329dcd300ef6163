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
 *
 * Payloads are zero-copy: a Uint8ArrayList of views of the chunks the frame arrived in
 * (call `.subarray()` for contiguous bytes: free for a frame that came in one chunk, one
 * copy otherwise). Memory: after each call it holds only bytes of the one frame in
 * progress, never more than 4 + L of it, so at most 4 + max.
 */
import { InvalidMessageFormatError, MessageTooLargeError } from '../errors.ts'
import { ByteQueue } from './byte-queue.ts'
import {
  FRAME_LENGTH_BYTES,
  MAX_FRAME_LENGTH,
  MAX_TYPE_LENGTH,
  MIN_FRAME_LENGTH,
  TYPE_LENGTH_BYTES,
} from './constants.ts'
import { type Frame, isTypeByte } from './frame.ts'

const HEADER_BYTES = FRAME_LENGTH_BYTES + TYPE_LENGTH_BYTES

export interface FrameDecoderOptions {
  /**
   * Largest L accepted; a larger one fails the stream with 0x04.
   * @default MAX_FRAME_LENGTH (10 MiB)
   */
  maxFrameLength?: number
}

/**
 * A frame; the error that took the place of a malformed frame that was skipped; or, last,
 * the error that failed the stream.
 */
export type DecodedItem = Frame | InvalidMessageFormatError | MessageTooLargeError

export class FrameDecoder {
  readonly maxFrameLength: number
  readonly #queue = new ByteQueue()
  /** Bytes of a skipped frame that have not arrived yet; discarded as they do. */
  #skipRemaining = 0
  /** 4 + L and T of the frame in progress, once its header has been checked. */
  #frameEnd = 0
  #typeLength = 0
  #failure: MessageTooLargeError | undefined

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameLength = options.maxFrameLength ?? MAX_FRAME_LENGTH
  }

  /** Bytes held for the frame in progress. */
  get bufferedBytes(): number {
    return this.#queue.length
  }

  /** True once the stream has failed with MessageTooLargeError. */
  get failed(): boolean {
    return this.#failure !== undefined
  }

  /**
   * Feeds one chunk; returns the frames it completes, in order, with an
   * InvalidMessageFormatError in place of each malformed frame that was skipped, and a
   * MessageTooLargeError last if a header claimed more than the limit.
   * @throws MessageTooLargeError if the decoder had already failed
   */
  decode(chunk: Uint8Array): DecodedItem[] {
    if (this.#failure !== undefined) throw this.#failure
    const out: DecodedItem[] = []
    let input = chunk
    if (this.#skipRemaining > 0) {
      const skipped = Math.min(this.#skipRemaining, input.length)
      this.#skipRemaining -= skipped
      input = input.subarray(skipped)
    }
    this.#queue.push(input)
    for (;;) {
      const item = this.#next()
      if (item === undefined) break
      out.push(item)
      if (item === this.#failure) break
    }
    return out
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
  #checkHeader(): InvalidMessageFormatError | MessageTooLargeError | 'incomplete' | undefined {
    const queue = this.#queue
    if (queue.length < FRAME_LENGTH_BYTES) return 'incomplete'
    const length = queue.readUint32(0)
    if (length > this.maxFrameLength) {
      this.#failure = new MessageTooLargeError(length, this.maxFrameLength)
      queue.clear()
      return this.#failure
    }
    if (length < MIN_FRAME_LENGTH) {
      return this.#skipFrame(length, `frame length ${length} is below the minimum of ${MIN_FRAME_LENGTH}`)
    }
    if (queue.length < HEADER_BYTES) return 'incomplete'
    const typeLength = queue.readUint16(FRAME_LENGTH_BYTES)
    if (typeLength === 0 || typeLength > MAX_TYPE_LENGTH || typeLength > length - TYPE_LENGTH_BYTES) {
      return this.#skipFrame(length, `type length ${typeLength} is invalid for frame length ${length}`)
    }
    if (queue.length < HEADER_BYTES + typeLength) return 'incomplete'
    for (let i = 0; i < typeLength; i++) {
      const byte = queue.byteAt(HEADER_BYTES + i)
      if (!isTypeByte(byte)) {
        return this.#skipFrame(
          length,
          `type byte 0x${byte.toString(16).padStart(2, '0')} is outside [a-z0-9_./-]`,
        )
      }
    }
    this.#frameEnd = FRAME_LENGTH_BYTES + length
    this.#typeLength = typeLength
    return undefined
  }

  #skipFrame(length: number, reason: string): InvalidMessageFormatError {
    const frameBytes = FRAME_LENGTH_BYTES + length
    this.#skipRemaining = frameBytes - this.#queue.drop(frameBytes)
    return new InvalidMessageFormatError(`malformed frame skipped: ${reason}`)
  }
}
