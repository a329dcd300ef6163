import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { encodeBlock, encodeHeader, encodeTransaction } from '../../src/chain/encoding.ts'
import { blockHash, txHash, txRoot } from '../../src/chain/hashing.ts'
import {
  readReferenceBlock,
  readReferenceHeader,
  referenceTransactionId,
} from '../../src/chain/port/reader.ts'
import type { Block, Transaction } from '../../src/chain/types.ts'
import { decodeMessageId, type MessageIdReader, messageIdFunction } from '../../src/gossip/message-id.ts'
import { blockTopic, headerTopic, transactionTopic } from '../../src/gossip/topics.ts'

const chain = 'paw-devnet'
const reader: MessageIdReader = {
  readBlock: readReferenceBlock,
  readHeader: readReferenceHeader,
  transactionId: referenceTransactionId,
}
const messageId = messageIdFunction(reader)
const idOf = (topic: string, data: Uint8Array) => messageId({ type: 'unsigned', topic, data })

const tx = (n: number): Transaction => ({
  from: new Uint8Array(32).fill(1),
  to: new Uint8Array(32).fill(2),
  amount: 5n,
  fee: 1n,
  nonce: BigInt(n),
  signature: new Uint8Array(64).fill(3),
})
const transactions = [tx(0), tx(1), tx(2)]
const block: Block = {
  header: {
    version: 2,
    chainId: chain,
    height: 7,
    previousHash: new Uint8Array(32).fill(9),
    timestamp: 1_700_000_000_000,
    txRoot: txRoot(transactions),
    stateRoot: new Uint8Array(32).fill(8),
    target: new Uint8Array(32).fill(0xff),
    nonce: 42n,
  },
  transactions,
}

describe('message IDs', () => {
  it('equal the block hash and the transaction hash', () => {
    expect(idOf(blockTopic(chain), encodeBlock(block))).toEqual(blockHash(block.header))
    expect(idOf(transactionTopic(chain), encodeTransaction(tx(0)))).toEqual(txHash(tx(0)))
    const headerId = idOf(headerTopic(chain), encodeHeader(block.header))
    expect(headerId).toEqual(Uint8Array.of(1, ...blockHash(block.header)))
    expect(decodeMessageId(headerTopic(chain), headerId)).toEqual({
      kind: 'header',
      hash: blockHash(block.header),
    })
  })
  it('are content-addressed: two peers publishing the same block get the same ID', () => {
    const fromA = idOf(blockTopic(chain), encodeBlock(block))
    const fromB = idOf(blockTopic(chain), encodeBlock(structuredClone(block)))
    expect(fromA).toEqual(fromB)
  })
  it('give malformed data a tagged SHA-256 of its raw bytes, never a real message ID', () => {
    const raw = encodeTransaction(tx(0))
    const id = idOf(blockTopic(chain), raw)
    expect(id).toEqual(Uint8Array.of(0xff, 0, ...sha256(raw)))
    expect(id).not.toEqual(txHash(tx(0)))
    expect(idOf(transactionTopic(chain), raw.subarray(1))).toEqual(
      Uint8Array.of(0xff, 1, ...sha256(raw.subarray(1))),
    )
    expect(decodeMessageId(blockTopic(chain), id)).toEqual({ kind: 'malformed' })
  })
  it('do not let a forged body take the ID of the real block', () => {
    const forged = encodeBlock({ ...block, transactions: [tx(5), tx(1), tx(2)] })
    expect(idOf(blockTopic(chain), forged)[0]).toBe(0xff)
    expect(idOf(blockTopic(chain), forged)).not.toEqual(blockHash(block.header))
  })
  it('are all malformed without a reader (a node with no chain), and when a reader throws', () => {
    const data = encodeBlock(block)
    expect(messageIdFunction(undefined)({ type: 'unsigned', topic: blockTopic(chain), data })).toEqual(
      Uint8Array.of(0xff, 0, ...sha256(data)),
    )
    const throwing: MessageIdReader = {
      readBlock: () => {
        throw new Error('not a block')
      },
      readHeader: () => {
        throw new Error('not a header')
      },
      transactionId: () => {
        throw new Error('not a transaction')
      },
    }
    for (const [topic, kind] of [
      [blockTopic(chain), 0],
      [transactionTopic(chain), 1],
      [headerTopic(chain), 2],
      ['/other/topic', 3],
    ] as const) {
      const id = messageIdFunction(throwing)({ type: 'unsigned', topic, data })
      expect(id).toEqual(Uint8Array.of(0xff, kind, ...sha256(data)))
    }
  })
  it('are read back for a chain whose hashes are of another length', () => {
    const hash = new Uint8Array(48).fill(7)
    expect(decodeMessageId(blockTopic(chain), hash, 48)).toEqual({ kind: 'block', hash })
    expect(decodeMessageId(transactionTopic(chain), hash, 48)).toEqual({ kind: 'transaction', hash })
    expect(decodeMessageId(headerTopic(chain), Uint8Array.of(1, ...hash), 48)).toEqual({
      kind: 'header',
      hash,
    })
    expect(decodeMessageId(blockTopic(chain), hash)).toEqual({ kind: 'malformed' })
  })
})
