/**
 * The answering side (protocols/blocks.md "Answers and trimming", "Stream rules"): every
 * request gets exactly one answer frame, one request at a time (the next is read only
 * after this answer is written, so at most one answer is held per stream). Stored block
 * encodings are written as they are (writer.ts), and so are stored header encodings; a
 * light node answers get_headers only and resets the stream on a block request.
 */
import { ErrorCode, PawError } from '../../errors.ts'
import { blockAnswerCost } from '../../peers/rate-limits.ts'
import type { TrafficCounter } from '../../peers/traffic-counter.ts'
import {
  blockTransactionsLength,
  decodeGetBlockTransactions,
  encodeBlockTransactions,
} from '../../wire/block-transactions.ts'
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
import { decodePeerPayload, invalidFault, rateLimitedFault, unexpectedFault } from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { Holdings } from '../shared/memory-budget.ts'
import { nextMessage } from '../shared/reader.ts'
import type { BlocksContext } from './context.ts'
import type { BlockServingChain, BlocksChain } from './types.ts'
import { writeBlocksAnswer } from './writer.ts'

/**
 * Thrown when this node cannot answer a request (a light node asked for blocks): not the
 * peer's fault; the stream is reset (wire code 0x08).
 */
export class CannotServeError extends PawError {
  constructor(message: string) {
    super(ErrorCode.NetworkError, message, undefined, { code: 'ERR_CANNOT_SERVE', name: 'CannotServe' })
  }
}

/** Whether `chain` serves blocks (a full node's), not headers only. */
function servesBlocks(chain: BlocksChain | undefined): chain is BlockServingChain {
  return chain?.encodedBlock !== undefined
}

/**
 * The stored encodings of the blocks a `get_blocks` answer carries: the best chain's
 * blocks from `request.startHeight` (their ids read from its header encodings by the chain),
 * trimmed by rangeToServe, then to the longest prefix within the byte bound of an answer
 * (blocksThatFit), read one at a time so that at most the bound plus one block is held,
 * and to what `holdings` grants of the memory budget: each block is reserved before it is
 * read (at the size of the largest block served so far, `sizes.largest`, then exactly),
 * and a refusal ends the answer.
 */
export async function blocksToServe(
  chain: BlockServingChain,
  request: RangeRequest,
  holdings: Holdings = new Holdings(undefined, '', ''),
  sizes: { largest: number } = { largest: 0 },
): Promise<Uint8Array[]> {
  const count = rangeToServe(request, chain.tip().height, MAX_BLOCKS_PER_ANSWER)
  if (count === 0) return []
  const headers = await chain.encodedHeaders(request.startHeight, count)
  const blocks: Uint8Array[] = []
  let total = 0
  for (const header of headers) {
    const hash = chain.readHeader(header).hash
    const block = await holdings.hold(sizes.largest, () => chain.encodedBlock(hash))
    // The best chain moved under us (a reorg between the two reads): serve what links.
    if (block === undefined || block === 'refused') break
    sizes.largest = Math.max(sizes.largest, block.length)
    if (blocks.length > 0 && total + block.length > MAX_BLOCK_ANSWER_BYTES) break
    blocks.push(block)
    total += block.length
  }
  return blocks
}

