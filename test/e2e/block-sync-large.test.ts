/**
 * Issue 6, at scale: a new node syncs a 10,000-block chain over /paw/blocks/1, and a peer
 * that serves corrupted bodies (headers honest, so it is on the best chain and gets ranges)
 * is charged while the sync completes from the honest ones.
 *
 * The source chain is mined once (the test chain's proof of work is trivial; each block is
 * its coinbase only); other holders get the same blocks, added in order.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FullChain } from '../../src/chain/full-chain.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { type WiredBlocks, wireBlocks } from '../support/blocks-wiring.ts'
import {
  nextBlock,
  openTestFullChain,
  startChainNode,
  testAccounts,
  testChainParams,
} from '../support/chain-nodes.ts'
import { type Corruption, corruptedSource } from '../support/corrupt-blocks.ts'
import { tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
/** Wired protocols are stopped before their nodes (this hook runs before trackedNodes'). */
let wired: WiredBlocks[] = []
afterEach(async () => {
  const all = wired
  wired = []
  await Promise.allSettled(all.map((entry) => entry.protocol.stop()))
})

const LARGE = 10_000
const SMALL = 2_000

let params: ChainParams
let source: FullChain

/** A new chain holding the source chain's blocks 1..height, added in order. */
async function copyOf(height: number): Promise<FullChain> {
  const copy = await openTestFullChain(params)
  for (let h = 1; h <= height; h++) {
    const block = await source.chain.getBlockAtHeight(h)
    if (block === undefined) throw new Error(`source has no block at ${h}`)
    await copy.chain.addBlock(block)
  }
  return copy
}

function tipHex(full: FullChain | undefined): string {
  if (full === undefined) throw new Error('not a full node')
  return toHex(full.chain.tip().hash)
}

beforeAll(async () => {
  params = testChainParams(testAccounts(1))
  source = await openTestFullChain(params)
  const started = performance.now()
  for (let i = 0; i < LARGE; i++) await source.chain.addBlock(await nextBlock(source))
  console.log(`mined ${LARGE} blocks in ${Math.round(performance.now() - started)} ms`)
}, 60_000)

/**
 * Three honest holders and one whose /paw/blocks/1 serves `how`-corrupted bodies, all of
 * SMALL blocks; a joiner (autoSync off, so its one sync sees all four peers, not just the
 * first to connect) syncs from them.
 */
async function syncWithACorruptPeer(how: Corruption): Promise<void> {
  const holders = await Promise.all([copyOf(SMALL), copyOf(SMALL), copyOf(SMALL), copyOf(SMALL)])
  const peers = await Promise.all(
    holders.map((chain) => nodes.node({ chainId: params.chainId, nodeType: 'full', chain, autoSync: false })),
  )
  const [corrupt, ...honest] = peers as [(typeof peers)[0], ...typeof peers]
  const lying = corruptedSource((holders[0] as FullChain).chain, how)
  wired.push(await wireBlocks(corrupt, lying))

  const joiner = await startChainNode(nodes.node, params, { autoSync: false })
  for (const peer of peers) await joiner.node.connectToPeer(tcpAddress(peer))
  const started = performance.now()
  const result = await joiner.node.syncBlockchain()
  const ms = performance.now() - started
  console.log(
    `${how}: synced ${result.blocks} blocks from 4 peers (1 corrupt) in ${Math.round(ms)} ms` +
      ` (${Math.round(result.blocks / (ms / 1000))} blocks/s); corrupt peer served ${lying.served} bad blocks`,
  )

  expect(result.to).toBe(SMALL)
  expect(tipHex(joiner.full)).toBe(tipHex(holders[1]))
  // The corrupt peer was on the best chain and was given ranges, so it did serve bad bodies.
  expect(lying.served).toBeGreaterThan(0)
  const corruptId = corrupt.peerId.toString()
  // Penalised: a negative score, or already disconnected for it. The score is gossipsub's
  // (it holds our local penalties as P5), refreshed on its heartbeat: wait for it.
  const penalised = () => {
    const info = joiner.node.peer(corruptId)
    return info?.state !== 'connected' || (info.score ?? 0) < 0
  }
  await waitFor('the corrupt peer penalised', penalised, 5_000)
  for (const peer of honest) {
    const info = joiner.node.peer(peer.peerId.toString())
    expect(info?.state).toBe('connected')
    expect(info?.score ?? 0).toBeGreaterThanOrEqual(0)
  }
}

describe('block sync, large', () => {
  it('a node started next to a peer holding 10,000 blocks syncs to the same tip', async () => {
    const holder = await nodes.node({
      chainId: params.chainId,
      nodeType: 'full',
      chain: source,
      autoSync: false,
    })
    const joiner = await startChainNode(nodes.node, params)
    const started = performance.now()
    // autoSync (the default): the joiner syncs by itself once the peer is connected.
    await joiner.node.connectToPeer(tcpAddress(holder))
    await waitFor(
      `the joiner at height ${LARGE}`,
      () => joiner.full?.chain.tip().height === LARGE,
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (stuck at height ${joiner.full?.chain.tip().height})`)
    })
    const ms = performance.now() - started
    console.log(
      `synced ${LARGE} blocks from 1 peer in ${Math.round(ms)} ms (${Math.round(LARGE / (ms / 1000))} blocks/s)`,
    )
    expect(tipHex(joiner.full)).toBe(tipHex(source))
  }, 45_000)

  it('the same with 4 peers (2,000 blocks), one of which serves another block than asked (it is penalised and the sync still completes)', async () => {
    await syncWithACorruptPeer('other-block')
  }, 30_000)

  it('the same with 4 peers (2,000 blocks), one of which serves blocks with a flipped signature byte (it is penalised and the sync still completes)', async () => {
    await syncWithACorruptPeer('signature')
  }, 30_000)
})
