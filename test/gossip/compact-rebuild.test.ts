/**
 * Rebuilding a compact block from the mempool (protocols/compact-blocks.md "Rebuilding"):
 * the reference chain's pool behind its port, blocks built and signed for real. Every
 * place is filled from the pool when it holds every transaction; a transaction it lacks,
 * a short id the message lists twice, or two pool transactions with one short id (the
 * vector file's collision pair) leave the place missing, to be asked for.
 */
import { describe, expect, it } from 'vitest'
import { encodeBlock, encodeTransaction } from '../../src/chain/encoding.ts'
import { REFERENCE_BLOCK_PARTS } from '../../src/chain/port/block-parts.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { compactDescribes, rebuildFromPool, takeFromPool } from '../../src/gossip/compact-rebuild.ts'
import { buildCompactBlock } from '../../src/gossip/compact-sender.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import { decodeCompactBlock, encodeCompactBlock, SHORT_ID_BYTES } from '../../src/wire/compact-block.ts'
import { loadVectors } from '../support/vectors.ts'
import { accounts, fullChain, transfer } from './gossip-fixtures.ts'

const nonce = fromHex('0a0b0c0d0e0f1011')
const to = new Uint8Array(32).fill(5)

async function sample() {
  const { port, blocks } = await fullChain()
  const txs = [transfer(accounts[0], to, 0n), transfer(accounts[0], to, 1n), transfer(accounts[1], to, 0n)]
  const block = await blocks.build({ transactions: txs })
  const encoded = encodeBlock(block)
  const compact = buildCompactBlock(
    encoded,
    { parts: REFERENCE_BLOCK_PARTS, chain: port, shape: REFERENCE_SHAPE },
    nonce,
  )
  if (compact === undefined) throw new Error('no compact block')
  const summary = port.readBlock(encoded)
  if (summary === undefined) throw new Error('not a block')
  const admit = (indexes: number[]) => {
    for (const i of indexes) {
      const judged = port.pool.admitGossiped(encodeTransaction(txs[i] as never), 'peer-a')
      expect(judged.status).toBe('accepted')
    }
  }
  return { port, encoded, decoded: decodeCompactBlock(compact, REFERENCE_SHAPE), summary, admit }
}

describe('rebuilding a compact block', () => {
  it('from a pool that holds every transaction: the block, byte for byte, nothing to ask', async () => {
    const { port, encoded, decoded, summary, admit } = await sample()
    admit([0, 1, 2])
    const rebuilt = rebuildFromPool(decoded, summary.header.hash, port.pool, port.transactionId)
    expect(rebuilt.missing).toEqual([])
    expect(rebuilt.pooled.size).toBe(3)
    expect(rebuilt.collisions).toBe(0)
    expect(REFERENCE_BLOCK_PARTS.commits(decoded.header, rebuilt.ids as Uint8Array[])).toBe(true)
    expect(takeFromPool(rebuilt, port.pool)).toEqual([])
    const joined = REFERENCE_BLOCK_PARTS.join(decoded.header, rebuilt.transactions as Uint8Array[])
    expect(toHex(joined)).toBe(toHex(encoded))
  })

  it('a transaction the pool lacks: its place is missing, the others are filled', async () => {
    const { port, decoded, summary, admit } = await sample()
    admit([0, 2])
    const rebuilt = rebuildFromPool(decoded, summary.header.hash, port.pool, port.transactionId)
    // Place 0 is the coinbase (prefilled); the transfers are places 1..3.
    expect(rebuilt.missing).toEqual([2])
    expect(rebuilt.pooled.size).toBe(2)
  })

  it('a short id the message lists twice: both places are asked for', async () => {
    const { port, decoded, summary, admit } = await sample()
    admit([0, 1, 2])
    const shortIds = decoded.shortIds.slice()
    shortIds.copyWithin(SHORT_ID_BYTES, 0, SHORT_ID_BYTES)
    const twice = decodeCompactBlock(
      encodeCompactBlock({ ...decoded, shortIds }, REFERENCE_SHAPE),
      REFERENCE_SHAPE,
    )
    const rebuilt = rebuildFromPool(twice, summary.header.hash, port.pool, port.transactionId)
    expect(rebuilt.missing).toEqual([1, 2])
    expect(rebuilt.collisions).toBe(1)
  })

  it('two pool transactions with one short id (the vectors’ pair): the place is asked for, not guessed', () => {
    const { collision, sample: s } = loadVectors<{
      collision: { blockId: string; nonce: string; ids: [string, string]; shortId: string }
      sample: { block: string }
    }>('compact-blocks')
    const header = fromHex(s.block).subarray(0, REFERENCE_SHAPE.headerBytes)
    const coinbase = fromHex(s.block).subarray(189, 189 + 152)
    const compact = {
      header,
      nonce: fromHex(collision.nonce),
      transactionCount: 2,
      prefilled: [{ index: 0, transaction: coinbase }],
      shortIds: fromHex(collision.shortId),
    }
    // A pool port listing both ids (no signed transaction can be made to hash to a chosen
    // short id, so the pair is the vectors' ids; the rebuild reads nothing else of them).
    const encodings = new Map(collision.ids.map((id, i) => [id, new Uint8Array(152).fill(i + 1)]))
    const pool = (ids: string[]) => ({ bestIds: () => ids, encoded: (id: string) => encodings.get(id) })
    const blockId = fromHex(collision.blockId)
    const coinbaseId = () => new Uint8Array(32)
    const both = rebuildFromPool(compact, blockId, pool(collision.ids), coinbaseId)
    expect(both.missing).toEqual([1])
    expect(both.collisions).toBe(1)
    const one = rebuildFromPool(compact, blockId, pool([collision.ids[1]]), coinbaseId)
    expect(one.missing).toEqual([])
    expect(toHex(one.ids[1] as Uint8Array)).toBe(collision.ids[1])
    expect(takeFromPool(one, pool([collision.ids[1]]))).toEqual([])
    expect(one.transactions[1]).toEqual(encodings.get(collision.ids[1]))
  })

  it('commits: the ids in another order, or one twice, are not the header’s body', async () => {
    const { port, decoded, summary, admit } = await sample()
    admit([0, 1, 2])
    const ids = rebuildFromPool(decoded, summary.header.hash, port.pool, port.transactionId)
      .ids as Uint8Array[]
    expect(
      REFERENCE_BLOCK_PARTS.commits(decoded.header, [ids[0], ids[2], ids[1], ids[3]] as Uint8Array[]),
    ).toBe(false)
    expect(REFERENCE_BLOCK_PARTS.commits(decoded.header, [...ids, ids[3] as Uint8Array])).toBe(false)
    expect(REFERENCE_BLOCK_PARTS.commits(decoded.header.subarray(1), ids)).toBe(false)
  })

  it('compactDescribes: the real block matches, a changed short id does not', async () => {
    const { encoded, decoded, summary } = await sample()
    const { transactions } = REFERENCE_BLOCK_PARTS.split(encoded) ?? { transactions: [] }
    expect(compactDescribes(decoded, summary.header.hash, transactions, summary.transactionIds)).toBe(true)
    const shortIds = decoded.shortIds.slice()
    shortIds[0] = (shortIds[0] as number) ^ 1
    expect(
      compactDescribes({ ...decoded, shortIds }, summary.header.hash, transactions, summary.transactionIds),
    ).toBe(false)
  })
})