/** The stored encodings of the best chain's headers a `get_headers` answer carries, as they are. */
export async function headersToServe(chain: BlocksChain, request: RangeRequest): Promise<Uint8Array[]> {
  const count = rangeToServe(request, chain.tip().height, MAX_HEADERS_PER_ANSWER)
  if (count === 0) return []
  return chain.encodedHeaders(request.startHeight, count)
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
  const { chain, limiter, settings } = context.init
  for (;;) {
    const frame: Frame | undefined = await nextMessage(channel, (fault) => context.refuse(peerId, fault))
    if (frame === undefined) break
    const payload = frame.payload
    switch (frame.type) {
      case BlocksFrameType.GetHeaders: {
        if (!limiter.allow(peerId, 'headerRequests')) {
          throw rateLimitedFault('get_headers beyond the headerRequests limit: not answered')
        }
        const request = decodePeerPayload(() => decodeGetHeaders(payload))
        if (chain === undefined) throw new CannotServeError('this node holds no chain')
        const headers = await headersToServe(chain, request)
        await channel.write(BlocksFrameType.Headers, encodeHeaders(headers, chain.shape.headerBytes))
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
          // Blocks come only from a chain that serves them (else CannotServeError).
          if (blocks === undefined || !servesBlocks(chain)) break
          if (blocks.length === 0 && holdings.refusal !== undefined) throw holdings.refusal
          await writeBlocksAnswer(channel.stream, blocks, {
            writeMs: settings.timeouts.writeMs,
            rule: chain.shape,
            ...(traffic === undefined ? {} : { traffic }),
          })
          // The request took one token; an answer over 1 MiB costs one per started MiB.
          limiter.charge(peerId, 'blockRequests', blockAnswerCost(blocksPayloadLength(blocks)) - 1)
          context.stats.blocksServed += blocks.length
        } finally {
          holdings.release()
        }
        break
      }
      case BlocksFrameType.GetBlockTransactions: {
        if (!limiter.allow(peerId, 'blockRequests')) {
          throw rateLimitedFault('get_block_transactions beyond the blockRequests limit: not answered')
        }
        const holdings = new Holdings(context.init.budget, peerId, 'block_transactions answer', {
          revoke: (error) => channel.stream.abort(error),
        })
        try {
          const served = await answerTransactionsRequest(context, channel, frame, holdings)
          if (served > 0) {
            const cost = blockAnswerCost(
              blockTransactionsLength(served, chain?.shape ?? { transactionBytes: 0 }),
            )
            limiter.charge(peerId, 'blockRequests', cost - 1)
          }
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
  const chain = context.init.chain
  const payload = frame.payload
  if (frame.type === BlocksFrameType.GetBlock) {
    const hash = decodePeerPayload(() => decodeGetBlock(payload)).slice()
    if (!servesBlocks(chain)) throw new CannotServeError('a light node holds no blocks')
    const block = await holdings.hold(context.sizes.largest, () => chain.encodedBlock(hash))
    if (block === 'refused') return []
    if (block !== undefined) {
      context.sizes.largest = Math.max(context.sizes.largest, block.length)
      return [block]
    }
    await channel.write(BlocksFrameType.NotFound, encodeNotFound(hash))
    return undefined
  }
  const request = decodePeerPayload(() => decodeGetBlocks(payload))
  if (!servesBlocks(chain)) throw new CannotServeError('a light node holds no blocks')
  return blocksToServe(chain, request, holdings, context.sizes)
}

/**
 * Answers a get_block_transactions (protocols/blocks.md): from a block forwarded and not
 * stored yet, or a stored one; `not_found` if neither. Returns how many transactions were
 * sent. An index past the block's last transaction is the peer's fault (0x05): it asks
 * by a compact block that names the count.
 */
async function answerTransactionsRequest(
  context: BlocksContext,
  channel: FrameChannel,
  frame: Frame,
  holdings: Holdings,
): Promise<number> {
  const chain = context.init.chain
  if (!servesBlocks(chain) || chain.blockParts === undefined) {
    throw new CannotServeError('this node does not relay compact blocks')
  }
  const parts = chain.blockParts
  const payload = frame.payload
  const request = decodePeerPayload(() => decodeGetBlockTransactions(payload, chain.shape))
  const held = context.init.relayedBlock?.(request.hash)
  const block = held ?? (await holdings.hold(context.sizes.largest, () => chain.encodedBlock(request.hash)))
  if (block === 'refused') throw holdings.refusal
  if (block === undefined) {
    await channel.write(BlocksFrameType.NotFound, encodeNotFound(request.hash))
    return 0
  }
  const split = parts.split(block)
  if (split === undefined) throw new CannotServeError('a stored block the chain cannot split')
  const transactions: Uint8Array[] = []
  for (const index of request.indexes) {
    const transaction = split.transactions[index]
    if (transaction === undefined) {
      throw invalidFault(`get_block_transactions asks for index ${index} of ${split.transactions.length}`)
    }
    transactions.push(transaction)
  }
  await channel.write(
    BlocksFrameType.BlockTransactions,
    encodeBlockTransactions({ hash: request.hash, transactions }, chain.shape),
  )
  context.stats.transactionsServed += transactions.length
  return transactions.length
}
