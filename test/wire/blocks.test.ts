import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import {
  BLOCK_PREFIX_LENGTH,
  decodeBlock,
  decodeHeader,
  HEADER_LENGTH,
  TRANSACTION_LENGTH,
} from '../../src/chain/encoding.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { MAX_BLOCK_BYTES } from '../../src/chain/params.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { isPawError } from '../../src/errors.ts'
import {
  BLOCK_HASH_LENGTH,
  BlocksFrameType,
  blocksPayloadLength,
  blocksThatFit,
  decodeBlocks,
  decodeGetBlock,
  decodeGetBlocks,
  decodeGetHeaders,
  decodeHeaders,
  decodeNotFound,
  encodeBlocks,
  encodeBlocksParts,
  encodeGetBlock,
  encodeGetBlocks,
  encodeGetHeaders,
  encodeHeaders,
  encodeNotFound,
  MAX_BLOCK_ANSWER_BYTES,
  MAX_BLOCK_ENCODING_BYTES,
  MAX_BLOCKS_PER_ANSWER,
  MAX_HEADERS_PER_ANSWER,
  type RangeRequest,
  rangeToServe,
} from '../../src/wire/blocks.ts'
import { encodeFrame, encodeFrameHeader, type Frame } from '../../src/wire/frame.ts'
import { FrameDecoder } from '../../src/wire/frame-decoder.ts'
import { type ByteSpec, bytesOf, errorCode, hex, loadVectors, wireCodeOf } from '../support/vectors.ts'

/** A list of blocks or headers: each item a byte field, or `{ block|header, count }` (count copies). */
type Item = ByteSpec | { block: ByteSpec; count: number } | { header: ByteSpec; count: number }

interface HashVectors {
  valid: Array<{ name: string; payload: ByteSpec; hash: string }>
  invalid: Array<{ name: string; payload: ByteSpec; error: string }>
  encodeInvalid: Array<{ name: string; hash: string; error: string }>
}
interface RangeVectors {
  valid: Array<{ name: string; payload: ByteSpec; startHeight: number; count: number }>
  invalid: Array<{ name: string; payload: ByteSpec; error: string }>
  encodeInvalid: Array<{ name: string; startHeight: number; count: number; error: string }>
}
interface ListVectors<K extends string> {
  valid: Array<{ name: string; payload: ByteSpec } & Record<K, Item[]>>
  invalid: Array<{ name: string; payload: ByteSpec; error: string }>
  encodeInvalid: Array<{ name: string; error: string } & Record<K, Item[]>>
}
interface BlocksVectors {
  limits: {
    hashLength: number
    headerLength: number
    blockPrefixLength: number
    transactionLength: number
    maxBlockEncodingBytes: number
    largestBlockEncoding: number
    maxBlocksPerAnswer: number
    maxBlockAnswerBytes: number
    maxHeadersPerAnswer: number
  }
  samples: {
    chainId: string
    genesisHash: string
    notHeld: string
    block: { hash: string; header: string; hex: string }
  }
  frames: Array<{ name: string; type: string; payload: string; hex: string }>
  getBlock: HashVectors
  notFound: HashVectors
  getBlocks: RangeVectors
  getHeaders: RangeVectors
  blocks: ListVectors<'blocks'>
  headers: ListVectors<'headers'>
  trimming: Array<{
    name: string
    request: 'get_blocks' | 'get_headers'
    startHeight: number
    count: number
    tipHeight: number
    blockLengths?: Array<{ length: number; count: number }>
    answerCount: number
    nextStartHeight: number
  }>
}

const vectors = loadVectors<BlocksVectors>('blocks')

function itemsOf(list: Item[]): Uint8Array[] {
  return list.flatMap((item) => {
    if (typeof item === 'object' && !Array.isArray(item)) {
      const entry = bytesOf('block' in item ? item.block : item.header)
      return Array.from({ length: item.count }, () => entry)
    }
    return [bytesOf(item)]
  })
}
const hexList = (list: Uint8Array[]) => list.map(hex)

/**
 * Every split of `bytes` into two chunks of a Uint8ArrayList; for payloads over 4,096 bytes
 * (the multi-MiB vectors) the first 64 cuts, the last and 32 evenly spaced ones.
 */
