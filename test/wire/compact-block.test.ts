/**
 * protocols/compact-blocks.vectors.json both ways: SipHash-2-4 against the paper's vectors,
 * short ids and the sample's compact block as test/wire/compact-vectors.ts (and, when it
 * wrote them, test/wire/short-id.py) computed them, the message ID, the /paw/blocks/1
 * payloads, and every malformed message rejected whole.
 */
import { describe, expect, it } from 'vitest'
import { REFERENCE_BLOCK_PARTS } from '../../src/chain/port/block-parts.ts'
import { readReferenceBlock } from '../../src/chain/port/reader.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { buildCompactBlock } from '../../src/gossip/compact-sender.ts'
import { messageIdFunction } from '../../src/gossip/message-id.ts'
import { compactBlockTopic, parseTopic } from '../../src/gossip/topics.ts'
import {
  decodeBlockTransactions,
  decodeGetBlockTransactions,
  encodeBlockTransactions,
  encodeGetBlockTransactions,
} from '../../src/wire/block-transactions.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import {
  COMPACT_FIXED_BYTES,
  decodeCompactBlock,
  encodeCompactBlock,
  maxTransactions,
  SHORT_ID_BYTES,
  shortId,
  shortIdKey,
  shortIdNumber,
  shortIdValue,
} from '../../src/wire/compact-block.ts'
import { sipHash24, sipKey } from '../../src/wire/siphash.ts'
import { loadVectors } from '../support/vectors.ts'

interface Vectors {
  topic: { chainId: string; compactBlocks: string }
  limits: Record<string, number>
  siphash: Array<{ key: string; message: string; hash: string }>
  sample: {
    block: string
    blockId: string
    nonce: string
    key: string
    shortIds: Array<{ index: number; transactionId: string; shortId: string }>
    compact: string
    compactLength: number
    messageId: string
  }
  collision: { blockId: string; nonce: string; ids: [string, string]; shortId: string }
  getBlockTransactions: Array<{ name: string; hash: string; indexes: number[]; payload: string }>
  blockTransactions: Array<{ name: string; hash: string; transactions: string[]; payload: string }>
  invalid: Record<
    'compact' | 'getBlockTransactions' | 'blockTransactions',
    Array<{ name: string; data?: string; payload?: string }>
  >
}

const v = loadVectors<Vectors>('compact-blocks')
const shape = REFERENCE_SHAPE

describe('SipHash-2-4', () => {
  for (const vector of v.siphash) {
    it(`the paper's vector for ${vector.message.length / 2} bytes`, () => {
      expect(toHex(sipHash24(sipKey(fromHex(vector.key)), fromHex(vector.message)))).toBe(vector.hash)
    })
  }
  it('the first and last of the paper (vectors.h): 310e0edd47db6f72, 724506eb4c328a95', () => {
    expect(v.siphash[0]?.hash).toBe('310e0edd47db6f72')
    expect(v.siphash.at(-1)?.hash).toBe('724506eb4c328a95')
  })
})

describe('short ids', () => {
  const key = shortIdKey(fromHex(v.sample.blockId), fromHex(v.sample.nonce))
  for (const vector of v.sample.shortIds) {
    it(`transaction ${vector.index} of the sample block`, () => {
      const id = fromHex(vector.transactionId)
      expect(toHex(shortId(key, id))).toBe(vector.shortId)
      expect(shortIdValue(key, id)).toBe(shortIdNumber(fromHex(vector.shortId)))
    })
  }
  it('the collision pair: two ids, one short id', () => {
    const c = v.collision
    const k = shortIdKey(fromHex(c.blockId), fromHex(c.nonce))
    expect(c.ids[0]).not.toBe(c.ids[1])
    expect(toHex(shortId(k, fromHex(c.ids[0])))).toBe(c.shortId)
    expect(toHex(shortId(k, fromHex(c.ids[1])))).toBe(c.shortId)
  })
})

