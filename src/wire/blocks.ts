/**
 * `/paw/blocks/1` payloads (000 BLOCK_REQUEST and BLOCK_RESPONSE; protocols/blocks.md):
 *
 *   get_block:   [32-byte block hash]
 *   get_blocks:  [u32 BE start height] [u16 BE count 1..65535]
 *   get_headers: [u32 BE start height] [u16 BE count 1..65535]
 *   blocks:      [u16 BE count 0..128] count × ([u32 BE length] [length bytes: a block encoding])
 *                with each length 157 + 152·n ≤ MAX_BLOCK_ENCODING_BYTES, and the lengths of an
 *                answer of two or more blocks summing to at most MAX_BLOCK_ANSWER_BYTES
 *   headers:     [u16 BE count 0..512] count × [153-byte header encoding]
 *   not_found:   [32-byte block hash] (the answer to a get_block for a block not held)
 *
 * A request's count is what the requester would like; an answer holds at most the bounds
 * above (a range over them is trimmed, not refused). Every fault is structural and rejects
 * the whole message with 0x05. The codec checks the framing of block and header entries only
 * (their sizes); their contents are decoded and validated by the caller (src/chain).
 * A stored block encoding is written as it is: `encodeBlocksParts` returns the payload as
 * a list of parts that reference the blocks, so a responder copies nothing; the decoders
 * return views of the input (for a Uint8ArrayList, a block split across chunks is copied).
 */
import type { Uint8ArrayList } from 'uint8arraylist'
import { InvalidMessageFormatError } from '../errors.ts'
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
} as const

/** Bytes of a block hash (SHA-256 of the header encoding). */
export const BLOCK_HASH_LENGTH = 32

/** Bytes of a header encoding (docs/chain.md "Header: 153 bytes"; HEADER_LENGTH). */
export const BLOCK_HEADER_LENGTH = 153

/** Bytes of a block encoding before its transactions: header and u32 count. */
export const BLOCK_PREFIX_BYTES = 157

/** Bytes of one transaction in a block encoding. */
export const BLOCK_TRANSACTION_BYTES = 152

/** The largest block encoding (src/chain/params.ts MAX_BLOCK_BYTES): one frame less 64 bytes. */
export const MAX_BLOCK_ENCODING_BYTES = MAX_FRAME_LENGTH - 64

/**
 * Most blocks in one `blocks` answer. Empty blocks are 309 bytes, so the count bounds the
 * storage reads an answer costs and keeps small-block answers small (128 × 309 ≈ 39 KiB).
 */
export const MAX_BLOCKS_PER_ANSWER = 128

/**
 * Most bytes of block encodings in a `blocks` answer of two or more blocks: 8 MiB. A single
 * block larger than this still goes alone (a block is at most MAX_BLOCK_ENCODING_BYTES, and
 * one always fits a frame), so a chain of full blocks is served one block per answer.
 */
export const MAX_BLOCK_ANSWER_BYTES = 8 * 1024 * 1024

/** Most headers in one `headers` answer: 512 × 153 = 78,336 bytes. */
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

/** Reads bytes of a Uint8Array or a Uint8ArrayList without joining the list's chunks. */
interface Reader {
  readonly length: number
  byte(index: number): number
  /** A view of [start, end) where the input allows one, else a copy. */
  view(start: number, end: number): Uint8Array
}

function readerOf(input: ByteInput): Reader {
  if (input instanceof Uint8Array) {
    return {
      length: input.length,
      byte: (index) => input[index] as number,
      view: (start, end) => input.subarray(start, end),
    }
  }
  const list: Uint8ArrayList = input
  return {
    length: list.byteLength,
    byte: (index) => list.get(index),
    view: (start, end) => list.subarray(start, end),
  }
}

const u16At = (reader: Reader, at: number): number => (reader.byte(at) << 8) | reader.byte(at + 1)
const u32At = (reader: Reader, at: number): number =>
  reader.byte(at) * 0x100_0000 +
  ((reader.byte(at + 1) << 16) | (reader.byte(at + 2) << 8) | reader.byte(at + 3))