function* splits(bytes: Uint8Array): Generator<Uint8ArrayList> {
  const points = new Set<number>()
  if (bytes.length <= 4096) for (let cut = 0; cut <= bytes.length; cut++) points.add(cut)
  else {
    for (let cut = 0; cut <= 64; cut++) points.add(cut)
    for (let i = 1; i <= 32; i++) points.add(Math.floor((bytes.length * i) / 33))
    points.add(bytes.length - 1)
  }
  for (const cut of points) yield new Uint8ArrayList(bytes.subarray(0, cut), bytes.subarray(cut))
}

/** Same entries, compared without hex strings (some are MiBs). */
function sameList(actual: Uint8Array[], expected: Uint8Array[]): boolean {
  return (
    actual.length === expected.length &&
    actual.every((entry, i) => Buffer.from(entry).equals(Buffer.from(expected[i] as Uint8Array)))
  )
}

/** Runs `check` on the payload as one array and as every two-chunk Uint8ArrayList. */
function everySplit(payload: Uint8Array, check: (input: Uint8Array | Uint8ArrayList) => void): void {
  check(payload)
  for (const list of splits(payload)) check(list)
}

describe('protocols/blocks.vectors.json', () => {
  it("limits match the codec and the reference chain's shape (src/chain/port/shape.ts)", () => {
    expect(vectors.limits).toEqual({
      hashLength: BLOCK_HASH_LENGTH,
      headerLength: REFERENCE_SHAPE.headerBytes,
      blockPrefixLength: BLOCK_PREFIX_LENGTH,
      transactionLength: REFERENCE_SHAPE.transactionBytes,
      maxBlockEncodingBytes: MAX_BLOCK_ENCODING_BYTES,
      largestBlockEncoding: vectors.limits.largestBlockEncoding,
      maxBlocksPerAnswer: MAX_BLOCKS_PER_ANSWER,
      maxBlockAnswerBytes: MAX_BLOCK_ANSWER_BYTES,
      maxHeadersPerAnswer: MAX_HEADERS_PER_ANSWER,
    })
    expect([
      REFERENCE_SHAPE.headerBytes,
      REFERENCE_SHAPE.transactionBytes,
      REFERENCE_SHAPE.hashBytes,
      REFERENCE_SHAPE.maxBlockBytes,
      MAX_BLOCK_ENCODING_BYTES,
    ]).toEqual([HEADER_LENGTH, TRANSACTION_LENGTH, BLOCK_HASH_LENGTH, MAX_BLOCK_BYTES, MAX_BLOCK_BYTES])
    const largest = vectors.limits.largestBlockEncoding
    expect(REFERENCE_SHAPE.isBlockLength(largest)).toBe(true)
    expect(REFERENCE_SHAPE.isBlockLength(largest + TRANSACTION_LENGTH)).toBe(false)
    expect(largest <= MAX_BLOCK_BYTES && largest + TRANSACTION_LENGTH > MAX_BLOCK_BYTES).toBe(true)
    expect((largest - BLOCK_PREFIX_LENGTH) % TRANSACTION_LENGTH).toBe(0)
  })

  it(`the reference chain's block-length rule is ${BLOCK_PREFIX_LENGTH} + ${TRANSACTION_LENGTH}·n up to its largest block`, () => {
    expect(REFERENCE_SHAPE.isBlockLength(BLOCK_PREFIX_LENGTH)).toBe(true)
    expect(REFERENCE_SHAPE.isBlockLength(BLOCK_PREFIX_LENGTH + 3 * TRANSACTION_LENGTH)).toBe(true)
    expect(REFERENCE_SHAPE.isBlockLength(BLOCK_PREFIX_LENGTH - 1)).toBe(false)
    expect(REFERENCE_SHAPE.isBlockLength(BLOCK_PREFIX_LENGTH + 1)).toBe(false)
    expect(REFERENCE_SHAPE.isBlockLength(HEADER_LENGTH)).toBe(false)
  })

  it('the largest blocks answer fits one frame', () => {
    const length = blocksPayloadLength([{ length: vectors.limits.largestBlockEncoding }])
    expect(() => encodeFrameHeader(BlocksFrameType.Blocks, length)).not.toThrow()
  })

  it('the sample block decodes, its header hashes to its hash', () => {
    const block = decodeBlock(bytesOf(vectors.samples.block.hex))
    expect(hex(blockHash(block.header))).toBe(vectors.samples.block.hash)
    expect(hex(bytesOf(vectors.samples.block.hex).subarray(0, HEADER_LENGTH))).toBe(
      vectors.samples.block.header,
    )
    expect(decodeHeader(bytesOf(vectors.samples.block.header)).height).toBe(1)
  })

  describe('frames on the wire', () => {
    for (const vector of vectors.frames) {
      it(vector.name, () => {
        const items = new FrameDecoder().decode(bytesOf(vector.hex))
        expect(items).toHaveLength(1)
        expect(isPawError(items[0])).toBe(false)
        const { type, payload } = items[0] as Frame
        expect(type).toBe(vector.type)
        expect(hex(payload.subarray())).toBe(vector.payload)
        expect(hex(encodeFrame(vector.type, payload.subarray()))).toBe(vector.hex)
      })
    }
    it('every frame type of BlocksFrameType has a frame vector (compact relay’s two: in compact-blocks.vectors.json)', () => {
      const compact = loadVectors<{ getBlockTransactions: unknown[]; blockTransactions: unknown[] }>(
        'compact-blocks',
      )
      expect(compact.getBlockTransactions.length).toBeGreaterThan(0)
      expect(compact.blockTransactions.length).toBeGreaterThan(0)
      const elsewhere: string[] = [BlocksFrameType.GetBlockTransactions, BlocksFrameType.BlockTransactions]
      expect(vectors.frames.map((f) => f.type).sort()).toEqual(
        Object.values(BlocksFrameType)
          .filter((type) => !elsewhere.includes(type))
          .sort(),
      )
    })
  })

  const hashCodecs = [
    ['get_block', vectors.getBlock, decodeGetBlock, encodeGetBlock],
    ['not_found', vectors.notFound, decodeNotFound, encodeNotFound],
  ] as const
  for (const [type, set, decode, encode] of hashCodecs) {
    describe(`${type}: valid (every split)`, () => {
      for (const vector of set.valid) {
        it(vector.name, () => {
          const payload = bytesOf(vector.payload)
          everySplit(payload, (input) => expect(hex(decode(input))).toBe(vector.hash))
          expect(hex(encode(bytesOf(vector.hash)))).toBe(hex(payload))
        })
      }
    })
    describe(`${type}: invalid (the whole message is rejected)`, () => {
      for (const vector of set.invalid) {
        it(`${vector.name} → ${vector.error}`, () => {
          expect(wireCodeOf(() => decode(bytesOf(vector.payload)))).toBe(errorCode(vector.error))
        })
      }
    })
    describe(`${type}: hashes this node refuses to send`, () => {
      for (const vector of set.encodeInvalid) {
        it(`${vector.name} → ${vector.error}`, () => {
          expect(wireCodeOf(() => encode(bytesOf(vector.hash)))).toBe(errorCode(vector.error))
        })
      }
    })
  }

  const rangeCodecs = [
    ['get_blocks', vectors.getBlocks, decodeGetBlocks, encodeGetBlocks],
    ['get_headers', vectors.getHeaders, decodeGetHeaders, encodeGetHeaders],
  ] as const
  for (const [type, set, decode, encode] of rangeCodecs) {
    describe(`${type}: valid (every split)`, () => {
      for (const vector of set.valid) {
        it(vector.name, () => {
          const payload = bytesOf(vector.payload)
          const request: RangeRequest = { startHeight: vector.startHeight, count: vector.count }
          everySplit(payload, (input) => expect(decode(input)).toEqual(request))
          expect(hex(encode(request))).toBe(hex(payload))
        })
      }
    })
    describe(`${type}: invalid (the whole message is rejected)`, () => {
      for (const vector of set.invalid) {
        it(`${vector.name} → ${vector.error}`, () => {
          expect(wireCodeOf(() => decode(bytesOf(vector.payload)))).toBe(errorCode(vector.error))
        })
      }
    })
    describe(`${type}: requests this node refuses to send`, () => {
      for (const vector of set.encodeInvalid) {
        it(`${vector.name} → ${vector.error}`, () => {
          const request = { startHeight: vector.startHeight, count: vector.count }
          expect(wireCodeOf(() => encode(request))).toBe(errorCode(vector.error))
        })
      }
    })
  }

  describe('blocks: valid (every split)', () => {
    for (const vector of vectors.blocks.valid) {
      it(vector.name, () => {
        const payload = bytesOf(vector.payload)
        const blocks = itemsOf(vector.blocks)
        everySplit(payload, (input) =>
          expect(sameList(decodeBlocks(input, REFERENCE_SHAPE), blocks)).toBe(true),
        )
        expect(Buffer.from(encodeBlocks(blocks, REFERENCE_SHAPE)).equals(payload)).toBe(true)
        const parts = encodeBlocksParts(blocks, REFERENCE_SHAPE)
        expect(Buffer.from(new Uint8ArrayList(...parts).subarray()).equals(payload)).toBe(true)
        expect(blocksPayloadLength(blocks)).toBe(payload.length)
        // the stored encodings are sent as they are, not copied
        for (const [index, block] of blocks.entries()) expect(parts[2 + 2 * index]).toBe(block)
        // the decoder returns views of a contiguous payload
        for (const block of decodeBlocks(payload, REFERENCE_SHAPE)) expect(block.buffer).toBe(payload.buffer)
      })
    }
  })

  describe('blocks: invalid (the whole message is rejected)', () => {
    for (const vector of vectors.blocks.invalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        const payload = bytesOf(vector.payload)
        expect(wireCodeOf(() => decodeBlocks(payload, REFERENCE_SHAPE))).toBe(errorCode(vector.error))
        const list = new Uint8ArrayList(payload.subarray(0, 3), payload.subarray(3))
        expect(wireCodeOf(() => decodeBlocks(list, REFERENCE_SHAPE))).toBe(errorCode(vector.error))
      })
    }
  })

  describe('blocks: answers this node refuses to send', () => {
    for (const vector of vectors.blocks.encodeInvalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        const blocks = itemsOf(vector.blocks)
        expect(wireCodeOf(() => encodeBlocks(blocks, REFERENCE_SHAPE))).toBe(errorCode(vector.error))
        expect(wireCodeOf(() => encodeBlocksParts(blocks, REFERENCE_SHAPE))).toBe(errorCode(vector.error))
      })
    }
  })

  describe('headers: valid (every split)', () => {
    for (const vector of vectors.headers.valid) {
      it(vector.name, () => {
        const payload = bytesOf(vector.payload)
        const headers = itemsOf(vector.headers)
        const expected = hexList(headers)
        const { headerBytes } = REFERENCE_SHAPE
        everySplit(payload, (input) => expect(hexList(decodeHeaders(input, headerBytes))).toEqual(expected))
        expect(hex(encodeHeaders(headers, headerBytes))).toBe(hex(payload))
        for (const header of decodeHeaders(payload, headerBytes)) expect(header.buffer).toBe(payload.buffer)
      })
    }
  })

  describe('headers: invalid (the whole message is rejected)', () => {
    for (const vector of vectors.headers.invalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        const payload = bytesOf(vector.payload)
        expect(wireCodeOf(() => decodeHeaders(payload, REFERENCE_SHAPE.headerBytes))).toBe(
          errorCode(vector.error),
        )
      })
    }
  })

  describe('headers: answers this node refuses to send', () => {
    for (const vector of vectors.headers.encodeInvalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        const headers = itemsOf(vector.headers)
        expect(wireCodeOf(() => encodeHeaders(headers, REFERENCE_SHAPE.headerBytes))).toBe(
          errorCode(vector.error),
        )
      })
    }
  })

  describe('trimming: a range over the bounds is answered with fewer', () => {
    for (const vector of vectors.trimming) {
      it(vector.name, () => {
        const request = { startHeight: vector.startHeight, count: vector.count }
        if (vector.request === 'get_headers') {
          expect(rangeToServe(request, vector.tipHeight, MAX_HEADERS_PER_ANSWER)).toBe(vector.answerCount)
        } else {
          const lengths = (vector.blockLengths ?? []).flatMap(({ length, count }) =>
            Array.from({ length: count }, () => ({ length })),
          )
          const heights = rangeToServe(request, vector.tipHeight, MAX_BLOCKS_PER_ANSWER)
          expect(lengths.length).toBeGreaterThanOrEqual(heights)
          expect(blocksThatFit(lengths.slice(0, heights))).toBe(vector.answerCount)
        }
        expect(vector.nextStartHeight).toBe(vector.startHeight + vector.answerCount)
      })
    }
  })
})
