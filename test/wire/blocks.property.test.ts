import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { BLOCK_PREFIX_LENGTH, TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { ErrorCode } from '../../src/errors.ts'
import type { ChainShape } from '../../src/ports/chain.ts'
import {
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
  MAX_BLOCKS_PER_ANSWER,
  MAX_HEADERS_PER_ANSWER,
  rangeToServe,
} from '../../src/wire/blocks.ts'
import { hex, wireCodeOf } from '../support/vectors.ts'

const RUNS = { numRuns: 1000 }
const hexList = (list: Uint8Array[]) => list.map(hex)

/** A chain's shape, and the block lengths it allows: `prefix` + `step`·n. */
interface Sized {
  name: string
  shape: ChainShape
  prefix: number
  step: number
}

/**
 * The codec knows sizes only through the chain's shape: the reference chain's (189 + 152·n
 * byte blocks, 185-byte headers), and a made-up chain of another shape.
 */
const SHAPES: Sized[] = [
  { name: 'reference chain', shape: REFERENCE_SHAPE, prefix: BLOCK_PREFIX_LENGTH, step: TRANSACTION_LENGTH },
  {
    name: 'another chain (100-byte headers, 104 + 64·n byte blocks)',
    shape: {
      headerBytes: 100,
      transactionBytes: 64,
      hashBytes: 32,
      maxBlockBytes: 1_000_000,
      isBlockLength: (length) => length >= 104 && length <= 1_000_000 && (length - 104) % 64 === 0,
    },
    prefix: 104,
    step: 64,
  },
]

/** A block encoding's size (prefix + step·n bytes, n ≤ 6) with arbitrary contents. */
const blockOf = ({ prefix, step }: Sized) =>
  fc
    .integer({ min: 0, max: 6 })
    .chain((n) => fc.uint8Array({ minLength: prefix + n * step, maxLength: prefix + n * step }))
const headerOf = ({ shape }: Sized) =>
  fc.uint8Array({ minLength: shape.headerBytes, maxLength: shape.headerBytes })
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 })
const range = fc.record({
  startHeight: fc.integer({ min: 0, max: 0xffff_ffff }),
  count: fc.integer({ min: 1, max: 0xffff }),
})

/** `bytes` as a Uint8ArrayList cut at the given points. */
function listOf(bytes: Uint8Array, cuts: number[]): Uint8ArrayList {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const list = new Uint8ArrayList()
  let start = 0
  for (const point of [...points, bytes.length]) {
    list.append(bytes.subarray(start, point))
    start = point
  }
  return list
}
const cuts = fc.array(fc.nat(), { maxLength: 4 })