function writeU16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 8
  out[at + 1] = value & 0xff
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24
  out[at + 1] = (value >>> 16) & 0xff
  out[at + 2] = (value >>> 8) & 0xff
  out[at + 3] = value & 0xff
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/** Whether `length` is a possible block encoding size: 157 + 152·n, at most the frame allows. */
export function isBlockEncodingLength(length: number): boolean {
  return (
    Number.isInteger(length) &&
    length >= BLOCK_PREFIX_BYTES &&
    length <= MAX_BLOCK_ENCODING_BYTES &&
    (length - BLOCK_PREFIX_BYTES) % BLOCK_TRANSACTION_BYTES === 0
  )
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

function checkBlocks(what: string, blocks: readonly Uint8Array[]): number {
  if (blocks.length > MAX_BLOCKS_PER_ANSWER) {
    fail(what, `holds ${blocks.length} blocks, must be at most ${MAX_BLOCKS_PER_ANSWER}`)
  }
  let total = 0
  for (const [index, block] of blocks.entries()) {
    if (!(block instanceof Uint8Array) || !isBlockEncodingLength(block.length)) {
      fail(what, `block ${index} is not a block encoding's size (157 + 152·n, ≤ ${MAX_BLOCK_ENCODING_BYTES})`)
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
export function encodeBlocksParts(blocks: readonly Uint8Array[]): Uint8Array[] {
  checkBlocks('blocks', blocks)
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
export function encodeBlocks(blocks: readonly Uint8Array[]): Uint8Array {
  const parts = encodeBlocksParts(blocks)
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
 * allows. Checks their sizes only: decode each with src/chain/encoding.ts.
 * @throws InvalidMessageFormatError for any fault (the whole message is rejected)
 */
export function decodeBlocks(input: ByteInput): Uint8Array[] {
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
    if (!isBlockEncodingLength(length)) {
      fail(what, `block ${index} length ${length} is not 157 + 152·n, at most ${MAX_BLOCK_ENCODING_BYTES}`)
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

/**
 * The answer to `get_headers`: 0 to 512 header encodings of 153 bytes.
 * @throws InvalidMessageFormatError
 */
export function encodeHeaders(headers: readonly Uint8Array[]): Uint8Array {
  const what = 'headers'
  if (headers.length > MAX_HEADERS_PER_ANSWER) {
    fail(what, `holds ${headers.length} headers, must be at most ${MAX_HEADERS_PER_ANSWER}`)
  }
  const out = new Uint8Array(COUNT_BYTES + headers.length * BLOCK_HEADER_LENGTH)
  writeU16(out, 0, headers.length)
  for (const [index, header] of headers.entries()) {
    if (!(header instanceof Uint8Array) || header.length !== BLOCK_HEADER_LENGTH) {
      fail(what, `header ${index} must be ${BLOCK_HEADER_LENGTH} bytes`)
    }
    out.set(header, COUNT_BYTES + index * BLOCK_HEADER_LENGTH)
  }
  return out
}

/**
 * The header encodings of a `headers` payload, in order, as views of the input where it
 * allows. Checks their sizes only: decode each with src/chain/encoding.ts.
 * @throws InvalidMessageFormatError for any fault (the whole message is rejected)
 */
export function decodeHeaders(input: ByteInput): Uint8Array[] {
  const what = 'headers'
  const reader = readerOf(input)
  if (reader.length < COUNT_BYTES) fail(what, 'payload ends before the 2-byte count')
  const count = u16At(reader, 0)
  if (count > MAX_HEADERS_PER_ANSWER) fail(what, `count ${count} is over ${MAX_HEADERS_PER_ANSWER}`)
  const expected = COUNT_BYTES + count * BLOCK_HEADER_LENGTH
  if (reader.length !== expected) {
    fail(what, `count ${count} needs ${expected} bytes, the payload has ${reader.length}`)
  }
  const headers: Uint8Array[] = []
  for (let index = 0; index < count; index++) {
    const start = COUNT_BYTES + index * BLOCK_HEADER_LENGTH
    headers.push(reader.view(start, start + BLOCK_HEADER_LENGTH))
  }
  return headers
}
