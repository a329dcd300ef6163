/** Frame limits of /paw/mempool/1 (protocols/mempool.md "Frame limits"). */
import { FrameType } from '../../wire/constants.ts'
import { frameLength, frameLimits } from '../../wire/frame-limits.ts'
import {
  MAX_MEMPOOL_HASHES,
  MAX_TRANSACTIONS_PER_REQUEST,
  MEMPOOL_HASH_LENGTH,
  MEMPOOL_TRANSACTION_LENGTH,
} from '../../wire/mempool.ts'

const MEMPOOL_FRAME_TYPES: ReadonlySet<string> = new Set([
  FrameType.MempoolHashes,
  FrameType.GetTransactions,
  FrameType.Transactions,
])

/** `mempool_hashes`: a u16 count and at most 4,096 hashes (131,074 bytes). */
const MAX_INVENTORY_PAYLOAD = 2 + MAX_MEMPOOL_HASHES * MEMPOOL_HASH_LENGTH
/** `get_transactions`: a u16 count and at most 256 hashes (8,194 bytes). */
const MAX_REQUEST_PAYLOAD = 2 + MAX_TRANSACTIONS_PER_REQUEST * MEMPOOL_HASH_LENGTH

/** The `transactions` answer to `requested` hashes: two u16 counts, each found as 152 bytes, each missing as 32. */
export function transactionsPayloadLimit(requested: number): number {
  return 4 + requested * MEMPOOL_TRANSACTION_LENGTH
}

/** The largest frame of the protocol, a full inventory (L = 131,090): anything larger is 0x04 from L alone. */
const CEILING = frameLength(FrameType.MempoolHashes, MAX_INVENTORY_PAYLOAD)

/** A stream the peer opened: its first frame is its inventory or a request. */
export const OPENED_BY_PEER_LIMITS = frameLimits(
  MEMPOOL_FRAME_TYPES,
  {
    [FrameType.MempoolHashes]: MAX_INVENTORY_PAYLOAD,
    [FrameType.GetTransactions]: MAX_REQUEST_PAYLOAD,
  },
  { ceiling: CEILING },
)

/** Where we answer requests (our announcement's stream, or a TRANSACTION_REQUEST's): `get_transactions` only. */
export const SERVING_LIMITS = frameLimits(MEMPOOL_FRAME_TYPES, {
  [FrameType.GetTransactions]: MAX_REQUEST_PAYLOAD,
})

/** Where we send requests (fetching an inventory, or our own TRANSACTION_REQUEST): nothing unless asked (`answerLimits`). */
export const REQUESTING_LIMITS = frameLimits(MEMPOOL_FRAME_TYPES, {}, { ceiling: CEILING })

/** The answer to a `get_transactions` of `requested` hashes. */
export function answerLimits(requested: number) {
  return frameLimits(
    MEMPOOL_FRAME_TYPES,
    { [FrameType.Transactions]: transactionsPayloadLimit(requested) },
    { ceiling: CEILING },
  )
}
