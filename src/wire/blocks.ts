/**
 * `/paw/blocks/1` payloads (000 BLOCK_REQUEST and BLOCK_RESPONSE; protocols/blocks.md):
 *
 *   get_block:   [32-byte block hash]
 *   get_blocks:  [u32 BE start height] [u16 BE count 1..65535]
 *   get_headers: [u32 BE start height] [u16 BE count 1..65535]
 *   blocks:      [u16 BE count 0..128] count × ([u32 BE length] [length bytes: a block encoding])
 *                with each length one the chain's block-length rule allows, at most
 *                MAX_BLOCK_ENCODING_BYTES, and the lengths of an answer of two or more blocks
 *                summing to at most MAX_BLOCK_ANSWER_BYTES
 *   headers:     [u16 BE count 0..512] count × [header encoding of the chain's fixed size]
 *   not_found:   [32-byte block hash] (the answer to a get_block for a block not held)
 *
 * A request's count is what the requester would like; an answer holds at most the bounds
 * above (a range over them is trimmed, not refused). Every fault is structural and rejects
 * the whole message with 0x05. The codec checks the framing of block and header entries only
 * (their sizes, by the chain's ChainShape: src/ports/chain.ts; protocols/blocks.md gives
 * the sizes of the chain on a PAW network); their contents are the chain's to read and
 * validate, through its port.
 * A stored block encoding is written as it is: `encodeBlocksParts` returns the payload as
 * a list of parts that reference the blocks, so a responder copies nothing; the decoders
 * return views of the input (for a Uint8ArrayList, a block split across chunks is copied).
 */
import { InvalidMessageFormatError } from '../errors.ts'
import type { ChainShape } from '../ports/chain.ts'
import { readerOf, u16At, u32At, writeU16, writeU32 } from './byte-reader.ts'
import type { ByteInput } from './bytes.ts'
import { MAX_FRAME_LENGTH } from './constants.ts'

/** Frame types of `/paw/blocks/1` (protocols/blocks.md). */
export const BlocksFrameType = {
  GetBlock: 'get_block',
  GetBlocks: 'get_blocks',
  GetHeaders: 'get_headers',
  Blocks: 'blocks',
  Headers: 'headers',
  NotFound: 'not_found',
  /** A compact block's missing transactions (block-transactions.ts). */
  GetBlockTransactions: 'get_block_transactions',
  BlockTransactions: 'block_transactions',
} as const

/** Bytes of a block hash, the id a chain gives a block (protocols/blocks.md: 32 bytes). */
export const BLOCK_HASH_LENGTH = 32

/**
 * The largest block encoding any chain's blocks may have on /paw/blocks/1: one frame less
 * 64 bytes (ChainShape.maxBlockBytes is at most this).
 */
export const MAX_BLOCK_ENCODING_BYTES = MAX_FRAME_LENGTH - 64

/** The chain's rule for the length of a block encoding (ChainShape.isBlockLength). */
export type BlockLengthRule = Pick<ChainShape, 'isBlockLength'>

/**
 * Most blocks in one `blocks` answer. The count bounds the storage reads an answer costs and
 * keeps small-block answers small (protocols/blocks.md "Answers and trimming").
 */
export const MAX_BLOCKS_PER_ANSWER = 128

/**
 * Most bytes of block encodings in a `blocks` answer of two or more blocks: 8 MiB. A single
 * block larger than this still goes alone (a block is at most MAX_BLOCK_ENCODING_BYTES, and
 * one always fits a frame), so a chain of full blocks is served one block per answer.
 */
export const MAX_BLOCK_ANSWER_BYTES = 8 * 1024 * 1024

/** Most headers in one `headers` answer (protocols/blocks.md "Answers and trimming"). */
export const MAX_HEADERS_PER_ANSWER = 512

/** Bytes of a `get_blocks` / `get_headers` payload: u32 start height, u16 count. */
export const RANGE_REQUEST_LENGTH = 6

/** Largest start height a range request can carry (u32). */
export const MAX_START_HEIGHT = 0xffff_ffff

/** Largest count a range request can carry (u16). */
export const MAX_REQUEST_COUNT = 0xffff

/** `get_blocks` and `get_headers`: blocks (headers) at heights start, start + 1, … */
export interface RangeRequest {
  startHeight: number
  count: number
}

