/**
 * Frame limits of /paw/state/1 (protocols/state.md "Frame limits"): each frame type's
 * largest L, from its payload's largest size (src/wire/state.ts). Every stream of the
 * protocol has the same ceiling, an `account` with the largest value and proof: a larger L
 * is 0x04 from its header alone; a frame of the protocol that the stream does not accept at
 * that point (an answer on the answering side, a second request) is 0x0A, skipped unread.
 */
import { frameLength, frameLimits } from '../../wire/frame-limits.ts'
import {
  MAX_ACCOUNT_VALUE_BYTES,
  MAX_ADDRESS_BYTES,
  MAX_STATE_PROOF_BYTES,
  STATE_ID_LENGTH,
} from '../../wire/state.ts'
import { StateFrameType } from './constants.ts'

const STATE_FRAME_TYPES: ReadonlySet<string> = new Set(Object.values(StateFrameType))

/** get_account: block id, address length, address (97 bytes; L = 110). */
export const MAX_GET_ACCOUNT_PAYLOAD = STATE_ID_LENGTH + 1 + MAX_ADDRESS_BYTES
/** account, found: block id, status, value and proof with their u16 lengths (17,445 bytes; L = 17,454). */
export const MAX_ACCOUNT_PAYLOAD =
  STATE_ID_LENGTH + 1 + 2 + MAX_ACCOUNT_VALUE_BYTES + 2 + MAX_STATE_PROOF_BYTES
/** get_transaction_status: the transaction id (32 bytes; L = 56). */
export const GET_TRANSACTION_STATUS_PAYLOAD = STATE_ID_LENGTH
/** transaction_status, included: id, status, block id, proof with its length (16,451 bytes; L = 16,471). */
export const MAX_TRANSACTION_STATUS_PAYLOAD =
  STATE_ID_LENGTH + 1 + STATE_ID_LENGTH + 2 + MAX_STATE_PROOF_BYTES

/** The largest frame of the protocol: anything larger is 0x04 on every stream of it. */
export const STATE_CEILING = frameLength(StateFrameType.Account, MAX_ACCOUNT_PAYLOAD)

const ceiling = { ceiling: STATE_CEILING }

/** A stream the peer opened, before its request: one get_account or get_transaction_status. */
export const REQUEST_LIMITS = frameLimits(
  STATE_FRAME_TYPES,
  {
    [StateFrameType.GetAccount]: MAX_GET_ACCOUNT_PAYLOAD,
    [StateFrameType.GetTransactionStatus]: GET_TRANSACTION_STATUS_PAYLOAD,
  },
  ceiling,
)

/** A stream the peer opened, once its request is read: nothing more (a second request is 0x0A). */
export const ANSWERED_LIMITS = frameLimits(STATE_FRAME_TYPES, {}, ceiling)

/** Our stream after a get_account: one `account`. */
export const ACCOUNT_ANSWER_LIMITS = frameLimits(
  STATE_FRAME_TYPES,
  { [StateFrameType.Account]: MAX_ACCOUNT_PAYLOAD },
  ceiling,
)

/** Our stream after a get_transaction_status: one `transaction_status`. */
export const TRANSACTION_ANSWER_LIMITS = frameLimits(
  STATE_FRAME_TYPES,
  { [StateFrameType.TransactionStatus]: MAX_TRANSACTION_STATUS_PAYLOAD },
  ceiling,
)
