import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { encodeBlock, encodeHeader, encodeTransaction } from '../../src/chain/encoding.ts'
import { blockHash, txHash, txRoot } from '../../src/chain/hashing.ts'
import type { Block, Transaction } from '../../src/chain/types.ts'
import { decodeMessageId, messageIdFor, pawMessageIdFn } from '../../src/gossip/message-id.ts'
import { blockTopic, headerTopic, transactionTopic } from '../../src/gossip/topics.ts'

const chain = 'paw-devnet'
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
    version: 1,
    chainId: chain,
    height: 7,
    previousHash: new Uint8Array(32).fill(9),
    timestamp: 1_700_000_000_000,
    txRoot: txRoot(transactions),
    target: new Uint8Array(32).fill(0xff),
    nonce: 42n,
  },
  transactions,
}

describe('message IDs', () => {
  it('equal the block hash and the transaction hash', () => {
    expect(messageIdFor(blockTopic(chain), encodeBlock(block))).toEqual(blockHash(block.header))
    expect(messageIdFor(transactionTopic(chain), encodeTransaction(tx(0)))).toEqual(txHash(tx(0)))
    const headerId = messageIdFor(headerTopic(chain), encodeHeader(block.header))
    expect(headerId).toEqual(Uint8Array.of(1, ...blockHash(block.header)))
    expect(decodeMessageId(headerTopic(chain), headerId)).toEqual({
      kind: 'header',
      hash: blockHash(block.header),
    })
  })
  it('are content-addressed: two peers publishing the same block get the same ID', () => {
    const fromA = pawMessageIdFn({ type: 'unsigned', topic: blockTopic(chain), data: encodeBlock(block) })
    const fromB = pawMessageIdFn({
      type: 'unsigned',
      topic: blockTopic(chain),
      data: encodeBlock(structuredClone(block)),
    })
    expect(fromA).toEqual(fromB)
  })
  it('give malformed data a tagged SHA-256 of its raw bytes, never a real message ID', () => {
    const raw = encodeTransaction(tx(0))
    const id = messageIdFor(blockTopic(chain), raw)
    expect(id).toEqual(Uint8Array.of(0xff, 0, ...sha256(raw)))
    expect(id).not.toEqual(txHash(tx(0)))
    expect(messageIdFor(transactionTopic(chain), raw.subarray(1))).toEqual(
      Uint8Array.of(0xff, 1, ...sha256(raw.subarray(1))),
    )
    expect(decodeMessageId(blockTopic(chain), id)).toEqual({ kind: 'malformed' })
  })
  it('do not let a forged body take the ID of the real block', () => {
    const forged = encodeBlock({ ...block, transactions: [tx(5), tx(1), tx(2)] })
    expect(messageIdFor(blockTopic(chain), forged)[0]).toBe(0xff)
    expect(messageIdFor(blockTopic(chain), forged)).not.toEqual(blockHash(block.header))
  })
})