const COUNT_BYTES = 2
const LENGTH_BYTES = 4

function fail(what: string, message: string): never {
  throw new InvalidMessageFormatError(`${what}: ${message}`)
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/** Whether `length` is a block encoding's by the chain's rule, and fits a `blocks` frame. */
function isBlockLength(length: number, rule: BlockLengthRule): boolean {
  return Number.isInteger(length) && length <= MAX_BLOCK_ENCODING_BYTES && rule.isBlockLength(length)
}

// ---- get_block and not_found: one block hash -------------------------------------------

function encodeHash(what: string, hash: Uint8Array): Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== BLOCK_HASH_LENGTH) {
    fail(what, `the block hash must be ${BLOCK_HASH_LENGTH} bytes`)
  }
  return hash.slice()
}

function decodeHash(what: string, input: ByteInput): Uint8Array {
  const reader = readerOf(input)
  if (reader.length !== BLOCK_HASH_LENGTH) {
    fail(what, `payload is ${reader.length} bytes, must be a ${BLOCK_HASH_LENGTH}-byte block hash`)
  }
  return reader.view(0, BLOCK_HASH_LENGTH)
}

/**
 * BLOCK_REQUEST by hash: the block whose header hashes to `hash`.
 * @throws InvalidMessageFormatError
 */
export function encodeGetBlock(hash: Uint8Array): Uint8Array {
  return encodeHash('get_block', hash)
}

/** @throws InvalidMessageFormatError for any fault (the whole message is rejected) */
export function decodeGetBlock(input: ByteInput): Uint8Array {
  return decodeHash('get_block', input)
}

/**
 * The answer to a `get_block` for a block the responder does not hold: the hash asked for.
 * @throws InvalidMessageFormatError
 */
export function encodeNotFound(hash: Uint8Array): Uint8Array {
  return encodeHash('not_found', hash)
}

/** @throws InvalidMessageFormatError for any fault (the whole message is rejected) */
export function decodeNotFound(input: ByteInput): Uint8Array {
  return decodeHash('not_found', input)
}

// ---- get_blocks and get_headers: a height range -----------------------------------------

function encodeRange(what: string, request: RangeRequest): Uint8Array {
  const { startHeight, count } = request
  if (!isInteger(startHeight, 0, MAX_START_HEIGHT)) fail(what, `start height must be 0..${MAX_START_HEIGHT}`)
  if (!isInteger(count, 1, MAX_REQUEST_COUNT)) fail(what, `count must be 1..${MAX_REQUEST_COUNT}`)
  const out = new Uint8Array(RANGE_REQUEST_LENGTH)
  writeU32(out, 0, startHeight)
  writeU16(out, 4, count)
  return out
}

function decodeRange(what: string, input: ByteInput): RangeRequest {
  const reader = readerOf(input)
  if (reader.length !== RANGE_REQUEST_LENGTH) {
    fail(what, `payload is ${reader.length} bytes, must be ${RANGE_REQUEST_LENGTH}`)
  }
  const count = u16At(reader, 4)
  if (count === 0) fail(what, 'count 0 asks for nothing')
  return { startHeight: u32At(reader, 0), count }
}

/**
 * BLOCK_REQUEST by range: up to `count` blocks of the best chain from `startHeight`. A count
 * over MAX_BLOCKS_PER_ANSWER is allowed; the answer is trimmed.
 * @throws InvalidMessageFormatError
 */
export function encodeGetBlocks(request: RangeRequest): Uint8Array {
  return encodeRange('get_blocks', request)
}

/** @throws InvalidMessageFormatError for any fault (the whole message is rejected) */
export function decodeGetBlocks(input: ByteInput): RangeRequest {
  return decodeRange('get_blocks', input)
}

/**
 * Headers by range: up to `count` headers of the best chain from `startHeight`. A count
 * over MAX_HEADERS_PER_ANSWER is allowed; the answer is trimmed.
 * @throws InvalidMessageFormatError
 */
export function encodeGetHeaders(request: RangeRequest): Uint8Array {
  return encodeRange('get_headers', request)
}

