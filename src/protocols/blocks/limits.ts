/**
 * Frame limits of /paw/blocks/1 (protocols/blocks.md "Frame limits"), from the chain's
 * shape (src/ports/chain.ts ChainShape): a `headers` answer holds header encodings of its
 * fixed size, a `blocks` answer blocks of at most its largest. Built once per protocol
 * (`blocksLimits`).
 */
import type { ChainShape } from '../../ports/chain.ts'
import { blockTransactionsLength, getBlockTransactionsLength } from '../../wire/block-transactions.ts'
import {
  BLOCK_HASH_LENGTH,
  BlocksFrameType,
  MAX_BLOCK_ANSWER_BYTES,
  MAX_BLOCK_ENCODING_BYTES,
  MAX_BLOCKS_PER_ANSWER,
  MAX_HEADERS_PER_ANSWER,
  RANGE_REQUEST_LENGTH,
  type RangeRequest,
} from '../../wire/blocks.ts'
import { maxTransactions } from '../../wire/compact-block.ts'
import { MAX_FRAME_LENGTH } from '../../wire/constants.ts'
import { type FrameLimits, frameLength, frameLimits } from '../../wire/frame-limits.ts'

const BLOCKS_FRAME_TYPES: ReadonlySet<string> = new Set(Object.values(BlocksFrameType))

/**
 * What the limits depend on: the chain's header size and largest block, and its transaction
 * size for get_block_transactions (without it, that request is not accepted).
 */
export type LimitsShape = Pick<ChainShape, 'headerBytes' | 'maxBlockBytes'> &
  Partial<Pick<ChainShape, 'transactionBytes'>>

/** The largest block and, with a chain, its transaction size (get_block_transactions needs it). */
export type ResponderShape = Pick<ChainShape, 'maxBlockBytes'> & Partial<Pick<ChainShape, 'transactionBytes'>>

/** A request of ours, as its answer's limits see it. */
export type AskedRequest =
  | { type: typeof BlocksFrameType.GetBlock }
  | { type: typeof BlocksFrameType.GetBlocks | typeof BlocksFrameType.GetHeaders; range: RangeRequest }
  | { type: typeof BlocksFrameType.GetBlockTransactions; count: number }

/** The chain's largest block encoding, at most what a `blocks` frame can carry. */
function largestBlock(shape: Pick<ChainShape, 'maxBlockBytes'>): number {
  return Math.min(shape.maxBlockBytes, MAX_BLOCK_ENCODING_BYTES)
}

/**
 * The largest frame of the protocol, a `blocks` answer with the largest block: anything
 * larger is 0x04 from L alone, on every stream of the protocol.
 */
export function ceilingFor(shape: Pick<ChainShape, 'maxBlockBytes'>): number {
  return frameLength(BlocksFrameType.Blocks, blocksPayloadLimit(MAX_BLOCKS_PER_ANSWER, shape))
}

/**
 * A stream the peer opened carries its requests: a hash, a start height and a count, or
 * (with a chain's transaction size) a hash and the indexes of a compact block's missing
 * transactions, at most one per transaction a block can hold.
 */
export function responderLimits(shape: ResponderShape): FrameLimits {
  const { transactionBytes } = shape
  const compact: Record<string, number> = {}
  if (transactionBytes !== undefined) {
    compact[BlocksFrameType.GetBlockTransactions] = getBlockTransactionsLength(
      maxTransactions({ transactionBytes, maxBlockBytes: shape.maxBlockBytes }),
    )
  }
  return frameLimits(
    BLOCKS_FRAME_TYPES,
    {
      [BlocksFrameType.GetBlock]: BLOCK_HASH_LENGTH,
      [BlocksFrameType.GetBlocks]: RANGE_REQUEST_LENGTH,
      [BlocksFrameType.GetHeaders]: RANGE_REQUEST_LENGTH,
      ...compact,
    },
    { ceiling: ceilingFor(shape) },
  )
}

