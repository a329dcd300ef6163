/**
 * What gossipsub's seen-cache must not cost us: a message ignored because of its sender
 * (over its rate limit) is still accepted from an honest peer, and a header that overtakes
 * its block is held and relayed once the block is accepted.
 */
import { describe, expect, it } from 'vitest'
import { encodeHeader, encodeTransaction } from '../../src/chain/encoding.ts'
import { txHash } from '../../src/chain/hashing.ts'
import type { PawPubSub } from '../../src/gossip/gossip-service.ts'
import { headerTopic, transactionTopic } from '../../src/gossip/topics.ts'
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
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500))

describe('gossip and the seen-cache', () => {
  it('accepts from an honest peer a transaction it throttled from a peer over its limit', async () => {
    const accounts = testAccounts(3)
    const params = testChainParams(accounts)
    const victim = await startChainNode(nodes.node, params, {
      rateLimits: {
        gossipTransactions: { ratePerSecond: 0.001, burst: 1, rationale: 'test: one transaction' },
      },
    })
    const flooder = await startChainNode(nodes.node, params)
    const honest = await startChainNode(nodes.node, params)
    await flooder.node.connectToPeer(tcpAddress(victim.node))
    await settle()
    const to = new Uint8Array(32).fill(9)
    const [t1, t2] = [
      transfer(params, accounts[0] as never, to, 0n),
      transfer(params, accounts[1] as never, to, 0n),
    ]
    const pubsub = flooder.node.libp2p.services.pubsub as PawPubSub
    await pubsub.publish(transactionTopic(params.chainId), encodeTransaction(t1))
    await waitFor('t1 at the victim', () => victim.full?.mempool.has(toHex(txHash(t1))) === true)
    await pubsub.publish(transactionTopic(params.chainId), encodeTransaction(t2))
    await waitFor('t2 throttled', () => victim.node.gossipStats().throttled === 1)
    expect(victim.full?.mempool.has(toHex(txHash(t2)))).toBe(false)

    // The honest peer connects later and sends t2: not a duplicate for the victim.
    await honest.node.connectToPeer(tcpAddress(victim.node))
    await settle()
    await honest.node.submitTransaction(t2)
    await waitFor(
      't2 at the victim from the honest peer',
      () => victim.full?.mempool.has(toHex(txHash(t2))) === true,
    )
  }, 20_000)

  it('holds a header that overtakes its block and relays it once the block is accepted', async () => {
    const params = testChainParams(testAccounts(1))
    const announcer = await startChainNode(nodes.node, params)
    const relay = await startChainNode(nodes.node, params)
    const light = await startChainNode(nodes.node, params, { type: 'light' })
    await relay.node.connectToPeer(tcpAddress(announcer.node))
    await light.node.connectToPeer(tcpAddress(relay.node))
    await settle()
    const block = await nextBlock(announcer.full as NonNullable<ChainNode['full']>)
    // The header first, straight onto the topic, then the block.
    const pubsub = announcer.node.libp2p.services.pubsub as PawPubSub
    await pubsub.publish(headerTopic(params.chainId), encodeHeader(block.header))
    await waitFor(
      'the relay holding the header',
      () => relay.node.gossipStats().verdicts.headers.accept === 0,
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    await announcer.node.announceBlock(block)
    await waitFor('the header at the light node', () => light.headers?.tip().height === 1, 5_000)
    const verdicts = relay.node.gossipStats().verdicts.headers
    expect(verdicts.accept).toBeGreaterThanOrEqual(1)
    expect(verdicts.ignore).toBe(0)
  }, 20_000)

  it('keeps a transaction that overtook its predecessor nonce and admits it after the predecessor', async () => {
    const accounts = testAccounts(1)
    const params = testChainParams(accounts)
    const receiver = await startChainNode(nodes.node, params)
    const sender = await startChainNode(nodes.node, params)
    await sender.node.connectToPeer(tcpAddress(receiver.node))
    await settle()
    const to = new Uint8Array(32).fill(9)
    const first = transfer(params, accounts[0] as never, to, 0n)
    const second = transfer(params, accounts[0] as never, to, 1n)
    const pubsub = sender.node.libp2p.services.pubsub as PawPubSub
    await pubsub.publish(transactionTopic(params.chainId), encodeTransaction(second))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.full?.mempool.size).toBe(0)
    await pubsub.publish(transactionTopic(params.chainId), encodeTransaction(first))
    await waitFor('both at the receiver', () => receiver.full?.mempool.size === 2)
    expect(receiver.node.gossipStats().verdicts.transactions).toMatchObject({ accept: 2, ignore: 0 })
  }, 20_000)
})
