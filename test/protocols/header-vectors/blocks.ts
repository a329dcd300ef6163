/**
 * Builds protocols/blocks.vectors.json (protocols/blocks.md; format
 * protocols/README.md#test-vectors) from the reference chain's sizes and the sample block.
 * Every size a vector shows is derived from the layout (the header, the block prefix, the
 * transaction size, the bounds), so the file follows the header's version; the trimming
 * vectors are trimming.ts's.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { blocksLimits } from '../../../src/protocols/blocks/limits.ts'
import { fromHex, toHex, utf8Encode } from '../../../src/wire/bytes.ts'
import { encodeFrame } from '../../../src/wire/frame.ts'
import type { FrameLimits } from '../../../src/wire/frame-limits.ts'
import type { ByteSpec } from '../../support/vectors.ts'
import { buildTrimming, type Trimmer } from './trimming.ts'

/** The sizes and bounds the vectors are written for (the file's `limits`). */
export interface BlocksLayout {
  hashLength: number
  headerLength: number
  blockPrefixLength: number
  transactionLength: number
  maxBlockEncodingBytes: number
  maxBlocksPerAnswer: number
  maxBlockAnswerBytes: number
  maxHeadersPerAnswer: number
}

/** The sample block, as hex. */
export interface BlocksSample {
  chainId: string
  genesisHash: string
  block: { hash: string; header: string; hex: string }
}

type Segment = string | { hex: string; repeat: number }
type Item = ByteSpec | { block: ByteSpec; count: number } | { header: ByteSpec; count: number }

const u16 = (n: number): string => n.toString(16).padStart(4, '0')
const u32 = (n: number): string => n.toString(16).padStart(8, '0')
const zeros = (n: number): Segment => ({ hex: '00', repeat: n })
const E = '0x05'
const table = (limits: FrameLimits) => ({
  accepted: Object.fromEntries(limits.accepted),
  ceiling: limits.ceiling,
})

