/**
 * Issue 8, the library side of the browser light client, in Node: `createPawNode({ type:
 * 'light', bootstrap })` with no chain of its own builds its header chain, syncs the
 * headers from the full node it bootstraps from, follows new blocks by gossip, fetches a
 * body by hash and submits a signed transaction that the full node mines into its mempool.
 * (The same, in Chromium over WebSockets, is test/browser.)
 */
import { describe, expect, it } from 'vitest'
import { encodeBlock } from '../../src/chain/encoding.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import type { PawPubSub } from '../../src/gossip/pubsub.ts'
import { pawTopics } from '../../src/gossip/topics.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { nextBlock, startChainNode, testAccounts, testChainParams, transfer } from '../support/chain-nodes.ts'
import { tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()

describe('light client from createPawNode({ type: "light" })', () => {
  it('syncs headers, follows gossip, fetches a body and submits a transaction', async () => {
    const accounts = testAccounts(2)
    const params = testChainParams(accounts)
    const full = await startChainNode(nodes.node, params)
    const chain = full.full
    if (chain === undefined) throw new Error('no full chain')
    for (let i = 0; i < 30; i++) await chain.chain.addBlock(await nextBlock(chain))

    const light = await nodes.node({
      type: 'light',
      chainId: params.chainId,
      params,
      bootstrap: [tcpAddress(full.node).toString()],
      limits: { minOutbound: 1 },
    })
    expect(light.settings.nodeType).toBe('light')
    await waitFor('30 headers', () => light.chainTip()?.height === 30, 15_000)
    // Synced headers come by /paw/blocks/1; gossip needs the light node's subscription to have
    // reached the full node, or the header is published to no one (a loaded machine showed it).
    const pubsub = full.node.libp2p.services.pubsub as PawPubSub
    await waitFor('the light node on the headers topic', () =>
      pubsub.getSubscribers(pawTopics(params.chainId).headers).some((peer) => peer.equals(light.peerId)),
    )

    await full.node.announceBlock(await nextBlock(chain))
    await waitFor('the gossiped header', () => light.chainTip()?.height === 31, 10_000)
    expect(light.chainTip()?.hash).toBe(toHex(chain.chain.tip().hash))

    const wanted = await chain.chain.getBlockAtHeight(17)
    if (wanted === undefined) throw new Error('no block 17')
    const fetched = await light.fetchBlock(blockHash(wanted.header))
    expect(fetched && toHex(encodeBlock(fetched))).toBe(toHex(encodeBlock(wanted)))

    const [sender, receiver] = accounts
    if (sender === undefined || receiver === undefined) throw new Error('no accounts')
    const tx = transfer(params, sender, receiver.address, 0n)
    const submitted = await light.submitTransaction(tx)
    expect(submitted.recipients).toBeGreaterThan(0)
    await waitFor('the transaction in the full node mempool', () => chain.mempool.has(submitted.id), 10_000)
  }, 60_000)
})
