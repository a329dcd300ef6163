/**
 * Issue 18, the library's chain events: a node's `block` (full) or `header` (light), `tip`
 * and `reorg` events fire for every way the chain moves — sync from a peer (a late joiner),
 * gossip, a block announced through the API, a block added to the chain directly (as the
 * miner does), and a reorg brought by sync — once per block joined and once per tip
 * change, each saying where it came from, with hashes as lowercase hex everywhere
 * (chainTip() included). Real nodes over loopback.
 */
import type { PeerId } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import type { PawNode, ReceivedBlock, ReceivedHeader, ReorgEvent, TipEvent } from '../../src/api/index.ts'
import type { FullChain } from '../../src/chain/full-chain.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import type { Block, ChainParams } from '../../src/chain/types.ts'
import { blockTopic, headerTopic } from '../../src/gossip/topics.ts'
import { toHex } from '../../src/wire/bytes.ts'
import {
  nextBlock,
  openTestFullChain,
  startChainNode,
  testAccounts,
  testChainParams,
} from '../support/chain-nodes.ts'
import { tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
const HEX_HASH = /^[0-9a-f]{64}$/

interface Heard {
  blocks: ReceivedBlock[]
  headers: ReceivedHeader[]
  tips: TipEvent[]
  reorgs: ReorgEvent[]
}

function listen(node: PawNode): Heard {
  const heard: Heard = { blocks: [], headers: [], tips: [], reorgs: [] }
  node.addEventListener('block', ({ detail }) => heard.blocks.push(detail))
  node.addEventListener('header', ({ detail }) => heard.headers.push(detail))
  node.addEventListener('tip', ({ detail }) => heard.tips.push(detail))
  node.addEventListener('reorg', ({ detail }) => heard.reorgs.push(detail))
  return heard
}

const hexOf = (block: Block): string => toHex(blockHash(block.header))

async function addBlocks(full: FullChain, count: number, reward?: Uint8Array): Promise<Block[]> {
  const added: Block[] = []
  for (let i = 0; i < count; i++) {
    const block = await nextBlock(full, reward)
    await full.chain.addBlock(block)
    added.push(block)
  }
  return added
}

/** A chain holding `source`'s blocks up to `height`, then `extra` blocks of its own. */
async function forkOf(params: ChainParams, source: FullChain, height: number, extra: number) {
  const fork = await openTestFullChain(params)
  for (let h = 1; h <= height; h++) {
    const block = await source.chain.getBlockAtHeight(h)
    if (block === undefined) throw new Error(`no block ${h}`)
    await fork.chain.addBlock(block)
  }
  const own = await addBlocks(fork, extra, new Uint8Array(32).fill(0x0f))
  return { fork, own }
}

/** Until `publisher` knows `subscriber` is on `topic` (so what it publishes reaches it). */
async function subscribed(publisher: PawNode, subscriber: PawNode, topic: string): Promise<void> {
  const pubsub = (publisher.libp2p.services as unknown as { pubsub: { getSubscribers(t: string): PeerId[] } })
    .pubsub
  await waitFor(
    `${topic} subscription`,
    () => pubsub.getSubscribers(topic).some((id) => id.equals(subscriber.peerId)),
    10_000,
  )
}

/** Every tip event names the tip before it: the previous event's, or the start's. */
function expectChained(tips: readonly TipEvent[]): void {
  for (const [i, tip] of tips.entries()) {
    expect(tip.hash).toMatch(HEX_HASH)
    expect(typeof tip.totalWeight).toBe('bigint')
    if (i > 0) expect(tip.previous.hash).toBe(tips[i - 1]?.hash)
  }
}

/** Lets any event that would come late arrive before counting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500))

describe('chain events: block, header, tip and reorg from every source', () => {
  it('a full node: sync, gossip, announceBlock, a block added directly, and a reorg', async () => {
    const params = testChainParams(testAccounts(1))
    const a = await startChainNode(nodes.node, params)
    const source = a.full as FullChain
    const synced = await addBlocks(source, 5)

    // A late joiner syncs the 5 blocks from A: one block and one tip event each, from A.
    const j = await startChainNode(nodes.node, params)
    const joined = j.full as FullChain
    const heard = listen(j.node)
    const aId = a.node.peerId.toString()
    await j.node.connectToPeer(tcpAddress(a.node))
    await waitFor('5 synced blocks', () => heard.tips.length >= 5, 20_000)
    expect(heard.blocks.map((b) => b.hash)).toEqual(synced.map(hexOf))
    for (const [i, event] of heard.blocks.entries()) {
      expect(event).toMatchObject({ source: 'sync', from: aId, height: i + 1, outcome: 'extended' })
      expect(event.block.header.height).toBe(i + 1)
    }
    expect(heard.tips.map((t) => [t.height, t.hash, t.source, t.from])).toEqual(
      synced.map((b, i) => [i + 1, hexOf(b), 'sync', aId]),
    )
    expect(heard.tips[0]?.previous).toEqual({
      height: 0,
      hash: toHex(blockHash((await joined.chain.getBlockAtHeight(0))?.header as Block['header'])),
      totalWeight: expect.any(BigInt),
    })
    // chainTip() speaks the events' hash type.
    expect(j.node.chainTip()).toEqual({
      height: 5,
      hash: hexOf(synced[4] as Block),
      totalWeight: heard.tips[4]?.totalWeight,
    })

    // Gossip: A announces block 6; J hears it from A.
    await subscribed(a.node, j.node, blockTopic(params.chainId))
    const gossiped = await nextBlock(source)
    await a.node.announceBlock(gossiped)
    await waitFor('the gossiped block', () => heard.tips.length >= 6, 10_000)
    expect(heard.blocks[5]).toMatchObject({ hash: hexOf(gossiped), height: 6, source: 'gossip', from: aId })
    expect(heard.tips[5]).toMatchObject({ hash: hexOf(gossiped), source: 'gossip', from: aId })

    // J's own block through announceBlock, then one added to its chain directly (the miner's way).
    const announced = await nextBlock(joined)
    const result = await j.node.announceBlock(announced)
    expect(result.hash).toBe(hexOf(announced))
    const [mined] = await addBlocks(joined, 1)
    await waitFor('the two local blocks', () => heard.tips.length >= 8, 10_000)
    expect(heard.blocks.slice(6).map((b) => [b.hash, b.source, b.from])).toEqual([
      [hexOf(announced), 'local', 'local'],
      [hexOf(mined as Block), 'local', 'local'],
    ])
    expect(heard.tips.slice(6).map((t) => [t.hash, t.source])).toEqual([
      [hexOf(announced), 'local'],
      [hexOf(mined as Block), 'local'],
    ])
    expect(heard.reorgs).toEqual([])

    // A heavier fork from block 6 (three blocks against J's two), synced from F: a reorg.
    const { fork, own } = await forkOf(params, source, 6, 3)
    const f = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: fork })
    const fId = f.peerId.toString()
    await j.node.connectToPeer(tcpAddress(f))
    await waitFor('the reorg', () => heard.tips.length >= 9, 20_000)
    await settle()
    expect(heard.reorgs).toEqual([
      {
        disconnected: [hexOf(announced), hexOf(mined as Block)],
        connected: own.map(hexOf),
        forkHeight: 6,
      },
    ])
    expect(heard.blocks.slice(8).map((b) => [b.hash, b.height, b.source, b.from, b.outcome])).toEqual(
      own.map((b, i) => [hexOf(b), 7 + i, 'sync', fId, 'reorg']),
    )
    expect(heard.tips[8]).toMatchObject({
      hash: hexOf(own[2] as Block),
      height: 9,
      source: 'sync',
      from: fId,
    })

    // Once each: 11 blocks joined, 9 tip changes, 1 reorg; nothing twice, nothing late.
    expect(heard.blocks).toHaveLength(11)
    expect(new Set(heard.blocks.map((b) => b.hash)).size).toBe(11)
    expect(heard.tips).toHaveLength(9)
    expect(heard.headers).toEqual([])
    expectChained(heard.tips)
    expect(j.node.chainTip()?.hash).toBe(hexOf(own[2] as Block))
  }, 90_000)

  it('a light node: header sync, a gossiped header, announceBlock, and a reorg', async () => {
    const params = testChainParams(testAccounts(1))
    const a = await startChainNode(nodes.node, params)
    const source = a.full as FullChain
    const synced = await addBlocks(source, 5)
    const aId = a.node.peerId.toString()

    const l = await startChainNode(nodes.node, params, { type: 'light' })
    const heard = listen(l.node)
    await l.node.connectToPeer(tcpAddress(a.node))
    await waitFor('5 synced headers', () => heard.tips.length >= 5, 20_000)
    expect(heard.headers.map((h) => [h.hash, h.height, h.source, h.from, h.outcome])).toEqual(
      synced.map((b, i) => [hexOf(b), i + 1, 'sync', aId, 'extended']),
    )
    expect(heard.headers[0]?.header.height).toBe(1)

    // A gossiped header: A announces block 6 and publishes its header.
    await subscribed(a.node, l.node, headerTopic(params.chainId))
    const gossiped = await nextBlock(source)
    await a.node.announceBlock(gossiped)
    await waitFor('the gossiped header', () => heard.tips.length >= 6, 10_000)
    expect(heard.headers[5]).toMatchObject({ hash: hexOf(gossiped), source: 'gossip', from: aId })

    // The light node announces block 7 itself: its header is the node's own.
    const local = await nextBlock(source)
    await l.node.announceBlock(local)
    await waitFor('the local header', () => heard.tips.length >= 7, 10_000)
    expect(heard.headers[6]).toMatchObject({ hash: hexOf(local), source: 'local', from: 'local' })
    expect(heard.tips[6]).toMatchObject({ hash: hexOf(local), source: 'local', from: 'local' })

    // A heavier fork from block 6, its headers synced from F: the second of its three
    // outweighs the light node's one (a reorg), the third extends it.
    const { fork, own } = await forkOf(params, source, 6, 3)
    const f = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: fork })
    const fId = f.peerId.toString()
    await l.node.connectToPeer(tcpAddress(f))
    await waitFor('the reorg', () => heard.tips.length >= 9, 20_000)
    await settle()
    expect(heard.reorgs).toEqual([
      { disconnected: [hexOf(local)], connected: own.slice(0, 2).map(hexOf), forkHeight: 6 },
    ])
    expect(heard.headers.slice(7).map((h) => [h.hash, h.height, h.source, h.from, h.outcome])).toEqual([
      [hexOf(own[0] as Block), 7, 'sync', fId, 'reorg'],
      [hexOf(own[1] as Block), 8, 'sync', fId, 'reorg'],
      [hexOf(own[2] as Block), 9, 'sync', fId, 'extended'],
    ])
    expect(heard.tips.slice(7).map((t) => [t.height, t.source, t.from])).toEqual([
      [8, 'sync', fId],
      [9, 'sync', fId],
    ])
    expect(heard.headers).toHaveLength(10)
    expect(new Set(heard.headers.map((h) => h.hash)).size).toBe(10)
    expect(heard.tips).toHaveLength(9)
    expect(heard.blocks).toEqual([])
    expectChained(heard.tips)
    expect(l.node.chainTip()?.hash).toBe(hexOf(own[2] as Block))
  }, 90_000)
})