/**
 * The largest `blocks` payload answering a request of `count` blocks: one block alone
 * (at most the chain's largest), or up to 128 blocks of at most 8 MiB together, each after
 * its u32 length, after the u16 count.
 */
export function blocksPayloadLimit(count: number, shape: Pick<ChainShape, 'maxBlockBytes'>): number {
  const maxBlockBytes = largestBlock(shape)
  const entries = Math.min(count, MAX_BLOCKS_PER_ANSWER)
  const alone = 2 + 4 + maxBlockBytes
  const together =
    entries < 2 ? 0 : 2 + 4 * entries + Math.min(entries * maxBlockBytes, MAX_BLOCK_ANSWER_BYTES)
  return Math.min(Math.max(alone, together), MAX_FRAME_LENGTH - frameLength(BlocksFrameType.Blocks, 0))
}

/** The largest `headers` payload answering a request of `count` headers: 2 + headerBytes · min(count, 512). */
export function headersPayloadLimit(count: number, shape: Pick<ChainShape, 'headerBytes'>): number {
  return 2 + Math.min(count, MAX_HEADERS_PER_ANSWER) * shape.headerBytes
}

/**
 * One of our request streams between requests: nothing is accepted; an unasked answer up
 * to the largest possible is 0x0A, a larger frame 0x04.
 */
export function laneLimits(shape: Pick<ChainShape, 'maxBlockBytes'>): FrameLimits {
  return frameLimits(BLOCKS_FRAME_TYPES, {}, { ceiling: ceilingFor(shape) })
}

/** The answer to one request, as asked: no more entries, nor larger ones, than it can hold. */
export function answerLimits(request: AskedRequest, shape: LimitsShape): FrameLimits {
  const ceiling = ceilingFor(shape)
  switch (request.type) {
    case BlocksFrameType.GetBlock:
      return frameLimits(
        BLOCKS_FRAME_TYPES,
        {
          [BlocksFrameType.Blocks]: blocksPayloadLimit(1, shape),
          [BlocksFrameType.NotFound]: BLOCK_HASH_LENGTH,
        },
        { ceiling },
      )
    case BlocksFrameType.GetBlocks:
      return frameLimits(
        BLOCKS_FRAME_TYPES,
        { [BlocksFrameType.Blocks]: blocksPayloadLimit(request.range.count, shape) },
        { ceiling },
      )
    case BlocksFrameType.GetHeaders:
      return frameLimits(
        BLOCKS_FRAME_TYPES,
        { [BlocksFrameType.Headers]: headersPayloadLimit(request.range.count, shape) },
        { ceiling },
      )
    case BlocksFrameType.GetBlockTransactions:
      return frameLimits(
        BLOCKS_FRAME_TYPES,
        {
          [BlocksFrameType.BlockTransactions]: blockTransactionsLength(request.count, {
            transactionBytes: shape.transactionBytes ?? 0,
          }),
          [BlocksFrameType.NotFound]: BLOCK_HASH_LENGTH,
        },
        { ceiling },
      )
  }
}

/** The limits of one protocol instance, built once from its chain's shape. */
export interface BlocksLimits {
  /** Streams peers open: their requests. */
  readonly responder: FrameLimits
  /** Our request streams between requests. */
  readonly lane: FrameLimits
  /** The answer to a get_block (the same for every one). */
  readonly getBlock: FrameLimits
  /** The answer to `request`. */
  answer(request: AskedRequest): FrameLimits
}

export function blocksLimits(shape: LimitsShape): BlocksLimits {
  const frozen: LimitsShape = {
    headerBytes: shape.headerBytes,
    maxBlockBytes: shape.maxBlockBytes,
    ...(shape.transactionBytes === undefined ? {} : { transactionBytes: shape.transactionBytes }),
  }
  const getBlock = answerLimits({ type: BlocksFrameType.GetBlock }, frozen)
  return {
    responder: responderLimits(frozen),
    lane: laneLimits(frozen),
    getBlock,
    answer: (request) =>
      request.type === BlocksFrameType.GetBlock ? getBlock : answerLimits(request, frozen),
  }
}
