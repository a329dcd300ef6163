/**
 * Frame limits of /paw/mempool/1 (protocols/mempool.md "Frame limits"). Inventories and
 * requests carry 32-byte hashes; a `transactions` answer carries transaction encodings of
 * the chain's fixed size (ChainShape.transactionBytes, src/ports/chain.ts), so its limit is
 * built from the chain's shape once per protocol (`mempoolLimits`).
 */
import type { ChainShape } from '../../ports/chain.ts'
import { FrameType } from '../../wire/constants.ts'
import { type FrameLimits, frameLength, frameLimits } from '../../wire/frame-limits.ts'
import { MAX_MEMPOOL_HASHES, MAX_TRANSACTIONS_PER_REQUEST, MEMPOOL_HASH_LENGTH } from '../../wire/mempool.ts'

const MEMPOOL_FRAME_TYPES: ReadonlySet<string> = new Set([
  FrameType.MempoolHashes,
  FrameType.GetTransactions,
  FrameType.Transactions,
])

/** `mempool_hashes`: a u16 count and at most 4,096 hashes (131,074 bytes). */
const MAX_INVENTORY_PAYLOAD = 2 + MAX_MEMPOOL_HASHES * MEMPOOL_HASH_LENGTH
/** `get_transactions`: a u16 count and at most 256 hashes (8,194 bytes). */
const MAX_REQUEST_PAYLOAD = 2 + MAX_TRANSACTIONS_PER_REQUEST * MEMPOOL_HASH_LENGTH

/**
 * The `transactions` answer to `requested` hashes: two u16 counts, each found as a
 * transaction encoding of the chain's size, each missing as a 32-byte hash (never more).
 */
export function transactionsPayloadLimit(
  requested: number,
  shape: Pick<ChainShape, 'transactionBytes'>,
): number {
  return 4 + requested * Math.max(shape.transactionBytes, MEMPOOL_HASH_LENGTH)
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

/**
 * The largest L on a stream where we request: a full inventory, or the largest answer
 * (256 transactions of the chain's size), whichever is larger.
 */
function requestingCeiling(shape: Pick<ChainShape, 'transactionBytes'>): number {
  return Math.max(
    CEILING,
    frameLength(FrameType.Transactions, transactionsPayloadLimit(MAX_TRANSACTIONS_PER_REQUEST, shape)),
  )
}

/**
 * Where we send requests (fetching an inventory, or our own TRANSACTION_REQUEST): nothing
 * unless asked (`answerLimits`); an unasked frame up to the largest answer is 0x0A.
 */
export function requestingLimits(shape: Pick<ChainShape, 'transactionBytes'>): FrameLimits {
  return frameLimits(MEMPOOL_FRAME_TYPES, {}, { ceiling: requestingCeiling(shape) })
}

/** The answer to a `get_transactions` of `requested` hashes. */
export function answerLimits(requested: number, shape: Pick<ChainShape, 'transactionBytes'>): FrameLimits {
  return frameLimits(
    MEMPOOL_FRAME_TYPES,
    { [FrameType.Transactions]: transactionsPayloadLimit(requested, shape) },
    { ceiling: requestingCeiling(shape) },
  )
}

/** The limits of one protocol instance that depend on the chain, built once from its shape. */
export interface MempoolLimits {
  /** Streams where we request, between requests. */
  readonly requesting: FrameLimits
  /** The answer to a `get_transactions` of `requested` hashes (1..256). */
  answer(requested: number): FrameLimits
}

export function mempoolLimits(shape: Pick<ChainShape, 'transactionBytes'>): MempoolLimits {
  const frozen = { transactionBytes: shape.transactionBytes }
  const answers: FrameLimits[] = []
  for (let requested = 1; requested <= MAX_TRANSACTIONS_PER_REQUEST; requested++) {
    answers[requested] = answerLimits(requested, frozen)
  }
  return {
    requesting: requestingLimits(frozen),
    answer: (requested) => answers[requested] ?? answerLimits(requested, frozen),
  }
}
