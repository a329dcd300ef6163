import { describe, expect, it } from 'vitest'
import { blockHash } from '../../src/chain/hashing.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { nextBlock, startChainNode, testAccounts, testChainParams, transfer } from '../support/chain-nodes.ts'
import { tcpAddress, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()

describe('gossip on a line of three full nodes and a light node', () => {
  it('floods a block, its header and a transaction end to end', async () => {
    const accounts = testAccounts(2)
    const params = testChainParams(accounts)
    const a = await startChainNode(nodes.node, params)
    const b = await startChainNode(nodes.node, params)
    const c = await startChainNode(nodes.node, params)
    const light = await startChainNode(nodes.node, params, { type: 'light' })
    await b.node.connectToPeer(tcpAddress(a.node))
    await c.node.connectToPeer(tcpAddress(b.node))
    await light.node.connectToPeer(tcpAddress(c.node))
    // Meshes form on subscription (graft on subscribe) or at the next heartbeat (1 s).
    await new Promise((resolve) => setTimeout(resolve, 1_500))

    const tx = transfer(
      params,
      accounts[0] as never,
      (accounts[1] as never as { address: Uint8Array }).address,
      0n,
    )
    const submitted = await a.node.submitTransaction(tx)
    await waitFor('tx at c', () => c.full?.mempool.has(submitted.id) === true)

    const block = await nextBlock(a.full as never)
    const hash = toHex(blockHash(block.header))
    const announced = await a.node.announceBlock(block)
    expect(announced.outcome).toBe('extended')
    await waitFor('block at c', () => c.full?.chain.tip().height === 1)
    await waitFor('header at light', () => light.headers?.tip().height === 1)
    expect(toHex(c.full?.chain.tip().hash as Uint8Array)).toBe(hash)
    expect(c.full?.mempool.has(submitted.id)).toBe(false)
  }, 20_000)
})