/** @throws InvalidMessageFormatError for any fault (the whole message is rejected) */
export function decodeGetHeaders(input: ByteInput): RangeRequest {
  return decodeRange('get_headers', input)
}

/**
 * How many heights of a range request a responder whose best chain ends at `tipHeight`
 * serves, before the byte budget: from `startHeight` up to the tip, at most `count` and at
 * most `max` (MAX_BLOCKS_PER_ANSWER or MAX_HEADERS_PER_ANSWER). 0 when the range starts
 * above the tip: the answer is then an empty `blocks` or `headers`.
 */
export function rangeToServe(request: RangeRequest, tipHeight: number, max: number): number {
  if (request.startHeight > tipHeight) return 0
  return Math.min(request.count, max, tipHeight - request.startHeight + 1)
}

// ---- blocks ---------------------------------------------------------------------------

/**
 * How many of `blocks` (in order) one `blocks` answer may carry: at most
 * MAX_BLOCKS_PER_ANSWER, and while their encodings total at most MAX_BLOCK_ANSWER_BYTES;
 * the first block always goes, however large. A responder serving a range answers with
 * this many (the rest is trimmed; the requester asks again from the next height).
 */
export function blocksThatFit(blocks: readonly Pick<Uint8Array, 'length'>[]): number {
  let total = 0
  let taken = 0
  for (const block of blocks) {
    if (taken === MAX_BLOCKS_PER_ANSWER) break
    if (taken > 0 && total + block.length > MAX_BLOCK_ANSWER_BYTES) break
    total += block.length
    taken++
  }
  return taken
}

function checkBlocks(what: string, blocks: readonly Uint8Array[], rule: BlockLengthRule): number {
  if (blocks.length > MAX_BLOCKS_PER_ANSWER) {
    fail(what, `holds ${blocks.length} blocks, must be at most ${MAX_BLOCKS_PER_ANSWER}`)
  }
  let total = 0
  for (const [index, block] of blocks.entries()) {
    if (!(block instanceof Uint8Array) || !isBlockLength(block.length, rule)) {
      fail(
        what,
        `block ${index} is not a block encoding's size (the chain's rule, ≤ ${MAX_BLOCK_ENCODING_BYTES})`,
      )
    }
    total += block.length
  }
  if (blocks.length > 1 && total > MAX_BLOCK_ANSWER_BYTES) {
    fail(what, `${blocks.length} blocks total ${total} bytes, over ${MAX_BLOCK_ANSWER_BYTES}`)
  }
  return total
}

/** Bytes of the `blocks` payload carrying `blocks`. */
export function blocksPayloadLength(blocks: readonly Pick<Uint8Array, 'length'>[]): number {
  return blocks.reduce((sum, block) => sum + LENGTH_BYTES + block.length, COUNT_BYTES)
}

/**
 * The `blocks` payload as parts to write in order: the count and each length prefix are new
 * small arrays, each block encoding is the caller's array itself (not copied). Write them
 * after `encodeFrameHeader('blocks', blocksPayloadLength(blocks))`.
 * @throws InvalidMessageFormatError for a list the decoder would reject
 */
export function encodeBlocksParts(blocks: readonly Uint8Array[], rule: BlockLengthRule): Uint8Array[] {
  checkBlocks('blocks', blocks, rule)
  const count = new Uint8Array(COUNT_BYTES)
  writeU16(count, 0, blocks.length)
  const parts: Uint8Array[] = [count]
  for (const block of blocks) {
    const length = new Uint8Array(LENGTH_BYTES)
    writeU32(length, 0, block.length)
    parts.push(length, block)
  }
  return parts
}

/**
 * BLOCK_RESPONSE: 0 to 128 block encodings, each as stored. Refuses anything the decoder
 * would reject. Copies the blocks into one payload; `encodeBlocksParts` does not.
 * @throws InvalidMessageFormatError
 */
