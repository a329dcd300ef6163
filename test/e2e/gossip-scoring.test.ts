/**
 * Issue 5, and issue 15 "penalties that land": a peer publishing invalid blocks is banned
 * at its first (004 §6.3 "misbehavior triggers immediate ban"; OFFENCES.invalidBlock),
 * disconnected and refused with 0x07, while honest peers' scores stay positive.
 */
import { describe, expect, it } from 'vitest'
import { encodeBlock } from '../../src/chain/encoding.ts'
import { txRoot } from '../../src/chain/hashing.ts'
import { mineHeader } from '../../src/chain/pow.ts'
import type { Block } from '../../src/chain/types.ts'
import { ErrorCode } from '../../src/errors.ts'
import type { PawPubSub } from '../../src/gossip/gossip-service.ts'
import { blockTopic } from '../../src/gossip/topics.ts'
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

/** A child of `block`'s parent whose coinbase pays too much: decodes, but breaks a consensus rule. */
async function overpayingVariant(block: Block, extra: bigint): Promise<Block> {
  const [coinbase, ...rest] = block.transactions
  if (coinbase === undefined) throw new Error('no coinbase')
  const transactions = [{ ...coinbase, amount: coinbase.amount + extra }, ...rest]
  const header = await mineHeader({ ...block.header, txRoot: txRoot(transactions) })
  if (header === undefined) throw new Error('mining failed')
  return { header, transactions }
}

describe('gossip scoring of an invalid-block publisher', () => {
  it('bans and disconnects it at its first invalid block, refuses it afterwards (0x07), and keeps honest peers positive', async () => {
    const accounts = testAccounts(2)
    const params = testChainParams(accounts)
    const victim = await startChainNode(nodes.node, params)
    const honestA = await startChainNode(nodes.node, params)
    const honestB = await startChainNode(nodes.node, params)
    const attacker = await startChainNode(nodes.node, params)
    for (const peer of [honestA, honestB, attacker]) await peer.node.connectToPeer(tcpAddress(victim.node))
    await new Promise((resolve) => setTimeout(resolve, 1_500))

    // Honest traffic first: a transaction from B, a block from A, each delivered first to the victim.
    const tx = transfer(params, accounts[0] as never, new Uint8Array(32).fill(9), 0n)
    const { id } = await honestB.node.submitTransaction(tx)
    await waitFor('the transaction at the victim', () => victim.full?.mempool.has(id) === true)
    const good = await nextBlock(honestA.full as NonNullable<ChainNode['full']>)
    await honestA.node.announceBlock(good)
    await waitFor('the block at the victim', () => victim.full?.chain.tip().height === 1)

    // The attacker publishes blocks that decode but overpay the coinbase, straight onto the topic.
    const pubsub = attacker.node.libp2p.services.pubsub as PawPubSub
    const template = await nextBlock(victim.full as NonNullable<ChainNode['full']>)
    const attackerId = attacker.node.peerId.toString()
    for (let i = 1n; i <= 3n; i++) {
      const bad = await overpayingVariant(template, i)
      await pubsub.publish(blockTopic(params.chainId), encodeBlock(bad))
    }
    await waitFor(
      'the attacker disconnected',
      () => victim.node.peer(attackerId)?.state === 'disconnected',
      5_000,
    )
    // Banned at the first: the ones after it may never have been read.
    const rejected = victim.node.gossipStats().verdicts.blocks.reject
    expect(rejected).toBeGreaterThanOrEqual(1)
    expect(rejected).toBeLessThanOrEqual(3)
    const ban = victim.node.bans().find((entry) => entry.peerId === attackerId)
    expect(ban?.source).toBe('reputation')
    expect(ban?.reason).toMatch(/^invalidBlock \(0x05\)/)
    expect(victim.node.enforcement().bans.offence).toBe(1)
    // Its score as the victim sees it: the offence's −100 at least.
    expect(victim.node.peer(attackerId)?.score ?? 0).toBeLessThanOrEqual(-100)
    // Honest peers: positive (first deliveries, time in mesh), and still connected.
    for (const honest of [honestA, honestB]) {
      const info = victim.node.peer(honest.node.peerId.toString())
      expect(info?.state).toBe('connected')
      expect(info?.score ?? 0).toBeGreaterThan(0)
    }
    expect(victim.full?.chain.tip().height).toBe(1)

    // Reconnecting does not help: the victim refuses it with 0x07, naming the ban. (Once the
    // attacker has seen the connection close: until then connectToPeer returns the open one.)
    const victimId = victim.node.peerId.toString()
    await waitFor(
      'the attacker sees the connection closed',
      () => attacker.node.peer(victimId)?.state !== 'connected',
      5_000,
    )
    await expect(attacker.node.connectToPeer(tcpAddress(victim.node))).rejects.toMatchObject({
      wireCode: ErrorCode.ReputationRejection,
      message: expect.stringMatching(/banned until/),
    })
  }, 30_000)
})
