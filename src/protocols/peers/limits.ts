/** Frame limits of /paw/peers/1 (protocols/peers.md "Frame limits"). */
import {
  FrameType,
  MAX_PEER_ID_LENGTH,
  MAX_PEER_IP_LENGTH,
  MAX_PEERS_PER_RESPONSE,
} from '../../wire/constants.ts'
import { frameLength, frameLimits } from '../../wire/frame-limits.ts'

const PEERS_FRAME_TYPES: ReadonlySet<string> = new Set([FrameType.GetPeers, FrameType.Peers])

/** The largest `peers` payload: a u16 count, then 1,000 entries of at most 1 + 128 + 2 + 1 + 64 bytes (196,002 bytes). */
export const MAX_PEERS_PAYLOAD =
  2 + MAX_PEERS_PER_RESPONSE * (1 + MAX_PEER_ID_LENGTH + 2 + 1 + MAX_PEER_IP_LENGTH)

/** The largest frame of the protocol, a full `peers` list: anything larger is 0x04 from L alone. */
const CEILING = frameLength(FrameType.Peers, MAX_PEERS_PAYLOAD)

/** A stream the peer opened carries one `get_peers`: the byte 0x01 (L = 12). */
export const RESPONDER_LIMITS = frameLimits(
  PEERS_FRAME_TYPES,
  { [FrameType.GetPeers]: 1 },
  { ceiling: CEILING },
)

/** A stream we opened carries the answer: one `peers` list (L = 196,009). */
export const REQUESTER_LIMITS = frameLimits(PEERS_FRAME_TYPES, { [FrameType.Peers]: MAX_PEERS_PAYLOAD })
