/**
 * Issue 6, at scale: a new node syncs a 10,000-block chain over /paw/blocks/1; the same from
 * 4 peers, one of which serves corrupted bodies (headers honest, so it is on the best chain
 * and gets ranges) and is charged while the sync completes from the honest ones; a light
 * node syncs the 10,000 headers and fetches one body by hash.
 *
 * The source chain is mined once (the test chain's proof of work is trivial; each block is
 * its coinbase only). The holders serve from it, each through its own node: serving only
 * reads the chain, so one copy on disk would make no difference to what crosses the wire.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeBlock } from '../../src/chain/encoding.ts'
import type { FullChain } from '../../src/chain/full-chain.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import type { SyncProgress } from '../../src/sync/types.ts'
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

let params: ChainParams
let source: FullChain

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

/** A node serving the source chain (autoSync off: it has nothing to learn). */
function holder() {
  return nodes.node({ chainId: params.chainId, nodeType: 'full', chain: source, autoSync: false })
}

/**
 * Three honest holders and one whose /paw/blocks/1 serves `how`-corrupted bodies; a joiner
 * (autoSync off, so its one sync sees all four peers, not just the first to connect) syncs
 * the 10,000 blocks from them.
 */
async function syncWithACorruptPeer(how: Corruption): Promise<void> {
  const peers = await Promise.all([holder(), holder(), holder(), holder()])
  const [corrupt, ...honest] = peers
  const lying = corruptedSource(source, how)
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

  expect(result.to).toBe(LARGE)
  expect(tipHex(joiner.full)).toBe(tipHex(source))
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
  it('a node started next to a peer holding 10,000 blocks syncs to the same tip, reporting progress', async () => {
    const peer = await holder()
    const joiner = await startChainNode(nodes.node, params)
    const progress: SyncProgress[] = []
    joiner.node.addEventListener('sync:progress', ({ detail }) => progress.push(detail))
    const started = performance.now()
    // autoSync (the default): the joiner syncs by itself once the peer is connected.
    await joiner.node.connectToPeer(tcpAddress(peer))
    await waitFor(
      `the joiner at height ${LARGE}`,
      () => joiner.full?.chain.tip().height === LARGE,
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (stuck at height ${joiner.full?.chain.tip().height})`)
    })
    const ms = performance.now() - started
    console.log(
      `synced ${LARGE} blocks from 1 peer in ${Math.round(ms)} ms (${Math.round(LARGE / (ms / 1000))} blocks/s),` +
        ` ${progress.length} progress reports`,
    )
    expect(tipHex(joiner.full)).toBe(tipHex(source))
    // Progress: heights rising towards the target, then one final report at the tip.
    await waitFor('the final progress report', () => progress.at(-1)?.done === true, 2_000)
    expect(progress.every((p) => p.kind === 'blocks' && p.target === LARGE && p.from === 0)).toBe(true)
    const heights = progress.map((p) => p.height)
    expect(heights).toEqual([...heights].sort((x, y) => x - y))
    expect(progress.at(-1)).toMatchObject({ height: LARGE, done: true })
    expect(progress.filter((p) => p.done)).toHaveLength(1)
  }, 45_000)

  it('the same with 4 peers, one of which serves another block than asked (it is penalised and the sync still completes)', async () => {
    await syncWithACorruptPeer('other-block')
  }, 45_000)

  it('the same with 4 peers, one of which serves blocks with a flipped signature byte (it is penalised and the sync still completes)', async () => {
    await syncWithACorruptPeer('signature')
  }, 45_000)

  it('a light node syncs the 10,000 headers, then fetches one body by hash, checked against its header', async () => {
    const peer = await holder()
    const light = await startChainNode(nodes.node, params, { type: 'light' })
    const started = performance.now()
    await light.node.connectToPeer(tcpAddress(peer))
    await waitFor(`${LARGE} headers at the light node`, () => light.headers?.tip().height === LARGE, 30_000)
    console.log(`light node: ${LARGE} headers in ${Math.round(performance.now() - started)} ms`)
    expect(toHex(light.headers?.tip().hash as Uint8Array)).toBe(tipHex(source))
    const wanted = await source.chain.getBlockAtHeight(7_777)
    if (wanted === undefined) throw new Error('no block at 7,777')
    const fetched = await light.node.fetchBlock(blockHash(wanted.header))
    expect(fetched && toHex(encodeBlock(fetched))).toBe(toHex(encodeBlock(wanted)))
  }, 45_000)
})
