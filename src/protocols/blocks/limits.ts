/** Frame limits of /paw/blocks/1 (protocols/blocks.md "Frame limits"). */
import {
  BLOCK_HASH_LENGTH,
  BLOCK_HEADER_LENGTH,
  BlocksFrameType,
  MAX_BLOCK_ANSWER_BYTES,
  MAX_BLOCK_ENCODING_BYTES,
  MAX_BLOCKS_PER_ANSWER,
  MAX_HEADERS_PER_ANSWER,
  RANGE_REQUEST_LENGTH,
  type RangeRequest,
} from '../../wire/blocks.ts'
import { MAX_FRAME_LENGTH } from '../../wire/constants.ts'
import { type FrameLimits, frameLength, frameLimits } from '../../wire/frame-limits.ts'

const BLOCKS_FRAME_TYPES: ReadonlySet<string> = new Set(Object.values(BlocksFrameType))

/**
 * The largest frame of the protocol, a `blocks` answer with the largest block: anything
 * larger is 0x04 from L alone, on every stream of the protocol.
 */
export function ceilingFor(maxBlockBytes = MAX_BLOCK_ENCODING_BYTES): number {
  return frameLength(BlocksFrameType.Blocks, blocksPayloadLimit(MAX_BLOCKS_PER_ANSWER, maxBlockBytes))
}

/** A stream the peer opened carries its requests: a hash, or a start height and a count. */
export function responderLimits(maxBlockBytes = MAX_BLOCK_ENCODING_BYTES): FrameLimits {
  return frameLimits(
    BLOCKS_FRAME_TYPES,
    {
      [BlocksFrameType.GetBlock]: BLOCK_HASH_LENGTH,
      [BlocksFrameType.GetBlocks]: RANGE_REQUEST_LENGTH,
      [BlocksFrameType.GetHeaders]: RANGE_REQUEST_LENGTH,
    },
    { ceiling: ceilingFor(maxBlockBytes) },
  )
}

/**
 * The largest `blocks` payload answering a request of `count` blocks: one block alone
 * (at most `maxBlockBytes`), or up to 128 blocks of at most 8 MiB together, each after its
 * u32 length, after the u16 count.
 */
export function blocksPayloadLimit(count: number, maxBlockBytes = MAX_BLOCK_ENCODING_BYTES): number {
  const entries = Math.min(count, MAX_BLOCKS_PER_ANSWER)
  const alone = 2 + 4 + maxBlockBytes
  const together =
    entries < 2 ? 0 : 2 + 4 * entries + Math.min(entries * maxBlockBytes, MAX_BLOCK_ANSWER_BYTES)
  return Math.min(Math.max(alone, together), MAX_FRAME_LENGTH - frameLength(BlocksFrameType.Blocks, 0))
}

/** The largest `headers` payload answering a request of `count` headers. */
export function headersPayloadLimit(count: number): number {
  return 2 + Math.min(count, MAX_HEADERS_PER_ANSWER) * BLOCK_HEADER_LENGTH
}

/**
 * One of our request streams between requests: nothing is accepted; an unasked answer up
 * to the largest possible is 0x0A, a larger frame 0x04.
 */
export function laneLimits(maxBlockBytes = MAX_BLOCK_ENCODING_BYTES): FrameLimits {
  return frameLimits(
    BLOCKS_FRAME_TYPES,
    {},
    {
      ceiling: frameLength(BlocksFrameType.Blocks, blocksPayloadLimit(MAX_BLOCKS_PER_ANSWER, maxBlockBytes)),
    },
  )
}

/** The answer to one request, as asked: no more entries, nor larger ones, than it can hold. */
export function answerLimits(
  request:
    | { type: typeof BlocksFrameType.GetBlock }
    | { type: typeof BlocksFrameType.GetBlocks | typeof BlocksFrameType.GetHeaders; range: RangeRequest },
  maxBlockBytes = MAX_BLOCK_ENCODING_BYTES,
): FrameLimits {
  const ceiling = ceilingFor(maxBlockBytes)
  switch (request.type) {
    case BlocksFrameType.GetBlock:
      return frameLimits(
        BLOCKS_FRAME_TYPES,
        {
          [BlocksFrameType.Blocks]: blocksPayloadLimit(1, maxBlockBytes),
          [BlocksFrameType.NotFound]: BLOCK_HASH_LENGTH,
        },
        { ceiling },
      )
    case BlocksFrameType.GetBlocks:
      return frameLimits(
        BLOCKS_FRAME_TYPES,
        { [BlocksFrameType.Blocks]: blocksPayloadLimit(request.range.count, maxBlockBytes) },
        { ceiling },
      )
    case BlocksFrameType.GetHeaders:
      return frameLimits(
        BLOCKS_FRAME_TYPES,
        { [BlocksFrameType.Headers]: headersPayloadLimit(request.range.count) },
        { ceiling },
      )
  }
}
