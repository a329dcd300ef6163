/**
 * Issue 6: a node that connects to a peer holding blocks it lacks syncs to
 * the same tip over /paw/blocks/1, headers first, then bodies from several peers.
 */
import { describe, expect, it } from 'vitest'
import { encodeBlock } from '../../src/chain/encoding.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { toHex } from '../../src/wire/bytes.ts'
import {
  type ChainNode,
  nextBlock,
  openTestFullChain,
  startChainNode,
  testAccounts,
  testChainParams,
} from '../support/chain-nodes.ts'
import { tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()

async function chainOf(params: ReturnType<typeof testChainParams>, blocks: number) {
  const full = await openTestFullChain(params)
  for (let i = 0; i < blocks; i++) await full.chain.addBlock(await nextBlock(full))
  return full
}

describe('block sync', () => {
  it('a new node syncs 300 blocks from two peers, by itself on connecting', async () => {
    const params = testChainParams(testAccounts(1))
    const source = await chainOf(params, 300)
    // A second holder of the same chain: the same blocks, added in order.
    const copy = await openTestFullChain(params)
    for (let height = 1; height <= 300; height++) {
      const block = await source.chain.getBlockAtHeight(height)
      if (block === undefined) throw new Error('missing block')
      await copy.chain.addBlock(block)
    }
    const a = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: source })
    const b = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: copy })
    const joiner = await startChainNode(nodes.node, params)
    let finished = 0
    joiner.node.addEventListener('sync:progress', ({ detail }) => {
      if (detail.done) finished++
    })
    await joiner.node.connectToPeer(tcpAddress(a))
    await joiner.node.connectToPeer(tcpAddress(b))
    await waitFor('the joiner at height 300', () => joiner.full?.chain.tip().height === 300, 30_000)
    expect(toHex((joiner.full as NonNullable<ChainNode['full']>).chain.tip().hash)).toBe(
      toHex(source.chain.tip().hash),
    )
    // Nothing left to fetch: a sync started after the one that fetched (which a call made
    // while it still runs would join) adds nothing.
    await waitFor('the sync that fetched the blocks finished', () => finished > 0, 5_000)
    const again = await joiner.node.syncBlockchain()
    expect(again.blocks).toBe(0)
  }, 60_000)

  it('follows gossip again after catching up: a block on top of a chain it missed', async () => {
    const params = testChainParams(testAccounts(1))
    const source = await chainOf(params, 20)
    const a = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: source })
    const joiner = await startChainNode(nodes.node, params)
    await joiner.node.connectToPeer(tcpAddress(a))
    await waitFor('the joiner at height 20', () => joiner.full?.chain.tip().height === 20, 20_000)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await a.announceBlock(await nextBlock(source))
    await waitFor('the joiner at height 21', () => joiner.full?.chain.tip().height === 21, 5_000)
  }, 60_000)

  it('a light node syncs the headers, then fetches one body by hash, checked against its header', async () => {
    const accounts = testAccounts(2)
    const params = testChainParams(accounts)
    const source = await chainOf(params, 300)
    const a = await nodes.node({ chainId: params.chainId, nodeType: 'full', chain: source })
    const light = await startChainNode(nodes.node, params, { type: 'light' })
    await light.node.connectToPeer(tcpAddress(a))
    await waitFor('300 headers at the light node', () => light.headers?.tip().height === 300, 20_000)
    expect(toHex(light.headers?.tip().hash as Uint8Array)).toBe(toHex(source.chain.tip().hash))
    const wanted = (await source.chain.getBlockAtHeight(150)) as NonNullable<
      Awaited<ReturnType<typeof source.chain.getBlockAtHeight>>
    >
    const fetched = await light.node.fetchBlock(blockHash(wanted.header))
    expect(fetched && toHex(encodeBlock(fetched))).toBe(toHex(encodeBlock(wanted)))
    expect(await light.node.fetchBlock(new Uint8Array(32).fill(1))).toBeUndefined()
  }, 60_000)
})
