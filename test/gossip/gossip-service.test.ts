/**
 * PawGossip against the reference chain's ports (src/chain/port/): which messages reach
 * which judge, the verdicts gossipsub is told, what the node hears, what is published, and
 * what senders are charged (protocols/gossip.md "Validation outcomes").
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeBlock, encodeHeader, encodeTransaction } from '../../src/chain/encoding.ts'
import { blockHash, txHash } from '../../src/chain/hashing.ts'
import type { Block } from '../../src/chain/types.ts'
import {
  type AcceptedGossip,
  FORWARD_WINDOW_MS,
  HEADER_WAIT_MS,
  PawGossip,
} from '../../src/gossip/gossip-service.ts'
import { pawTopics } from '../../src/gossip/topics.ts'
import { PARK_MS } from '../../src/gossip/waiting-room.ts'
import { silentLogger } from '../../src/logging.ts'
import { PeerRateLimiter } from '../../src/peers/rate-limits.ts'
import { Reputation } from '../../src/peers/reputation.ts'
import type { ChainPort } from '../../src/ports/chain.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { coinbase } from '../support/chain-builder.ts'
import {
  accounts,
  FakePubSub,
  fullChain,
  headerChain,
  params,
  recordingEnforcer,
  transfer,
} from './gossip-fixtures.ts'

const { Accept, Ignore, Reject } = TopicValidatorResult
const topics = pawTopics(params.chainId)
const [alice, bob] = accounts

const running: PawGossip[] = []

afterEach(async () => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  for (const gossip of running.splice(0)) await gossip.stop()
})

function gossipFor(
  chain: ChainPort | undefined,
  options: { chainId?: string; limiter?: PeerRateLimiter; handshaken?: boolean } = {},
) {
  const fake = new FakePubSub()
  const enforcer = recordingEnforcer()
  const accepted: AcceptedGossip[] = []
  const unknownParents: string[] = []
  const gossip = new PawGossip({
    pubsub: fake.pubsub,
    chain,
    ...(options.chainId === undefined ? {} : { chainId: options.chainId }),
    reputation: new Reputation(),
    limiter: options.limiter ?? new PeerRateLimiter(),
    isHandshaken: () => options.handshaken ?? true,
    connectedPeers: () => ['peer-a'],
    enforcer,
    onAccepted: (event) => accepted.push(event),
    log: silentLogger,
    onUnknownParent: (from) => unknownParents.push(from),
  })
  gossip.start()
  running.push(gossip)
  return { fake, enforcer, accepted, unknownParents, gossip }
}

const hashOf = (block: Block) => toHex(blockHash(block.header))

describe('PawGossip: topics and publishing', () => {
  it('subscribes to the topics of its node type', async () => {
    const full = gossipFor((await fullChain()).port)
    expect([...full.fake.subscribed]).toEqual([topics.blocks, topics.transactions, topics.headers])
    const light = gossipFor((await headerChain()).port)
    expect([...light.fake.subscribed]).toEqual([topics.headers])
    const none = gossipFor(undefined, { chainId: params.chainId })
    expect([...none.fake.subscribed]).toEqual([])
    await full.gossip.stop()
    expect(full.fake.subscribed.size).toBe(0)
  })

  it('publishes a block and then its header, and a transaction, on the chain’s topics', async () => {
    const { fake, gossip } = gossipFor((await fullChain()).port)
    const block = Uint8Array.of(1, 2, 3)
    const header = Uint8Array.of(4)
    expect(await gossip.publishBlock(block, header)).toBe(2)
    expect(await gossip.publishTransaction(Uint8Array.of(5))).toBe(2)
    expect(fake.published).toEqual([
      { topic: topics.blocks, data: block },
      { topic: topics.headers, data: header },
      { topic: topics.transactions, data: Uint8Array.of(5) },
    ])
    await expect(
      gossip.publishTransaction(Uint8Array.of(5), { signal: AbortSignal.abort() }),
    ).rejects.toThrow()
  })

  it('publishes with no chain on the topics of its chain ID, and refuses with neither', async () => {
    const { fake, gossip } = gossipFor(undefined, { chainId: params.chainId })
    await gossip.publishTransaction(Uint8Array.of(5))
    expect(fake.published[0]?.topic).toBe(topics.transactions)
    // Gossip it cannot judge is Ignored.
    const msgId = fake.deliver(topics.transactions, Uint8Array.of(5))
    expect(fake.verdicts.get(msgId)).toBe(Ignore)
    await expect(gossipFor(undefined).gossip.publishTransaction(Uint8Array.of(5))).rejects.toThrow(TypeError)
  })
})

describe('PawGossip: blocks on a full node', () => {
  it('accepts a block that extends the chain, tells the node, and publishes its header', async () => {
    const { port, blocks } = await fullChain()
    const { fake, gossip, accepted } = gossipFor(port)
    const block = await blocks.extend()
    const msgId = fake.deliver(topics.blocks, encodeBlock(block))
    await gossip.idle()
    expect(fake.verdicts.get(msgId)).toBe(Accept)
    expect(accepted).toEqual([
      { kind: 'block', decoded: block, hash: hashOf(block), height: 1, from: 'peer-a', outcome: 'extended' },
    ])
    expect(fake.published).toEqual([{ topic: topics.headers, data: encodeHeader(block.header) }])
    // The same block again (another copy, another ID in this stand-in): nothing new.
    const again = fake.deliver(topics.blocks, encodeBlock(block), 'peer-b')
    await gossip.idle()
    expect(fake.verdicts.get(again)).toBe(Ignore)
    expect(accepted).toHaveLength(1)
    expect(gossip.stats().verdicts.blocks).toEqual({ accept: 1, ignore: 1, reject: 0 })
  })

  it('rejects a block no valid block can be, and bans its sender (offences.ts)', async () => {
    const { port, blocks } = await fullChain()
    const { fake, gossip, enforcer, accepted } = gossipFor(port)
    const block = await blocks.build()
    const forged = encodeBlock({ ...block, transactions: [coinbase(1, 1n)] })
    const garbage = Uint8Array.of(1, 2, 3)
    const ids = [
      fake.deliver(topics.blocks, forged, 'forger'),
      fake.deliver(topics.blocks, garbage, 'garbler'),
    ]
    await gossip.idle()
    expect(ids.map((id) => fake.verdicts.get(id))).toEqual([Reject, Reject])
    expect(enforcer.charges.map(({ peer, offence }) => ({ peer, offence }))).toEqual([
      { peer: 'forger', offence: 'invalidBlock' },
      { peer: 'garbler', offence: 'invalidBlock' },
    ])
    expect(accepted).toEqual([])
    expect(fake.published).toEqual([])
  })

  it('rejects a block message too large to read at once, before the chain sees it', async () => {
    const { port } = await fullChain()
    const importBlock = vi.spyOn(port, 'importBlock')
    const { fake, enforcer } = gossipFor(port)
    const msgId = fake.deliver(topics.blocks, new Uint8Array(port.shape.maxBlockBytes + 1_025))
    expect(fake.verdicts.get(msgId)).toBe(Reject)
    expect(enforcer.charges.map((c) => c.offence)).toEqual(['invalidBlock'])
    expect(importBlock).not.toHaveBeenCalled()
  })

  it('ignores a block whose parent is unknown, and says we are behind', async () => {
    const { port, blocks } = await fullChain()
    const { fake, gossip, enforcer, unknownParents } = gossipFor(port)
    await blocks.extend()
    const second = await blocks.extend()
    const msgId = fake.deliver(topics.blocks, encodeBlock(second), 'ahead')
    await gossip.idle()
    expect(fake.verdicts.get(msgId)).toBe(Ignore)
    expect(unknownParents).toEqual(['ahead'])
    expect(enforcer.charges).toEqual([])
  })
})

describe('PawGossip: headers on a full node', () => {
  it('relays the header of a stored block, rejects one that is not a header', async () => {
    const { full, port, blocks } = await fullChain()
    const { fake, gossip } = gossipFor(port)
    const block = await blocks.extend()
    await full.chain.addBlock(block)
    const stored = fake.deliver(topics.headers, encodeHeader(block.header))
    const garbage = fake.deliver(topics.headers, Uint8Array.of(1))
    await gossip.idle()
    expect(fake.verdicts.get(stored)).toBe(Accept)
    expect(fake.verdicts.get(garbage)).toBe(Reject)
  })

  it('holds a header that overtook its block, and relays it when the block is accepted', async () => {
    const { port, blocks } = await fullChain()
    const { fake, gossip } = gossipFor(port)
    const block = await blocks.extend()
    const header = fake.deliver(topics.headers, encodeHeader(block.header))
    await gossip.idle()
    expect(fake.verdicts.has(header)).toBe(false)
    fake.deliver(topics.blocks, encodeBlock(block))
    await gossip.idle()
    expect(fake.verdicts.get(header)).toBe(Accept)
    // Accepting the held header is its relay: it is not published again.
    expect(fake.published).toEqual([])
  })

  it('ignores a held header whose block never comes, and forgets it was seen', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { port, blocks } = await fullChain()
    const { fake, gossip } = gossipFor(port)
    const block = await blocks.build()
    const header = fake.deliver(topics.headers, encodeHeader(block.header))
    await gossip.idle()
    vi.advanceTimersByTime(HEADER_WAIT_MS + 1)
    expect(fake.verdicts.get(header)).toBe(Ignore)
    expect(fake.seenCache.entries.has(header)).toBe(false)
  })
})

describe('PawGossip: transactions on a full node', () => {
  it('admits a transaction, tells the node, ignores it again, rejects what is not one', async () => {
    const { port } = await fullChain()
    const { fake, gossip, accepted, enforcer } = gossipFor(port)
    const transaction = transfer(alice, bob.address, 0n)
    const first = fake.deliver(topics.transactions, encodeTransaction(transaction))
    const again = fake.deliver(topics.transactions, encodeTransaction(transaction), 'peer-b')
    const garbage = fake.deliver(topics.transactions, new Uint8Array(151))
    await gossip.idle()
    expect([first, again, garbage].map((id) => fake.verdicts.get(id))).toEqual([Accept, Ignore, Reject])
    expect(accepted).toEqual([
      { kind: 'transaction', decoded: transaction, id: toHex(txHash(transaction)), from: 'peer-a' },
    ])
    expect(enforcer.charges).toEqual([])
    expect(port.pool.has(toHex(txHash(transaction)))).toBe(true)
  })

  it('parks a transaction that overtook its predecessor, and admits it after', async () => {
    const { port } = await fullChain()
    const { fake, gossip, accepted } = gossipFor(port)
    const zero = transfer(alice, bob.address, 0n)
    const one = transfer(alice, bob.address, 1n)
    const later = fake.deliver(topics.transactions, encodeTransaction(one))
    await gossip.idle()
    expect(fake.verdicts.has(later)).toBe(false)
    const earlier = fake.deliver(topics.transactions, encodeTransaction(zero))
    await gossip.idle()
    expect(fake.verdicts.get(earlier)).toBe(Accept)
    expect(fake.verdicts.get(later)).toBe(Accept)
    expect(accepted.map((event) => event.kind === 'transaction' && event.decoded)).toEqual([zero, one])
  })

  it('ignores a parked transaction whose predecessor never comes, and forgets it was seen', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { port } = await fullChain()
    const { fake, gossip } = gossipFor(port)
    const later = fake.deliver(topics.transactions, encodeTransaction(transfer(alice, bob.address, 3n)))
    await gossip.idle()
    vi.advanceTimersByTime(PARK_MS + 1)
    expect(fake.verdicts.get(later)).toBe(Ignore)
    expect(fake.seenCache.entries.has(later)).toBe(false)
  })

  it('ignores, unjudged and unseen, what a peer over its rate limit or without a handshake sends', async () => {
    const { port } = await fullChain()
    const limiter = new PeerRateLimiter({
      limits: {
        gossipTransactions: {
          ratePerSecond: 1,
          burst: 1,
          rationale: 'one, then none: the clock stands still',
        },
      },
      now: () => 0,
    })
    const { fake, gossip } = gossipFor(port, { limiter })
    const ids = [0n, 1n].map((nonce) =>
      fake.deliver(topics.transactions, encodeTransaction(transfer(alice, bob.address, nonce))),
    )
    await gossip.idle()
    expect(ids.map((id) => fake.verdicts.get(id))).toEqual([Accept, Ignore])
    expect(fake.seenCache.entries.has(ids[1] as string)).toBe(false)
    expect(gossip.stats().throttled).toBe(1)

    const stranger = gossipFor(port, { handshaken: false })
    const msgId = stranger.fake.deliver(topics.transactions, new Uint8Array(152))
    expect(stranger.fake.verdicts.get(msgId)).toBe(Ignore)
    expect(stranger.fake.seenCache.entries.has(msgId)).toBe(false)
    expect(stranger.gossip.stats()).toMatchObject({
      notHandshaken: 1,
      verdicts: { transactions: { accept: 0, ignore: 1, reject: 0 } },
    })
  })

  it('forwards by publishing again what it accepted after gossipsub’s forwarding window', async () => {
    const { port } = await fullChain()
    let now = 1_000
    vi.spyOn(performance, 'now').mockImplementation(() => now)
    const { fake, gossip } = gossipFor(port)
    const data = encodeTransaction(transfer(alice, bob.address, 0n))
    const msgId = fake.deliver(topics.transactions, data)
    now += FORWARD_WINDOW_MS + 1
    await gossip.idle()
    expect(fake.verdicts.get(msgId)).toBe(Accept)
    expect(fake.published).toEqual([{ topic: topics.transactions, data }])
    expect(fake.seenCache.entries.has(msgId)).toBe(false)
    expect(gossip.stats().republished).toBe(1)
  })
})

describe('PawGossip: headers on a light node', () => {
  it('imports a header that extends the chain and tells the node; rejects garbage, ignores the unknown', async () => {
    const { port, blocks } = await headerChain()
    const { fake, gossip, accepted, enforcer } = gossipFor(port)
    const first = await blocks.extend()
    await blocks.extend()
    const third = await blocks.extend()
    const ids = [
      fake.deliver(topics.headers, encodeHeader(first.header)),
      fake.deliver(topics.headers, Uint8Array.of(1)),
      fake.deliver(topics.headers, encodeHeader(third.header)),
      fake.deliver(topics.transactions, encodeTransaction(transfer(alice, bob.address, 0n))),
    ]
    await gossip.idle()
    expect(ids.map((id) => fake.verdicts.get(id))).toEqual([Accept, Reject, Ignore, Ignore])
    expect(accepted).toEqual([
      {
        kind: 'header',
        decoded: first.header,
        hash: hashOf(first),
        height: 1,
        from: 'peer-a',
        outcome: 'extended',
      },
    ])
    expect(enforcer.charges).toEqual([])
  })
})

describe('PawGossip: heartbeat', () => {
  it('has the enforcer review every peer whose score is known, and prunes every minute', async () => {
    const { fake, enforcer } = gossipFor(undefined, { chainId: params.chainId })
    fake.score.peerStats.set('gone', {})
    fake.heartbeat()
    expect(enforcer.reviewed.sort()).toEqual(['gone', 'peer-a'])
    for (let i = 1; i < 60; i++) fake.heartbeat()
    expect(enforcer.prunes).toBe(1)
  })
})