describe('compact block', () => {
  const block = fromHex(v.sample.block)
  const source = { parts: REFERENCE_BLOCK_PARTS, chain: { readBlock: readReferenceBlock }, shape }

  it('is what the sender builds from the sample block and the nonce', () => {
    const built = buildCompactBlock(block, source, fromHex(v.sample.nonce))
    expect(toHex(built as Uint8Array)).toBe(v.sample.compact)
    expect(built).toHaveLength(v.sample.compactLength)
    expect(v.sample.compactLength).toBe(
      shape.headerBytes + COMPACT_FIXED_BYTES + 4 + shape.transactionBytes + 2 * SHORT_ID_BYTES,
    )
  })

  it('decodes to the header, the nonce, the coinbase prefilled and two short ids, and encodes back', () => {
    const decoded = decodeCompactBlock(fromHex(v.sample.compact), shape)
    expect(toHex(decoded.header)).toBe(v.sample.block.slice(0, 2 * shape.headerBytes))
    expect(toHex(decoded.nonce)).toBe(v.sample.nonce)
    expect(decoded.transactionCount).toBe(3)
    expect(decoded.prefilled.map((p) => p.index)).toEqual([0])
    expect(toHex(decoded.shortIds)).toBe(
      v.sample.shortIds
        .slice(1)
        .map((s) => s.shortId)
        .join(''),
    )
    expect(toHex(encodeCompactBlock(decoded, shape))).toBe(v.sample.compact)
  })

  it('has the message ID 02 ‖ SHA-256 of its bytes on the blocks/2 topic', () => {
    expect(v.topic.compactBlocks).toBe(compactBlockTopic(v.topic.chainId))
    expect(parseTopic(v.topic.compactBlocks)).toEqual({
      chainId: v.topic.chainId,
      kind: 'blocks',
      version: 2,
    })
    const id = messageIdFunction(undefined)({
      type: 'unsigned',
      topic: v.topic.compactBlocks,
      data: fromHex(v.sample.compact),
    })
    expect(toHex(id)).toBe(v.sample.messageId)
    expect(id).toHaveLength(v.limits.messageIdLength as number)
  })

  it('limits: 68,983 transactions at most on the reference chain', () => {
    expect(maxTransactions(shape)).toBe(v.limits.maxTransactions)
  })

  for (const vector of v.invalid.compact) {
    it(`rejects ${vector.name}`, () => {
      expect(() => decodeCompactBlock(fromHex(vector.data as string), shape)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_MESSAGE_FORMAT' }) as Error,
      )
    })
  }
})

describe('get_block_transactions and block_transactions', () => {
  for (const vector of v.getBlockTransactions) {
    it(`get_block_transactions: ${vector.name}`, () => {
      const request = { hash: fromHex(vector.hash), indexes: vector.indexes }
      expect(toHex(encodeGetBlockTransactions(request, shape))).toBe(vector.payload)
      expect(decodeGetBlockTransactions(fromHex(vector.payload), shape)).toEqual(request)
    })
  }
  for (const vector of v.blockTransactions) {
    it(`block_transactions: ${vector.name}`, () => {
      const answer = { hash: fromHex(vector.hash), transactions: vector.transactions.map(fromHex) }
      expect(toHex(encodeBlockTransactions(answer, shape))).toBe(vector.payload)
      const decoded = decodeBlockTransactions(fromHex(vector.payload), shape)
      expect(toHex(decoded.hash)).toBe(vector.hash)
      expect(decoded.transactions.map(toHex)).toEqual(vector.transactions)
    })
  }
  for (const vector of v.invalid.getBlockTransactions) {
    it(`get_block_transactions rejects ${vector.name}`, () => {
      expect(() => decodeGetBlockTransactions(fromHex(vector.payload as string), shape)).toThrow(
        /get_block_transactions/,
      )
    })
  }
  for (const vector of v.invalid.blockTransactions) {
    it(`block_transactions rejects ${vector.name}`, () => {
      expect(() => decodeBlockTransactions(fromHex(vector.payload as string), shape)).toThrow(
        /block_transactions/,
      )
    })
  }
})
