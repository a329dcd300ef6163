/**
 * Frame limits of /paw/handshake/1 (protocols/handshake.md "Frame limits"): before the
 * handshake completes, nothing larger than a handshake answer is buffered.
 */
import { FrameType, HANDSHAKE_LENGTH, MAX_REJECT_REASON_BYTES } from '../../wire/constants.ts'
import { frameLength, frameLimits } from '../../wire/frame-limits.ts'

const HANDSHAKE_FRAME_TYPES: ReadonlySet<string> = new Set([FrameType.Handshake, FrameType.Reject])

/** The largest frame of the protocol, a `reject` (L = 265): anything larger is 0x04 from L alone. */
const CEILING = frameLength(FrameType.Reject, 1 + MAX_REJECT_REASON_BYTES)

/** The listener reads the dialer's `handshake`: 65 bytes (L = 76). */
export const LISTENER_LIMITS = frameLimits(
  HANDSHAKE_FRAME_TYPES,
  { [FrameType.Handshake]: HANDSHAKE_LENGTH },
  { ceiling: CEILING },
)

/** The dialer reads the answer: a `handshake` (L = 76) or a `reject`, a code and at most 256 bytes of reason (L = 265). */
export const DIALER_LIMITS = frameLimits(
  HANDSHAKE_FRAME_TYPES,
  {
    [FrameType.Handshake]: HANDSHAKE_LENGTH,
    [FrameType.Reject]: 1 + MAX_REJECT_REASON_BYTES,
  },
  { ceiling: CEILING },
)
