/**
 * Matching an answer to the request it answers (protocols/blocks.md "Answers and
 * trimming", "Stream rules"). A well-formed answer of the wrong type, with more entries
 * than asked for, a `not_found` for a range, or a block or `not_found` for another hash
 * is 0x0A; a malformed one is 0x05. Entries are sized by the chain's shape; their contents
 * are the chain's to validate (the sync layer imports them through the port), except that a
 * get_block answer must be a block whose id, as the chain reads it, is the hash asked for.
 * The answer's entries are returned as bytes.
 */
import type { ChainShape } from '../../ports/chain.ts'
import { decodeBlockTransactions } from '../../wire/block-transactions.ts'
import {
  BlocksFrameType,
  decodeBlocks,
  decodeHeaders,
  decodeNotFound,
  type RangeRequest,
} from '../../wire/blocks.ts'
import { equalBytes } from '../../wire/bytes.ts'
import type { Frame } from '../../wire/frame.ts'
import { decodePeerPayload, invalidFault, unexpectedFault } from '../shared/faults.ts'
import type { BlocksChain } from './types.ts'

/** A request we send and what its answer must be. */
export type BlocksRequest =
  | { type: typeof BlocksFrameType.GetBlock; hash: Uint8Array }
  | { type: typeof BlocksFrameType.GetBlocks; range: RangeRequest }
  | { type: typeof BlocksFrameType.GetHeaders; range: RangeRequest }

function wrongType(request: BlocksRequest, frame: Frame): never {
  throw unexpectedFault(`a ${frame.type} frame does not answer ${request.type}`)
}

/**
 * The block of a `get_block` answer (undefined for `not_found`), checked by `chain` to be a
 * block whose id is `hash`.
 * @throws PeerFault 0x0A (mismatch: another block), 0x05 (malformed, or not a block of the chain)
 */
export function matchBlock(
  hash: Uint8Array,
  frame: Frame,
  chain: Pick<BlocksChain, 'readBlock'>,
  shape: Pick<ChainShape, 'isBlockLength'>,
): Uint8Array | undefined {
  const request: BlocksRequest = { type: BlocksFrameType.GetBlock, hash }
  const payload = frame.payload
  if (frame.type === BlocksFrameType.NotFound) {
    const named = decodePeerPayload(() => decodeNotFound(payload))
    if (!equalBytes(named, hash)) throw unexpectedFault('not_found names another hash than the one asked for')
    return undefined
  }
  if (frame.type !== BlocksFrameType.Blocks) wrongType(request, frame)
  const blocks = decodePeerPayload(() => decodeBlocks(payload, shape))
  if (blocks.length !== 1) throw unexpectedFault(`get_block answered with ${blocks.length} blocks, not 1`)
  const block = blocks[0] as Uint8Array
  const read = chain.readBlock(block)
  if (read === undefined)
    throw invalidFault('get_block answered with bytes that are not a block of this chain')
  if (!equalBytes(read.header.hash, hash)) {
    throw unexpectedFault('get_block answered with a block whose hash is not the one asked for')
  }
  return block
}

/**
 * The blocks of a `get_blocks` answer (0..count, trimmed by the responder).
 * @throws PeerFault 0x0A (mismatch), 0x05 (malformed)
 */
export function matchBlocks(
  range: RangeRequest,
  frame: Frame,
  shape: Pick<ChainShape, 'isBlockLength'>,
): Uint8Array[] {
  if (frame.type !== BlocksFrameType.Blocks) {
    wrongType({ type: BlocksFrameType.GetBlocks, range }, frame)
  }
  const payload = frame.payload
  const blocks = decodePeerPayload(() => decodeBlocks(payload, shape))
  if (blocks.length > range.count) {
    throw unexpectedFault(`get_blocks for ${range.count} answered with ${blocks.length} blocks`)
  }
  return blocks
}

/**
 * The header encodings (of the chain's size) of a `headers` answer (0..count, trimmed by
 * the responder).
 * @throws PeerFault 0x0A (mismatch), 0x05 (malformed)
 */
export function matchHeaders(
  range: RangeRequest,
  frame: Frame,
  shape: Pick<ChainShape, 'headerBytes'>,
): Uint8Array[] {
  if (frame.type !== BlocksFrameType.Headers) {
    wrongType({ type: BlocksFrameType.GetHeaders, range }, frame)
  }
  const payload = frame.payload
  const headers = decodePeerPayload(() => decodeHeaders(payload, shape.headerBytes))
  if (headers.length > range.count) {
    throw unexpectedFault(`get_headers for ${range.count} answered with ${headers.length} headers`)
  }
  return headers
}

/**
 * The transactions of a `get_block_transactions` answer (undefined for `not_found`): for
 * block `hash`, exactly `count` of them, each of the chain's transaction size. Whether they
 * are the ones asked for is the compact block's receiver's to check (by their short ids).
 * @throws PeerFault 0x0A (another block, another count, another type), 0x05 (malformed)
 */
export function matchBlockTransactions(
  hash: Uint8Array,
  count: number,
  frame: Frame,
  shape: Pick<ChainShape, 'transactionBytes' | 'maxBlockBytes'>,
): Uint8Array[] | undefined {
  const payload = frame.payload
  if (frame.type === BlocksFrameType.NotFound) {
    const named = decodePeerPayload(() => decodeNotFound(payload))
    if (!equalBytes(named, hash)) throw unexpectedFault('not_found names another hash than the one asked for')
    return undefined
  }
  if (frame.type !== BlocksFrameType.BlockTransactions) {
    throw unexpectedFault(`a ${frame.type} frame does not answer get_block_transactions`)
  }
  const answer = decodePeerPayload(() => decodeBlockTransactions(payload, shape))
  if (!equalBytes(answer.hash, hash)) throw unexpectedFault('block_transactions for another block')
  if (answer.transactions.length !== count) {
    throw unexpectedFault(`${answer.transactions.length} transactions answer a request for ${count}`)
  }
  return answer.transactions
}
