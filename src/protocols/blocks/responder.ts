/**
 * The answering side (protocols/blocks.md "Answers and trimming", "Stream rules"): every
 * request gets exactly one answer frame, one request at a time (the next is read only
 * after this answer is written, so at most one answer is held per stream). Stored block
 * encodings are written as they are (writer.ts); a light node answers get_headers only
 * and resets the stream on a block request.
 */
import { encodeHeader } from '../../chain/encoding.ts'
import { blockHash } from '../../chain/hashing.ts'
import { NetworkError } from '../../errors.ts'
import { blockAnswerCost } from '../../peers/rate-limits.ts'
import {
  BlocksFrameType,
  blocksPayloadLength,
  decodeGetBlock,
  decodeGetBlocks,
  decodeGetHeaders,
  encodeHeaders,
  encodeNotFound,
  MAX_BLOCK_ANSWER_BYTES,
  MAX_BLOCKS_PER_ANSWER,
  MAX_HEADERS_PER_ANSWER,
  type RangeRequest,
  rangeToServe,
} from '../../wire/blocks.ts'
import type { Frame } from '../../wire/frame.ts'
import { decodePeerPayload, rateLimitedFault, unexpectedFault } from '../shared/faults.ts'
import type { FrameChannel, TrafficCounter } from '../shared/frame-channel.ts'
import { Holdings } from '../shared/memory-budget.ts'
import type { BlocksSource } from './blocks-protocol.ts'
import type { BlocksContext } from './context.ts'
import { nextMessage } from './reader.ts'
import { writeBlocksAnswer } from './writer.ts'

/** Thrown when this node cannot answer a request (a light node asked for blocks): not the peer's fault. */
export class CannotServeError extends NetworkError {}

/**
 * The stored encodings of the blocks a `get_blocks` answer carries: the best chain's
 * blocks from `request.startHeight`, trimmed by rangeToServe, then to the longest prefix
 * within the byte bound of an answer (blocksThatFit), read one at a time so that at most
 * the bound plus one block is held, and to what `holdings` grants of the memory budget:
 * each block is reserved before it is read (at the size of the largest block served so
 * far, `sizes.largest`, then exactly), and a refusal ends the answer.
 */
export async function blocksToServe(
  source: Required<Pick<BlocksSource, 'getEncodedBlock'>> & BlocksSource,
  request: RangeRequest,
  holdings: Holdings = new Holdings(undefined, '', ''),
  sizes: { largest: number } = { largest: 0 },
): Promise<Uint8Array[]> {
  const count = rangeToServe(request, source.tip().height, MAX_BLOCKS_PER_ANSWER)
  if (count === 0) return []
  const headers = await source.getHeaders(request.startHeight, count)
  const blocks: Uint8Array[] = []
  let total = 0
  for (const header of headers) {
    const block = await holdings.hold(sizes.largest, () => source.getEncodedBlock(blockHash(header)))
    // The best chain moved under us (a reorg between the two reads): serve what links.
    if (block === undefined || block === 'refused') break
    sizes.largest = Math.max(sizes.largest, block.length)
    if (blocks.length > 0 && total + block.length > MAX_BLOCK_ANSWER_BYTES) break
    blocks.push(block)
    total += block.length
  }
  return blocks
}

/** The 153-byte encodings of the best chain's headers a `get_headers` answer carries. */
export async function headersToServe(source: BlocksSource, request: RangeRequest): Promise<Uint8Array[]> {
  const count = rangeToServe(request, source.tip().height, MAX_HEADERS_PER_ANSWER)
  if (count === 0) return []
  const headers = await source.getHeaders(request.startHeight, count)
  return headers.map((header) => encodeHeader(header))
}

/**
 * Answers the peer's requests on `channel` until the peer closes its side, then closes ours.
 * @throws PeerFault for a malformed request (0x05), a request over the peer's rate limit
 *   (0x09, not answered), an answer the peer does not read in time (0x0B);
 *   ResourceLimitExceededError (the memory budget grants not one block of the answer);
 *   CannotServeError (a block request to a node that holds no blocks); NetworkError
 */
export async function serveRequests(
  context: BlocksContext,
  channel: FrameChannel,
  peerId: string,
  traffic: TrafficCounter | undefined,
): Promise<void> {
  const { source, limiter, settings } = context.init
  for (;;) {
    const frame: Frame | undefined = await nextMessage(context, channel, peerId)
    if (frame === undefined) break
    const payload = frame.payload
    switch (frame.type) {
      case BlocksFrameType.GetHeaders: {
        if (!limiter.allow(peerId, 'headerRequests')) {
          throw rateLimitedFault('get_headers beyond the headerRequests limit: not answered')
        }
        const request = decodePeerPayload(() => decodeGetHeaders(payload))
        if (source === undefined) throw new CannotServeError('this node holds no chain')
        const headers = await headersToServe(source, request)
        await channel.write(BlocksFrameType.Headers, encodeHeaders(headers))
        context.stats.headersServed += headers.length
        break
      }
      case BlocksFrameType.GetBlock:
      case BlocksFrameType.GetBlocks: {
        if (!limiter.allow(peerId, 'blockRequests')) {
          throw rateLimitedFault(`${frame.type} beyond the blockRequests limit: not answered`)
        }
        // The answer's blocks count against the peer's memory budget until written; taken
        // back at the node's limit if this peer holds the most (the stream is then reset).
        const holdings = new Holdings(context.init.budget, peerId, 'blocks answer', {
          revoke: (error) => channel.stream.abort(error),
        })
        try {
          const blocks = await answerBlockRequest(context, channel, frame, holdings)
          if (blocks === undefined) break
          if (blocks.length === 0 && holdings.refusal !== undefined) throw holdings.refusal
          await writeBlocksAnswer(channel.stream, blocks, { writeMs: settings.timeouts.writeMs, traffic })
          // The request took one token; an answer over 1 MiB costs one per started MiB.
          limiter.charge(peerId, 'blockRequests', blockAnswerCost(blocksPayloadLength(blocks)) - 1)
          context.stats.blocksServed += blocks.length
        } finally {
          holdings.release()
        }
        break
      }
      default:
        throw unexpectedFault(`a ${frame.type} frame that answers no request of ours`)
    }
    context.stats.requestsServed++
  }
  await channel.close()
}

/**
 * The blocks answering a get_block or get_blocks, each reserved in `holdings` (an empty
 * list if the first was refused); undefined if not_found was written instead.
 */
async function answerBlockRequest(
  context: BlocksContext,
  channel: FrameChannel,
  frame: Frame,
  holdings: Holdings,
): Promise<Uint8Array[] | undefined> {
  const source = context.init.source
  const payload = frame.payload
  if (frame.type === BlocksFrameType.GetBlock) {
    const hash = decodePeerPayload(() => decodeGetBlock(payload)).slice()
    const getEncodedBlock = source?.getEncodedBlock?.bind(source)
    if (getEncodedBlock === undefined) throw new CannotServeError('a light node holds no blocks')
    const block = await holdings.hold(context.sizes.largest, () => getEncodedBlock(hash))
    if (block === 'refused') return []
    if (block !== undefined) {
      context.sizes.largest = Math.max(context.sizes.largest, block.length)
      return [block]
    }
    await channel.write(BlocksFrameType.NotFound, encodeNotFound(hash))
    return undefined
  }
  const request = decodePeerPayload(() => decodeGetBlocks(payload))
  if (source?.getEncodedBlock === undefined) throw new CannotServeError('a light node holds no blocks')
  return blocksToServe(source as Parameters<typeof blocksToServe>[0], request, holdings, context.sizes)
}
