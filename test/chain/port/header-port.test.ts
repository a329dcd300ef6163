/** The reference chain as a light node's chain port (src/chain/port/header-port.ts). */
import { describe, expect, it } from 'vitest'
import { encodeBlock, encodeHeader, encodeTransaction } from '../../../src/chain/encoding.ts'
import { blockHash, txHash } from '../../../src/chain/hashing.ts'
import { referenceHeaderPort } from '../../../src/chain/port/header-port.ts'
import type { Block } from '../../../src/chain/types.ts'
import { type ChainPortEvents, isChainPortRejection, type TipSummary } from '../../../src/ports/chain.ts'
import { alice, bob, grow, openFull, openHeaders, params, transfer } from './fixtures.ts'

async function mined(count: number, miner?: Uint8Array): Promise<Block[]> {
  const full = await openFull()
  full.mempool.add(transfer(alice, bob.address, 0n))
  return grow(full, count, miner)
}

const headerOf = (block: Block | undefined): Uint8Array => encodeHeader((block as Block).header)

async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: string }> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!isChainPortRejection(error)) throw new Error(`expected a ChainPortRejection, got ${String(error)}`)
  return { code: error.code, status: error.status }
}

describe('referenceHeaderPort', () => {
  it('imports a gossiped header: accepted with its outcome and a tip event; refusals judged', async () => {
    const port = referenceHeaderPort(await openHeaders())
    expect(port.kind).toBe('headers')
    expect(port.chainId).toBe(params.chainId)
    expect(port.blockIntervalMs).toBe(params.targetBlockTimeMs)
    const tips: TipSummary[] = []
    port.addEventListener('tip', (event) => tips.push(event.detail.tip))
    const blocks = await mined(3)
    const first = blocks[0] as Block
    expect(await port.importHeader(headerOf(first))).toEqual({
      status: 'accepted',
      value: {
        outcome: 'extended',
        hash: blockHash(first.header),
        height: 1,
        headerEncoding: headerOf(first),
        decoded: first.header,
      },
    })
    expect(tips).toEqual([port.tip()])
    expect(await port.importHeader(headerOf(first))).toMatchObject({ value: { outcome: 'duplicate' } })
    expect(await port.importHeader(headerOf(blocks[2]))).toMatchObject({ status: 'unknown-parent' })
    expect(await port.importHeader(new Uint8Array(3))).toMatchObject({ status: 'invalid', code: 'MALFORMED' })
    expect(await port.hasHeader(blockHash(first.header))).toBe(true)
    expect(await port.hasHeader(blockHash((blocks[2] as Block).header))).toBe(false)
  })

  it('imports synced headers, counting the new ones; a batch that does not link is invalid', async () => {
    const port = referenceHeaderPort(await openHeaders())
    const blocks = await mined(4)
    expect(await port.importHeaders(blocks.slice(0, 2).map(headerOf))).toBe(2)
    expect(await port.importHeaders(blocks.slice(0, 3).map(headerOf))).toBe(1)
    // The second's parent is on another branch, not the header before it in the batch.
    const other = await mined(2, new Uint8Array(32).fill(9))
    expect(await rejection(port.importHeaders([headerOf(blocks[3]), headerOf(other[1])]))).toEqual({
      code: 'UNKNOWN_PARENT',
      status: 'invalid',
    })
    const fresh = referenceHeaderPort(await openHeaders())
    expect(await rejection(fresh.importHeaders([headerOf(blocks[1])]))).toEqual({
      code: 'UNKNOWN_PARENT',
      status: 'unknown-parent',
    })
    expect(await rejection(fresh.importHeaders([new Uint8Array(153)]))).toMatchObject({ status: 'invalid' })
    // The headers before the refused one stay added.
    expect(await port.encodedHeaders(1, 10)).toEqual(blocks.map(headerOf))
  })

  it("verifies a fetched block's body against a held header", async () => {
    const port = referenceHeaderPort(await openHeaders())
    const [block] = (await mined(1)) as [Block]
    expect(await port.verifyBlock(encodeBlock(block))).toMatchObject({ status: 'unknown-parent' })
    await port.importHeader(headerOf(block))
    expect(await port.verifyBlock(encodeBlock(block))).toEqual({ status: 'accepted', value: block })
    const forged = { header: block.header, transactions: block.transactions.slice(0, 1) }
    expect(await port.verifyBlock(encodeBlock(forged))).toMatchObject({
      status: 'invalid',
      code: 'BAD_TX_ROOT',
    })
  })

  it("checks its user's transaction by what needs no state: the signature", async () => {
    const port = referenceHeaderPort(await openHeaders())
    const tx = transfer(alice, bob.address, 0n)
    expect(port.checkTransaction(encodeTransaction(tx))).toEqual({
      status: 'accepted',
      value: { id: txHash(tx), decoded: tx },
    })
    expect(port.checkTransaction(encodeTransaction({ ...tx, amount: 5n }))).toMatchObject({
      status: 'invalid',
      code: 'BAD_SIGNATURE',
    })
  })

  it('re-dispatches a reorg of the header chain as block ids', async () => {
    const port = referenceHeaderPort(await openHeaders())
    const reorgs: ChainPortEvents['reorg']['detail'][] = []
    port.addEventListener('reorg', (event) => reorgs.push(event.detail))
    const [ours] = (await mined(1, new Uint8Array(32).fill(1))) as [Block]
    const theirs = await mined(2, new Uint8Array(32).fill(2))
    await port.importHeader(headerOf(ours))
    expect(await port.importHeaders(theirs.map(headerOf))).toBe(2)
    expect(reorgs).toEqual([
      { disconnected: [blockHash(ours.header)], connected: theirs.map((block) => blockHash(block.header)) },
    ])
    expect(port.tip().hash).toEqual(blockHash((theirs[1] as Block).header))
  })
})