for (const sized of SHAPES) {
  const { shape } = sized
  const block = blockOf(sized)
  const header = headerOf(sized)

  describe(`blocks and headers properties, ${sized.name} (1,000 runs each)`, () => {
    it('blocks round trip, as one array and as a chunked list', () => {
      fc.assert(
        fc.property(fc.array(block, { maxLength: 8 }), cuts, (blocks, at) => {
          const payload = encodeBlocks(blocks, shape)
          expect(hexList(decodeBlocks(payload, shape))).toEqual(hexList(blocks))
          expect(hexList(decodeBlocks(listOf(payload, at), shape))).toEqual(hexList(blocks))
          expect(hex(new Uint8ArrayList(...encodeBlocksParts(blocks, shape)).subarray())).toBe(hex(payload))
        }),
        RUNS,
      )
    })

    it('headers round trip, as one array and as a chunked list', () => {
      fc.assert(
        fc.property(fc.array(header, { maxLength: 12 }), cuts, (headers, at) => {
          const payload = encodeHeaders(headers, shape.headerBytes)
          expect(hexList(decodeHeaders(payload, shape.headerBytes))).toEqual(hexList(headers))
          expect(hexList(decodeHeaders(listOf(payload, at), shape.headerBytes))).toEqual(hexList(headers))
        }),
        RUNS,
      )
    })

    const decoders = [
      [
        'blocks',
        (bytes: Uint8Array) => decodeBlocks(bytes, shape),
        (list: Uint8Array[]) => encodeBlocks(list, shape),
      ],
      [
        'headers',
        (bytes: Uint8Array) => decodeHeaders(bytes, shape.headerBytes),
        (list: Uint8Array[]) => encodeHeaders(list, shape.headerBytes),
      ],
    ] as const
    for (const [type, decode, encode] of decoders) {
      it(`${type}: arbitrary bytes decode to a list that re-encodes to them, or fail with 0x05`, () => {
        const shaped = fc
          .tuple(
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: 0, max: 4 }),
            fc.uint8Array({ maxLength: 900 }),
          )
          .map(([count, n, rest]) => {
            const length = sized.prefix + n * sized.step
            return Uint8Array.of(0, count, 0, 0, length >> 8, length & 0xff, ...rest)
          })
        fc.assert(
          fc.property(fc.oneof(fc.uint8Array({ maxLength: 900 }), shaped), (bytes) => {
            let decoded: Uint8Array[] | undefined
            const code = wireCodeOf(() => {
              decoded = decode(bytes)
            })
            if (code === undefined) expect(hex(encode(decoded as Uint8Array[]))).toBe(hex(bytes))
            else expect(code).toBe(ErrorCode.InvalidMessageFormat)
          }),
          RUNS,
        )
      })
    }

    it('cutting or extending a valid message anywhere is rejected with 0x05', () => {
      fc.assert(
        fc.property(
          fc.array(block, { minLength: 1, maxLength: 4 }),
          fc.array(header, { minLength: 1, maxLength: 4 }),
          hash,
          range,
          fc.nat(),
          fc.uint8Array({ minLength: 1, maxLength: 40 }),
          (blocks, headers, value, request, cut, extra) => {
            for (const [payload, decode] of [
              [encodeBlocks(blocks, shape), (bytes: Uint8Array) => decodeBlocks(bytes, shape)],
              [
                encodeHeaders(headers, shape.headerBytes),
                (bytes: Uint8Array) => decodeHeaders(bytes, shape.headerBytes),
              ],
              [encodeGetBlock(value), decodeGetBlock],
              [encodeNotFound(value), decodeNotFound],
              [encodeGetBlocks(request), decodeGetBlocks],
              [encodeGetHeaders(request), decodeGetHeaders],
            ] as const) {
              const short = payload.subarray(0, cut % payload.length)
              expect(wireCodeOf(() => decode(short))).toBe(ErrorCode.InvalidMessageFormat)
              const long = new Uint8Array([...payload, ...extra])
              expect(wireCodeOf(() => decode(long))).toBe(ErrorCode.InvalidMessageFormat)
            }
          },
        ),
        RUNS,
      )
    })
  })
}

describe('blocks codec properties (1,000 runs each)', () => {
  it('get_block and not_found round trip', () => {
    fc.assert(
      fc.property(hash, cuts, (value, at) => {
        expect(hex(decodeGetBlock(listOf(encodeGetBlock(value), at)))).toBe(hex(value))
        expect(hex(decodeNotFound(encodeNotFound(value)))).toBe(hex(value))
      }),
      RUNS,
    )
  })

  it('get_blocks and get_headers round trip', () => {
    fc.assert(
      fc.property(range, cuts, (request, at) => {
        expect(decodeGetBlocks(listOf(encodeGetBlocks(request), at))).toEqual(request)
        expect(decodeGetHeaders(encodeGetHeaders(request))).toEqual(request)
      }),
      RUNS,
    )
  })

  it('blocksThatFit takes a prefix within the bounds, at least one block, and stops only at a bound', () => {
    const lengths = fc.array(
      fc.integer({ min: BLOCK_PREFIX_LENGTH, max: 3 * 1024 * 1024 }).map((length) => ({ length })),
      {
        maxLength: 200,
      },
    )
    fc.assert(
      fc.property(lengths, (blocks) => {
        const taken = blocksThatFit(blocks)
        const total = blocks.slice(0, taken).reduce((sum, b) => sum + b.length, 0)
        expect(taken <= MAX_BLOCKS_PER_ANSWER).toBe(true)
        expect(taken >= Math.min(1, blocks.length)).toBe(true)
        if (taken > 1) expect(total <= MAX_BLOCK_ANSWER_BYTES).toBe(true)
        const next = blocks[taken]
        if (next !== undefined) {
          expect(taken === MAX_BLOCKS_PER_ANSWER || total + next.length > MAX_BLOCK_ANSWER_BYTES).toBe(true)
        }
      }),
      RUNS,
    )
  })

  it('rangeToServe: never above the count, the bound or the tip; 0 exactly above the tip', () => {
    fc.assert(
      fc.property(range, fc.integer({ min: 0, max: 0xffff_ffff }), (request, tip) => {
        const served = rangeToServe(request, tip, MAX_HEADERS_PER_ANSWER)
        expect(served <= Math.min(request.count, MAX_HEADERS_PER_ANSWER)).toBe(true)
        expect(served === 0).toBe(request.startHeight > tip)
        if (served > 0) expect(request.startHeight + served - 1 <= tip).toBe(true)
      }),
      RUNS,
    )
  })
})
