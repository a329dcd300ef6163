/** The reference chain as a full node's chain port (src/chain/port/full-port.ts). */
import { describe, expect, it } from 'vitest'
import { decodeHeader, encodeBlock, encodeHeader, encodeTransaction } from '../../../src/chain/encoding.ts'
import { isChainError } from '../../../src/chain/errors.ts'
import type { FullChain } from '../../../src/chain/full-chain.ts'
import { blockHash, txHash } from '../../../src/chain/hashing.ts'
import { referenceFullPort } from '../../../src/chain/port/full-port.ts'
import { REFERENCE_SHAPE } from '../../../src/chain/port/shape.ts'
import type { Block } from '../../../src/chain/types.ts'
import type { ChainPortEvents, TipSummary } from '../../../src/ports/chain.ts'
import { toHex } from '../../../src/wire/bytes.ts'
import { alice, blockWith, bob, grow, openFull, params, transfer } from './fixtures.ts'

const noEvents = { admitted: () => {}, invalid: () => {} }

function portOf(full: FullChain) {
  return referenceFullPort({ chain: full.chain, mempool: full.mempool, events: noEvents })
}

/** Blocks mined on another copy of the chain, to be imported through the port. */
async function minedElsewhere(count: number, miner?: Uint8Array): Promise<Block[]> {
  return grow(await openFull(), count, miner)
}

describe('referenceFullPort', () => {
  it('describes the chain: kind, ID, sizes, block interval, tip with its work as weight', async () => {
    const full = await openFull()
    const port = portOf(full)
    expect(port.kind).toBe('full')
    expect(port.chainId).toBe(params.chainId)
    expect(port.shape).toBe(REFERENCE_SHAPE)
    expect(port.blockIntervalMs).toBe(params.targetBlockTimeMs)
    const tip = full.chain.tip()
    expect(port.tip()).toEqual({ hash: tip.hash, height: 0, totalWeight: tip.totalWork })
  })

  it('imports a block: accepted with its outcome, a tip event, then served as headers and as stored', async () => {
    const full = await openFull()
    const port = portOf(full)
    const tips: TipSummary[] = []
    port.addEventListener('tip', (event) => tips.push(event.detail.tip))
    const [block] = (await minedElsewhere(1)) as [Block]
    const encoded = encodeBlock(block)
    const judgement = await port.importBlock(encoded)
    expect(judgement).toEqual({
      status: 'accepted',
      value: {
        outcome: 'extended',
        hash: blockHash(block.header),
        height: 1,
        headerEncoding: encodeHeader(block.header),
        decoded: block,
        transactionCount: block.transactions.length,
      },
    })
    expect(tips).toEqual([port.tip()])
    expect(tips[0]?.hash).toEqual(blockHash(block.header))
    expect(await port.encodedBlock(blockHash(block.header))).toEqual(encoded)
    const headers = await port.encodedHeaders(0, 5)
    expect(headers).toHaveLength(2)
    expect(headers[1]).toEqual(encodeHeader(block.header))
    expect(decodeHeader(headers[0] as Uint8Array).height).toBe(0)
    expect(await port.importBlock(encoded)).toMatchObject({
      status: 'accepted',
      value: { outcome: 'duplicate' },
    })
  })

  it('judges what it refuses: bytes that are no block, an unknown parent, a block breaking a state rule', async () => {
    const full = await openFull()
    const port = portOf(full)
    const malformed = await port.importBlock(new Uint8Array(10))
    expect(malformed).toMatchObject({ status: 'invalid', code: 'MALFORMED' })
    expect(malformed.status !== 'accepted' && isChainError(malformed.cause)).toBe(true)

    const [, second] = (await minedElsewhere(2)) as [Block, Block]
    expect(await port.importBlock(encodeBlock(second))).toMatchObject({
      status: 'unknown-parent',
      code: 'UNKNOWN_PARENT',
    })

    const skipped = await blockWith(full, [transfer(alice, bob.address, 3n)])
    expect(await port.importBlock(encodeBlock(skipped))).toMatchObject({
      status: 'invalid',
      code: 'BAD_NONCE',
    })
  })

  it('re-dispatches a reorg as the ids of the blocks rolled back and applied', async () => {
    const full = await openFull()
    const port = portOf(full)
    const reorgs: ChainPortEvents['reorg']['detail'][] = []
    port.addEventListener('reorg', (event) => reorgs.push(event.detail))
    const [ours] = (await minedElsewhere(1, new Uint8Array(32).fill(1))) as [Block]
    const theirs = await minedElsewhere(2, new Uint8Array(32).fill(2))
    await port.importBlock(encodeBlock(ours))
    expect(await port.importBlock(encodeBlock(theirs[0] as Block))).toMatchObject({
      value: { outcome: 'side-branch' },
    })
    expect(await port.importBlock(encodeBlock(theirs[1] as Block))).toMatchObject({
      value: { outcome: 'reorg' },
    })
    expect(reorgs).toEqual([
      { disconnected: [blockHash(ours.header)], connected: theirs.map((block) => blockHash(block.header)) },
    ])
    expect(port.tip().height).toBe(2)
  })

  it("checks a peer's headers against its own best chain", async () => {
    const full = await openFull()
    const port = portOf(full)
    const blocks = await minedElsewhere(3)
    const summaries = await port.headerChecker(0).check(blocks.map((block) => encodeHeader(block.header)))
    expect(summaries.map((summary) => summary.hash)).toEqual(blocks.map((block) => blockHash(block.header)))
  })

  it("pool: the mempool's port, gossip admission and the user's own transactions", async () => {
    const full = await openFull()
    const { pool } = portOf(full)
    const first = transfer(alice, bob.address, 0n)
    const local = pool.admitLocal(encodeTransaction(first))
    expect(local).toEqual({ status: 'accepted', value: { id: txHash(first), decoded: first, evicted: [] } })
    expect(pool.has(toHex(txHash(first)))).toBe(true)
    expect(pool.encoded(toHex(txHash(first)))).toEqual(encodeTransaction(first))
    const refused = pool.admitLocal(encodeTransaction(transfer(alice, bob.address, 0n)))
    expect(refused).toMatchObject({ status: 'refused', code: 'DUPLICATE_TRANSACTION' })
    const second = transfer(alice, bob.address, 1n)
    expect(pool.admitGossiped(encodeTransaction(second), 'peer')).toMatchObject({
      status: 'accepted',
      value: { id: txHash(second), provides: `${toHex(alice.address)}:1` },
    })
  })
})
