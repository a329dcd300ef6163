/**
 * Issue 5 "The project must show", on loopback: 10 full nodes in a sparse topology (each
 * dials 2–3 others) flood blocks and transactions.
 */
import { describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { toHex } from '../../src/wire/bytes.ts'
import {
  type ChainNode,
  nextBlock,
  startChainNode,
  testAccounts,
  testChainParams,
  transfer,
} from '../support/chain-nodes.ts'
import { tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()

/** A deterministic sparse topology: node i dials 2 or 3 earlier nodes (connected by construction). */
function sparseEdges(count: number): Array<[number, number]> {
  const edges: Array<[number, number]> = []
  let seed = 12345
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  for (let i = 1; i < count; i++) {
    const wanted = Math.min(i, 2 + (random() < 0.5 ? 1 : 0))
    const targets = new Set<number>([i - 1])
    while (targets.size < wanted) targets.add(Math.floor(random() * i))
    for (const target of targets) edges.push([i, target])
  }
  return edges
}

async function connectAll(network: ChainNode[], edges: Array<[number, number]>): Promise<void> {
  await Promise.all(
    edges.map(([from, to]) =>
      (network[from] as ChainNode).node.connectToPeer(tcpAddress((network[to] as ChainNode).node)),
    ),
  )
}

/** Time for gossipsub to exchange subscriptions and graft meshes (heartbeat 1 s). */
const meshSettled = () => new Promise((resolve) => setTimeout(resolve, 1_500))

describe('gossip on 10 nodes in a sparse topology', () => {
  it('floods a block to all within 2 s, 1,000 transactions into every mempool once, and syncs a late joiner', async () => {
    const accounts = testAccounts(1_000)
    const params = testChainParams(accounts)
    const network: ChainNode[] = []
    for (let i = 0; i < 10; i++) network.push(await startChainNode(nodes.node, params))
    const edges = sparseEdges(10)
    for (let i = 0; i < 10; i++) {
      const dials = edges.filter(([from]) => from === i).length
      expect(i === 0 || (dials >= 1 && dials <= 3)).toBe(true)
    }
    await connectAll(network, edges)
    await meshSettled()

    // A block mined on node 7 reaches every node within 2 s.
    const miner = network[7] as ChainNode
    const block = await nextBlock(miner.full as NonNullable<ChainNode['full']>)
    const hash = toHex(blockHash(block.header))
    const arrivals = new Map<PawNode, number>()
    for (const { node } of network) {
      node.addEventListener('block', (event) => {
        // By gossip: node 7's own block event is not an arrival.
        if (event.detail.hash === hash && event.detail.source === 'gossip')
          arrivals.set(node, performance.now())
      })
    }
    const announcedAt = performance.now()
    await miner.node.announceBlock(block)
    await waitFor('the block at every node', () => arrivals.size === 9, 2_000)
    const slowest = Math.max(...arrivals.values()) - announcedAt
    console.log(`block from node 7 at all 9 others: slowest ${slowest.toFixed(1)} ms after the announce`)
    expect(slowest).toBeLessThan(2_000)
    for (const { full } of network) expect(full?.chain.tip().height).toBe(1)

    // 1,000 transactions, each submitted at one node (round robin), reach every mempool once.
    const seen = network.map(() => new Map<string, number>())
    network.forEach(({ node }, index) => {
      node.addEventListener('transaction', (event) => {
        const counts = seen[index] as Map<string, number>
        counts.set(event.detail.id, (counts.get(event.detail.id) ?? 0) + 1)
      })
    })
    const recipient = new Uint8Array(32).fill(9)
    const transactions: Transaction[] = accounts.map((account) => transfer(params, account, recipient, 0n))
    const ids: string[] = []
    for (const [index, tx] of transactions.entries()) {
      const at = network[index % 10] as ChainNode
      ids.push((await at.node.submitTransaction(tx)).id)
    }
    await waitFor(
      '1,000 transactions in every mempool',
      () => network.every(({ full }) => full?.mempool.size === 1_000),
      60_000,
    )
    for (const [index, { full }] of network.entries()) {
      for (const id of ids) expect(full?.mempool.has(id)).toBe(true)
      // Each transaction entered each mempool once: by submission at its own node, else by one gossip delivery.
      const counts = seen[index] as Map<string, number>
      expect([...counts.values()].every((count) => count === 1)).toBe(true)
      expect(counts.size).toBe(1_000 - 100)
    }
    // Nothing was dropped for want of queue room.
    for (const { node } of network) expect(node.gossipStats().lanes.transactions.dropped).toBe(0)

    // A node joining later gets the pending set by mempool sync, not by a re-broadcast.
    // (4 s: past gossipsub's 3 s IHAVE window, so gossip cannot offer them either.)
    await new Promise((resolve) => setTimeout(resolve, 4_000))
    const published = network.map(({ node }) => node.gossipStats().verdicts.transactions.accept)
    const late = await startChainNode(nodes.node, params)
    const via = new Map<string, number>()
    late.node.addEventListener('transaction', (event) => {
      via.set(event.detail.via, (via.get(event.detail.via) ?? 0) + 1)
    })
    await late.node.connectToPeer(tcpAddress((network[3] as ChainNode).node))
    await waitFor('the pending set at the late node', () => late.full?.mempool.size === 1_000, 30_000)
    expect(Object.fromEntries(via)).toEqual({ 'mempool-sync': 1_000 })
    expect(late.node.gossipStats().verdicts.transactions).toEqual({ accept: 0, ignore: 0, reject: 0 })
    expect(network.map(({ node }) => node.gossipStats().verdicts.transactions.accept)).toEqual(published)
  }, 120_000)
})