export function encodeBlocks(blocks: readonly Uint8Array[], rule: BlockLengthRule): Uint8Array {
  const parts = encodeBlocksParts(blocks, rule)
  const out = new Uint8Array(blocksPayloadLength(blocks))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * The block encodings of a `blocks` payload, in order, as views of the input where it
 * allows. Checks their sizes only (by the chain's `rule`): the chain reads each.
 * @throws InvalidMessageFormatError for any fault (the whole message is rejected)
 */
export function decodeBlocks(input: ByteInput, rule: BlockLengthRule): Uint8Array[] {
  const what = 'blocks'
  const reader = readerOf(input)
  if (reader.length < COUNT_BYTES) fail(what, 'payload ends before the 2-byte count')
  const count = u16At(reader, 0)
  if (count > MAX_BLOCKS_PER_ANSWER) fail(what, `count ${count} is over ${MAX_BLOCKS_PER_ANSWER}`)
  const spans: Array<[number, number]> = []
  let at = COUNT_BYTES
  let total = 0
  for (let index = 0; index < count; index++) {
    if (at + LENGTH_BYTES > reader.length) fail(what, `payload ends before the length of block ${index}`)
    const length = u32At(reader, at)
    if (!isBlockLength(length, rule)) {
      fail(
        what,
        `block ${index} length ${length} is not a block encoding's (the chain's rule, ≤ ${MAX_BLOCK_ENCODING_BYTES})`,
      )
    }
    total += length
    if (index > 0 && total > MAX_BLOCK_ANSWER_BYTES) {
      fail(what, `blocks 0..${index} total ${total} bytes, over ${MAX_BLOCK_ANSWER_BYTES}`)
    }
    at += LENGTH_BYTES
    if (at + length > reader.length) {
      fail(what, `block ${index} needs ${length} bytes, the payload has ${reader.length - at} left`)
    }
    spans.push([at, at + length])
    at += length
  }
  if (at !== reader.length) fail(what, `${reader.length - at} bytes after the last block`)
  return spans.map(([start, end]) => reader.view(start, end))
}

// ---- headers --------------------------------------------------------------------------

/** Whether `headerBytes` can be a chain's header size. @throws RangeError if not */
function checkHeaderBytes(headerBytes: number): void {
  if (!Number.isSafeInteger(headerBytes) || headerBytes < 1) {
    throw new RangeError(`a header encoding is a positive whole number of bytes, got ${headerBytes}`)
  }
}

/**
 * The answer to `get_headers`: 0 to 512 header encodings, each `headerBytes` long (the
 * chain's ChainShape.headerBytes).
 * @throws InvalidMessageFormatError; RangeError for a `headerBytes` no chain can have
 */
export function encodeHeaders(headers: readonly Uint8Array[], headerBytes: number): Uint8Array {
  const what = 'headers'
  checkHeaderBytes(headerBytes)
  if (headers.length > MAX_HEADERS_PER_ANSWER) {
    fail(what, `holds ${headers.length} headers, must be at most ${MAX_HEADERS_PER_ANSWER}`)
  }
  const out = new Uint8Array(COUNT_BYTES + headers.length * headerBytes)
  writeU16(out, 0, headers.length)
  for (const [index, header] of headers.entries()) {
    if (!(header instanceof Uint8Array) || header.length !== headerBytes) {
      fail(what, `header ${index} must be ${headerBytes} bytes`)
    }
    out.set(header, COUNT_BYTES + index * headerBytes)
  }
  return out
}

/**
 * The header encodings of a `headers` payload, in order, as views of the input where it
 * allows. Checks their sizes only (each `headerBytes`, the chain's): the chain reads each.
 * @throws InvalidMessageFormatError for any fault (the whole message is rejected);
 *   RangeError for a `headerBytes` no chain can have
 */
export function decodeHeaders(input: ByteInput, headerBytes: number): Uint8Array[] {
  const what = 'headers'
  checkHeaderBytes(headerBytes)
  const reader = readerOf(input)
  if (reader.length < COUNT_BYTES) fail(what, 'payload ends before the 2-byte count')
  const count = u16At(reader, 0)
  if (count > MAX_HEADERS_PER_ANSWER) fail(what, `count ${count} is over ${MAX_HEADERS_PER_ANSWER}`)
  const expected = COUNT_BYTES + count * headerBytes
  if (reader.length !== expected) {
    fail(what, `count ${count} needs ${expected} bytes, the payload has ${reader.length}`)
  }
  const headers: Uint8Array[] = []
  for (let index = 0; index < count; index++) {
    const start = COUNT_BYTES + index * headerBytes
    headers.push(reader.view(start, start + headerBytes))
  }
  return headers
}
