/** The reference chain's summaries for the network (src/chain/port/reader.ts) and its codec. */
import { describe, expect, it } from 'vitest'
import { encodeBlock, encodeHeader, encodeTransaction } from '../../../src/chain/encoding.ts'
import { blockHash, txHash } from '../../../src/chain/hashing.ts'
import { REFERENCE_CODEC } from '../../../src/chain/port/codec.ts'
import {
  readReferenceBlock,
  readReferenceHeader,
  referenceTransactionId,
} from '../../../src/chain/port/reader.ts'
import { workForTarget } from '../../../src/chain/pow.ts'
import type { Block } from '../../../src/chain/types.ts'
import { alice, blockWith, bob, grownChain, params, transfer } from './fixtures.ts'

async function blockOfThree(): Promise<Block> {
  const full = await grownChain(0)
  return blockWith(full, [transfer(alice, bob.address, 0n), transfer(alice, bob.address, 1n)])
}

describe('reference chain reader', () => {
  it("summarises a header: its hash, its parent's, its height and the work its target proves", async () => {
    const block = await blockOfThree()
    expect(readReferenceHeader(encodeHeader(block.header))).toEqual({
      hash: blockHash(block.header),
      parentHash: block.header.previousHash,
      height: 1,
      weight: workForTarget(params.initialTarget),
    })
    expect(() => readReferenceHeader(new Uint8Array(152))).toThrow(/185 bytes/)
  })

  it("summarises a block whose body is its header's: header, header encoding and transaction ids", async () => {
    const block = await blockOfThree()
    const summary = readReferenceBlock(encodeBlock(block))
    expect(summary?.header).toEqual(readReferenceHeader(encodeHeader(block.header)))
    expect(summary?.headerEncoding).toEqual(encodeHeader(block.header))
    expect(summary?.transactionIds).toEqual(block.transactions.map(txHash))
  })

  it('refuses a forged body under a real header: another transaction, a repeated last one, one fewer', async () => {
    const block = await blockOfThree()
    const [coinbase, first, second] = block.transactions as [
      Block['transactions'][number],
      ...Block['transactions'],
    ]
    const forgeries: Block['transactions'][] = [
      [coinbase, first as never, transfer(bob, alice.address, 0n)],
      // Three hashes and the last twice have the same Merkle root (CVE-2012-2459).
      [coinbase, first as never, second as never, second as never],
      [coinbase, first as never],
    ]
    for (const transactions of forgeries) {
      expect(readReferenceBlock(encodeBlock({ header: block.header, transactions }))).toBeUndefined()
    }
    expect(readReferenceBlock(new Uint8Array(200))).toBeUndefined()
    expect(readReferenceBlock(encodeBlock(block).subarray(1))).toBeUndefined()
  })

  it('names a transaction by its hash, and nothing that is not one', () => {
    const tx = transfer(alice, bob.address, 0n)
    expect(referenceTransactionId(encodeTransaction(tx))).toEqual(txHash(tx))
    expect(referenceTransactionId(new Uint8Array(151))).toBeUndefined()
  })

  it('codec: the encodings round-trip', async () => {
    const block = await blockOfThree()
    const bytes = REFERENCE_CODEC.encodeBlock(block)
    expect(REFERENCE_CODEC.decodeBlock(bytes)).toEqual(block)
    expect(REFERENCE_CODEC.decodeHeader(encodeHeader(block.header))).toEqual(block.header)
    const tx = block.transactions[1] as Block['transactions'][number]
    expect(REFERENCE_CODEC.decodeTransaction(REFERENCE_CODEC.encodeTransaction(tx))).toEqual(tx)
  })
})