export function buildBlocksVectors(
  layout: BlocksLayout,
  sample: BlocksSample,
  trim: Trimmer,
): Record<string, unknown> {
  const { headerLength: H, blockPrefixLength: P, transactionLength: T } = layout
  const budget = layout.maxBlockAnswerBytes
  const bound = layout.maxBlocksPerAnswer
  const { hash, header, hex } = sample.block
  const blockLength = hex.length / 2
  const txCount = (blockLength - P) / T
  const notHeld = toHex(sha256(utf8Encode('not a block')))

  /** A block of n transactions; the smallest block with one (a coinbase) is `one`. */
  const blockOf = (n: number) => P + T * n
  const one = blockOf(1)
  const largest = blockOf(Math.floor((layout.maxBlockEncodingBytes - P) / T))
  const atLeast = (bytes: number) => blockOf(Math.ceil((bytes - P) / T))
  const atMost = (bytes: number) => blockOf(Math.floor((bytes - P) / T))
  // Two blocks as large as the budget allows together.
  const twoTotal = Math.floor((budget - 2 * P) / T)
  const [twoA, twoB] = [blockOf(Math.floor(twoTotal / 2)), blockOf(Math.ceil(twoTotal / 2))]
  // The most blocks (≤ the count bound) that can total exactly the budget: c − 1 smallest and one large.
  let exact = bound
  while (exact > 1 && (budget - exact * P) % T !== 0) exact--
  const big = budget - (exact - 1) * P
  const sampleEntry = u32(blockLength) + hex
  const smallest = (count: number): Segment[] =>
    Array.from({ length: count }, () => [u32(P), zeros(P)]).flat()

  const hashCases = {
    valid: [
      { name: 'the sample block hash', payload: hash, hash },
      { name: `the ${sample.chainId} genesis hash`, payload: sample.genesisHash, hash: sample.genesisHash },
      { name: 'a hash no one holds', payload: notHeld, hash: notHeld },
    ],
    invalid: [
      { name: 'empty payload', payload: '', error: E },
      { name: `${layout.hashLength - 1} bytes (short)`, payload: hash.slice(0, -2), error: E },
      { name: `${layout.hashLength + 1} bytes (trailing)`, payload: `${hash}00`, error: E },
      { name: 'two hashes', payload: hash + sample.genesisHash, error: E },
    ],
    encodeInvalid: [
      { name: `a ${layout.hashLength - 1}-byte hash`, hash: hash.slice(0, -2), error: E },
      { name: `a ${layout.hashLength + 1}-byte hash`, hash: `${hash}00`, error: E },
      { name: 'an empty hash', hash: '', error: E },
    ],
  }
  const rangeCases = (what: 'blocks' | 'headers', max: number) => ({
    valid: [
      { name: `one ${what.slice(0, -1)} at height 1`, payload: '000000010001', startHeight: 1, count: 1 },
      {
        name: `${max} ${what} from genesis, the answer bound`,
        payload: `00000000${u16(max)}`,
        startHeight: 0,
        count: max,
      },
      {
        name: `${max + 1} ${what}: over the answer bound, valid (the answer is trimmed)`,
        payload: `00000000${u16(max + 1)}`,
        startHeight: 0,
        count: max + 1,
      },
      {
        name: 'count 65535, the largest: valid, trimmed',
        payload: '000003e8ffff',
        startHeight: 1000,
        count: 65535,
      },
      {
        name: 'start height 4294967295, the largest',
        payload: 'ffffffff0001',
        startHeight: 4294967295,
        count: 1,
      },
      {
        name: 'start 4294967295 count 65535: past u32, valid (answered from the chain it has)',
        payload: 'ffffffffffff',
        startHeight: 4294967295,
        count: 65535,
      },
    ],
    invalid: [
      { name: 'empty payload', payload: '', error: E },
      { name: 'start height only (4 bytes)', payload: '00000001', error: E },
      { name: '5 bytes (short count)', payload: '0000000100', error: E },
      { name: '7 bytes (trailing)', payload: '00000001000100', error: E },
      { name: 'count 0 asks for nothing', payload: '000000010000', error: E },
      { name: 'a 32-byte hash (a get_block payload)', payload: hash, error: E },
    ],
    encodeInvalid: [
      { name: 'count 0', startHeight: 1, count: 0, error: E },
      { name: 'count 65536, over u16', startHeight: 1, count: 65536, error: E },
      { name: 'start height 4294967296, over u32', startHeight: 4294967296, count: 1, error: E },
      { name: 'start height -1', startHeight: -1, count: 1, error: E },
      { name: 'count 1.5', startHeight: 1, count: 1.5, error: E },
    ],
  })

  const blocks = {
    valid: [
      { name: 'count 0: an empty answer (range above the tip)', payload: '0000', blocks: [] },
      {
        name: `the sample block (${blockLength} bytes, ${txCount} transactions)`,
        payload: [u16(1), u32(blockLength), hex],
        blocks: [hex],
      },
      {
        name: `the sample block then a ${one}-byte block (structure only)`,
        payload: [u16(2), u32(blockLength), hex, u32(one), zeros(one)],
        blocks: [hex, [zeros(one)]],
      },
      {
        name: `${bound} blocks of ${P} bytes, the count bound`,
        payload: [u16(bound), ...smallest(bound)],
        blocks: [{ block: [zeros(P)], count: bound }],
      },
      {
        name: `${exact} blocks totalling exactly 8 MiB, the byte bound`,
        payload: [u16(exact), ...smallest(exact - 1), u32(big), zeros(big)],
        blocks: [{ block: [zeros(P)], count: exact - 1 }, [zeros(big)]],
      },
      {
        name: `two blocks totalling ${twoA + twoB} bytes, just under the byte bound`,
        payload: [u16(2), u32(twoA), zeros(twoA), u32(twoB), zeros(twoB)],
        blocks: [[zeros(twoA)], [zeros(twoB)]],
      },
      {
        name: `one block of ${largest} bytes, the largest: over the byte bound, alone`,
        payload: [u16(1), u32(largest), zeros(largest)],
        blocks: [[zeros(largest)]],
      },
    ] as Array<{ name: string; payload: ByteSpec; blocks: Item[] }>,
    invalid: [
      { name: 'empty payload', payload: '', error: E },
      { name: 'one byte only', payload: '00', error: E },
      {
        name: `count ${bound + 1}, over the bound, with ${bound + 1} blocks of ${P} bytes`,
        payload: [u16(bound + 1), { hex: u32(P) + '00'.repeat(P), repeat: bound + 1 }],
        error: E,
      },
      { name: 'count 0xffff with no blocks', payload: 'ffff', error: E },
      { name: 'count 1, no length', payload: '0001', error: E },
      { name: 'count 1, a 3-byte length', payload: '0001000002', error: E },
      { name: 'length 0', payload: '000100000000', error: E },
      {
        name: `length ${P - 1}, shorter than a block prefix`,
        payload: [u16(1) + u32(P - 1), zeros(P - 1)],
        error: E,
      },
      { name: `length ${P + 1}, not ${P} + ${T}n`, payload: [u16(1) + u32(P + 1), zeros(P + 1)], error: E },
      {
        name: `length ${largest + T}, over the largest block`,
        payload: [u16(1) + u32(largest + T), zeros(largest + T)],
        error: E,
      },
      { name: 'length 0xffffffff with no bytes', payload: '0001ffffffff', error: E },
      { name: 'the sample block one byte short', payload: u16(1) + sampleEntry.slice(0, -2), error: E },
      { name: 'the sample block and a trailing byte', payload: `${u16(1)}${sampleEntry}00`, error: E },
      { name: 'count 2, one block', payload: u16(2) + sampleEntry, error: E },
      { name: 'count 0 and a trailing byte', payload: '000000', error: E },
      {
        name: 'count 1, the sample block, then a second length and block (trailing)',
        payload: u16(1) + sampleEntry + sampleEntry,
        error: E,
      },
      {
        name: `two blocks totalling ${twoA + twoB + T} bytes, over the byte bound`,
        payload: [u16(2) + u32(twoA), zeros(twoA), u32(twoB + T), zeros(twoB + T)],
        error: E,
      },
      {
        name: `${exact} blocks totalling 8 MiB + ${T} bytes`,
        payload: [
          u16(exact),
          { hex: u32(P) + '00'.repeat(P), repeat: exact - 1 },
          u32(big + T),
          zeros(big + T),
        ],
        error: E,
      },
      { name: `a headers payload (count 1, one ${H}-byte header)`, payload: u16(1) + header, error: E },
    ],
    encodeInvalid: [
      {
        name: `${bound + 1} blocks of ${P} bytes`,
        blocks: [{ block: [zeros(P)], count: bound + 1 }],
        error: E,
      },
      { name: `a ${P - 1}-byte block`, blocks: [[zeros(P - 1)]], error: E },
      { name: `a ${P + 1}-byte block`, blocks: [[zeros(P + 1)]], error: E },
      { name: 'an empty block', blocks: [''], error: E },
      { name: `a ${largest + T}-byte block, over the largest`, blocks: [[zeros(largest + T)]], error: E },
      {
        name: `two blocks totalling ${twoA + twoB + T} bytes, over the byte bound`,
        blocks: [[zeros(twoA)], [zeros(twoB + T)]],
        error: E,
      },
    ],
  }

  const maxHeaders = layout.maxHeadersPerAnswer
  const headers = {
    valid: [
      { name: 'count 0: an empty answer (range above the tip)', payload: '0000', headers: [] },
      { name: 'the sample header', payload: u16(1) + header, headers: [header] },
      {
        name: 'the sample header twice (structure only)',
        payload: u16(2) + header + header,
        headers: [header, header],
      },
      {
        name: `${maxHeaders} headers, the bound`,
        payload: [u16(maxHeaders), { hex: header, repeat: maxHeaders }],
        headers: [{ header, count: maxHeaders }],
      },
    ],
    invalid: [
      { name: 'empty payload', payload: '', error: E },
      { name: 'one byte only', payload: '00', error: E },
      {
        name: `count ${maxHeaders + 1}, over the bound, with ${maxHeaders + 1} headers`,
        payload: [u16(maxHeaders + 1), { hex: header, repeat: maxHeaders + 1 }],
        error: E,
      },
      { name: 'count 0xffff with no headers', payload: 'ffff', error: E },
      { name: `count 1, a ${H - 1}-byte header (short)`, payload: u16(1) + header.slice(0, -2), error: E },
      { name: 'count 1, a header and a trailing byte', payload: `${u16(1)}${header}00`, error: E },
      { name: 'count 2, one header', payload: u16(2) + header, error: E },
      { name: 'count 0 and a trailing byte', payload: '000000', error: E },
      { name: 'a blocks payload (count 1, the sample block)', payload: u16(1) + sampleEntry, error: E },
    ],
    encodeInvalid: [
      { name: `${maxHeaders + 1} headers`, headers: [{ header, count: maxHeaders + 1 }], error: E },
      { name: `a ${H - 1}-byte header`, headers: [header.slice(0, -2)], error: E },
      { name: `a ${H + 1}-byte header`, headers: [`${header}00`], error: E },
      { name: `a ${blockLength}-byte block as a header`, headers: [hex], error: E },
    ],
  }

  const trimming = buildTrimming(
    { P, T, one, largest, atLeast, atMost, exact, big, budget, bound, maxHeaders },
    trim,
  )
  const limits = blocksLimits({
    headerBytes: H,
    transactionBytes: T,
    maxBlockBytes: layout.maxBlockEncodingBytes,
  })
  const range = (count: number) => ({ startHeight: 0, count })
  return {
    spec: 'protocols/blocks.md',
    format: 'protocols/README.md#test-vectors',
    limits: {
      hashLength: layout.hashLength,
      headerLength: H,
      blockPrefixLength: P,
      transactionLength: T,
      maxBlockEncodingBytes: layout.maxBlockEncodingBytes,
      largestBlockEncoding: largest,
      maxBlocksPerAnswer: bound,
      maxBlockAnswerBytes: budget,
      maxHeadersPerAnswer: maxHeaders,
    },
    samples: { chainId: sample.chainId, genesisHash: sample.genesisHash, notHeld, block: sample.block },
    frames: [
      ['get_block frame for the sample block', 'get_block', hash],
      [`get_blocks frame: heights 1.. (count ${bound})`, 'get_blocks', `00000001${u16(bound)}`],
      [`get_headers frame: heights 0.. (count ${maxHeaders})`, 'get_headers', `00000000${u16(maxHeaders)}`],
      ['blocks frame with the sample block', 'blocks', u16(1) + sampleEntry],
      ['headers frame with the sample header', 'headers', u16(1) + header],
      ['not_found frame for a block not held', 'not_found', notHeld],
    ].map(([name, type, payload]) => ({
      name,
      type,
      payload,
      hex: toHex(encodeFrame(type as string, fromHex(payload as string))),
    })),
    getBlock: hashCases,
    notFound: hashCases,
    getBlocks: rangeCases('blocks', bound),
    getHeaders: rangeCases('headers', maxHeaders),
    blocks,
    headers,
    trimming,
    frameLimits: {
      responder: table(limits.responder),
      requesting: table(limits.lane),
      answers: [
        { request: 'get_block', ...table(limits.getBlock) },
        ...[1, 2, bound, 65535].map((count) => ({
          request: 'get_blocks',
          count,
          ...table(limits.answer({ type: 'get_blocks', range: range(count) })),
        })),
        ...[1, maxHeaders, 65535].map((count) => ({
          request: 'get_headers',
          count,
          ...table(limits.answer({ type: 'get_headers', range: range(count) })),
        })),
      ],
    },
  }
}
