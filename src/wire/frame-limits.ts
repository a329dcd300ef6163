/**
 * Per-type frame limits (protocols/framing.md "Frame limits"): what a stream accepts at a
 * given point, as the largest L of each frame type. A receiver decides from a frame's
 * header (L, T and the type: at most 38 bytes) whether to buffer its body at all:
 *
 * - L above the stream's ceiling (the largest L any accepted type may have), or above its
 *   type's limit → 0x04 MessageTooLarge, decided before any of the body is read;
 * - a type the protocol defines but the stream does not accept at this point → 0x0A
 *   UnexpectedMessage, the frame skipped without buffering its body;
 * - a type the protocol does not define → 0x05 InvalidMessageFormat, skipped likewise.
 *
 * Limits are data: each protocol declares its tables (src/protocols/<name>/limits.ts).
 */
import {
  InvalidMessageFormatError,
  MessageTooLargeError,
  type PawError,
  UnexpectedMessageError,
} from '../errors.ts'
import { MAX_FRAME_LENGTH, TYPE_LENGTH_BYTES } from './constants.ts'

export interface FrameLimits {
  /** The largest L of each frame type accepted now. */
  readonly accepted: ReadonlyMap<string, number>
  /** Every frame type of the protocol, accepted now or not (others are 0x05). */
  readonly defined: ReadonlySet<string>
  /**
   * The largest L the stream accepts at any point: a larger L is 0x04 from its 4 bytes
   * alone. At least the largest accepted limit; more on a stream that accepts nothing now
   * but will (a request stream between requests: an unsolicited answer is 0x0A, not 0x04).
   */
  readonly ceiling: number
}

/** L of a frame of `type` whose payload is `payloadBytes` long: 2 + T + payload. */
export function frameLength(type: string, payloadBytes: number): number {
  return TYPE_LENGTH_BYTES + type.length + payloadBytes
}

/**
 * Limits accepting `payloadLimits` (type → largest payload) out of the protocol's
 * `defined` types; the ceiling is the largest of them unless `ceiling` (an L) is larger.
 * @throws RangeError for a type the protocol does not define, or a limit over 10 MiB
 */
export function frameLimits(
  defined: ReadonlySet<string>,
  payloadLimits: Readonly<Record<string, number>>,
  options: { ceiling?: number } = {},
): FrameLimits {
  const accepted = new Map<string, number>()
  let ceiling = options.ceiling ?? 0
  for (const [type, payload] of Object.entries(payloadLimits)) {
    if (!defined.has(type)) throw new RangeError(`${type} is not a frame type of this protocol`)
    const length = frameLength(type, payload)
    if (length > MAX_FRAME_LENGTH) throw new RangeError(`${type}: L ${length} is over the 10 MiB frame limit`)
    accepted.set(type, length)
    ceiling = Math.max(ceiling, length)
  }
  if (ceiling > MAX_FRAME_LENGTH) throw new RangeError(`ceiling ${ceiling} is over the 10 MiB frame limit`)
  return { accepted, defined, ceiling }
}

/** The largest L the limits accept of any type: a larger L is 0x04 from its 4 bytes alone. */
export function ceilingOf(limits: FrameLimits): number {
  return limits.ceiling
}

/**
 * The verdict on a frame header: undefined to accept it (its body is then buffered), or
 * the error that takes its place: 0x04 (fatal: the stream has failed), 0x0A or 0x05 (the
 * frame is skipped without buffering its body, decoding goes on).
 */
export function judgeHeader(limits: FrameLimits, type: string, length: number): PawError | undefined {
  const limit = limits.accepted.get(type)
  if (limit !== undefined) {
    return length > limit ? new MessageTooLargeError(length, limit, type) : undefined
  }
  if (limits.defined.has(type)) {
    return new UnexpectedMessageError(`a ${type} frame is not accepted at this point of the stream`)
  }
  return new InvalidMessageFormatError(`no ${JSON.stringify(type)} frames on this protocol`)
}
