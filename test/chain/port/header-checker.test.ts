/** Headers-first checks of a peer's headers against our chain (src/chain/port/header-checker.ts). */
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeHeader } from '../../../src/chain/encoding.ts'
import type { FullChain } from '../../../src/chain/full-chain.ts'
import { blockHash } from '../../../src/chain/hashing.ts'
import { referenceHeaderChecker } from '../../../src/chain/port/header-checker.ts'
import { meetsTarget, workForTarget } from '../../../src/chain/pow.ts'
import type { Block, BlockHeader } from '../../../src/chain/types.ts'
import { isChainPortRejection } from '../../../src/ports/chain.ts'
import { grow, openFull, params } from './fixtures.ts'

/** The peer's chain: 6 blocks. Ours: its first 2. */
let peer: FullChain
let ours: FullChain
let blocks: Block[]

const header = (height: number): BlockHeader => (blocks[height - 1] as Block).header
const encodedRun = (from: number, to: number): Uint8Array[] =>
  Array.from({ length: to - from + 1 }, (_, i) => encodeHeader(header(from + i)))

async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: string }> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!isChainPortRejection(error)) throw new Error(`expected a ChainPortRejection, got ${String(error)}`)
  return { code: error.code, status: error.status }
}

beforeAll(async () => {
  peer = await openFull()
  blocks = await grow(peer, 6)
  ours = await openFull()
  for (const block of blocks.slice(0, 2)) await ours.chain.addBlock(block)
})

describe('referenceHeaderChecker', () => {
  it("accepts a valid run in two batches, linking the second to the first's last", async () => {
    const checker = referenceHeaderChecker(ours.chain, 2)
    const first = await checker.check(encodedRun(3, 4))
    const second = await checker.check(encodedRun(5, 6))
    expect([...first, ...second]).toEqual(
      [3, 4, 5, 6].map((height) => ({
        hash: blockHash(header(height)),
        parentHash: header(height).previousHash,
        height,
        weight: workForTarget(params.initialTarget),
      })),
    )
  })

  it('accepts a run from below our tip (a fork point found by stepping back)', async () => {
    const summaries = await referenceHeaderChecker(ours.chain, 1).check(encodedRun(2, 6))
    expect(summaries.map((summary) => summary.height)).toEqual([2, 3, 4, 5, 6])
  })

  it('rejects a header that does not build on the one before it (BAD_LINK), and one that is not after the ancestor', async () => {
    const checker = referenceHeaderChecker(ours.chain, 2)
    await checker.check(encodedRun(3, 3))
    expect(await rejection(checker.check(encodedRun(5, 5)))).toEqual({ code: 'BAD_LINK', status: 'invalid' })
    expect(await rejection(referenceHeaderChecker(ours.chain, 1).check(encodedRun(3, 3)))).toEqual({
      code: 'BAD_LINK',
      status: 'invalid',
    })
  })

  it('rejects a header whose hash is above its target (BAD_PROOF_OF_WORK)', async () => {
    let forged = { ...header(3), nonce: header(3).nonce + 1n }
    while (meetsTarget(blockHash(forged), forged.target)) forged = { ...forged, nonce: forged.nonce + 1n }
    expect(await rejection(referenceHeaderChecker(ours.chain, 2).check([encodeHeader(forged)]))).toEqual({
      code: 'BAD_PROOF_OF_WORK',
      status: 'invalid',
    })
  })

  it('rejects bytes that are not a header (MALFORMED), and a header of another chain', async () => {
    const checker = referenceHeaderChecker(ours.chain, 2)
    expect(await rejection(checker.check([new Uint8Array(152)]))).toEqual({
      code: 'MALFORMED',
      status: 'invalid',
    })
    const other = encodeHeader({ ...header(3), chainId: 'paw-other' })
    expect(await rejection(referenceHeaderChecker(ours.chain, 2).check([other]))).toEqual({
      code: 'WRONG_CHAIN',
      status: 'invalid',
    })
  })

  it('an ancestor above our best chain is not the peer’s fault (unknown-parent)', async () => {
    expect(await rejection(referenceHeaderChecker(ours.chain, 5).check(encodedRun(6, 6)))).toEqual({
      code: 'UNKNOWN_PARENT',
      status: 'unknown-parent',
    })
  })

  it('keeps what the median time and a retarget look back at across batches', async () => {
    const retargeting = { ...params, retargetInterval: 8 }
    const long = await openFull(retargeting)
    const run = await grow(long, 20)
    const base = await openFull(retargeting)
    for (const block of run.slice(0, 3)) await base.chain.addBlock(block)
    const checker = referenceHeaderChecker(base.chain, 3)
    const checked = []
    for (let from = 4; from <= 20; from += 5) {
      const batch = run.slice(from - 1, Math.min(from + 4, 20)).map((block) => encodeHeader(block.header))
      checked.push(...(await checker.check(batch)))
    }
    expect(checked.map((summary) => summary.height)).toEqual(Array.from({ length: 17 }, (_, i) => i + 4))
    // The retargets made the later headers harder: their weight says so.
    expect((checked.at(-1)?.weight ?? 0n) > (checked[0]?.weight ?? 0n)).toBe(true)
  })

  it('stops when aborted', async () => {
    const checker = referenceHeaderChecker(ours.chain, 2)
    await expect(checker.check(encodedRun(3, 4), { signal: AbortSignal.abort() })).rejects.toThrow()
  })
})
