/**
 * Issue 7 "inbound slots full → an honest newcomer replaces a worse peer, protected peers
 * are never evicted", between real libp2p nodes on 127.0.0.1 (src/peers/eviction.ts,
 * PeerManager.admitInbound → #evictFor).
 *
 * Every peer is on 127.0.0.1, so all share one netgroup (ipv4:127.0): the netgroup
 * category protects exactly one peer, the best-scored. The target keeps its maintenance
 * loop idle (maintenanceIntervalMs of an hour): its first keep-alive ping, which measures the
 * RTT, is sent by the first maintenance pass after a handshake, so with the 5 s default some
 * peers would get an RTT mid-test and lowestRtt would protect up to 8 of them. With none
 * measured, lowestRtt protects nobody, and each remaining category is made visible by a
 * peer that only that category saves:
 *
 * - netgroups: a raw peer that handshook a few times before (+1 credit per handshake, 004
 *   §6.3) and is the best-scored, though young;
 * - recentBlocks: a chain node that gossiped a block to the target, though young and with
 *   a worse score than the victim (malformed /paw/mempool/1 frames, 0x05, −5 each);
 * - longestConnected: the oldest peer, the worst-scored of all;
 * and the victim is the worst-scored of the unprotected young, not merely the youngest.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import type { PawNode, PeerInfo, ReceivedBlock } from '../../src/api/index.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { blockTopic } from '../../src/gossip/topics.ts'
import { PENALTIES } from '../../src/peers/offences.ts'
import { CONNECTION_CREDIT } from '../../src/peers/reputation.ts'
import { MEMPOOL_PROTOCOL } from '../../src/protocols/mempool/constants.ts'
import {
  type ChainNode,
  nextBlock,
  startChainNode,
  testAccounts,
  testChainParams,
} from '../support/chain-nodes.ts'
import { handshakeRaw, RawFrames, warnings } from '../support/mempool-peers.ts'
import { type RawPeer, tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
const params = testChainParams(testAccounts(1))
const EVICTING = 'evicting an inbound peer for a newcomer'

interface Target {
  chain: ChainNode
  node: PawNode
  lines: string[]
}

/** The node whose inbound slots fill up; its maintenance loop stays idle (no RTT measured). */
async function startTarget(maxInbound: number): Promise<Target> {
  const lines: string[] = []
  const chain = await startChainNode(nodes.node, params, {
    logger: testLogger(lines),
    limits: { maxInbound },
    maintenanceIntervalMs: 3_600_000,
    // Many handshakes from 127.0.0.1 in a row: above libp2p's per-host inbound rate.
    inbound: { perHostPerSecond: 1_000 },
  })
  return { chain, node: chain.node, lines }
}

function idOf(peer: ChainNode | RawPeer): string {
  return 'node' in peer ? peer.node.peerId.toString() : peer.libp2p.peerId.toString()
}

/** Dials the target from an honest chain node; resolves once both sides list it connected. */
async function connectHonest(peer: ChainNode, target: Target): Promise<void> {
  const info = await peer.node.connectToPeer(tcpAddress(target.node))
  expect(info.state).toBe('connected')
  await waitFor(
    'the target to list the peer connected',
    () => target.node.peer(idOf(peer))?.state === 'connected',
  )
}

/** A raw peer that handshook `previous` times before (a credit each), then connects to stay. */
async function connectRaw(peer: RawPeer, target: Target, previous = 0): Promise<Connection> {
  for (let i = 0; i < previous; i++) {
    const connection = await handshakeRaw(peer, target.node, params.chainId)
    await connection.close()
    await waitFor('the target to list the raw peer disconnected', () => {
      return target.node.peer(idOf(peer))?.state === 'disconnected'
    })
  }
  return handshakeRaw(peer, target.node, params.chainId)
}

function scoreOf(target: Target, peerId: string): number {
  const score = target.node.peer(peerId)?.score
  if (score === undefined) throw new Error(`no score for ${peerId}`)
  return score
}

/**
 * Sends `count` well-formed frames of a type /paw/mempool/1 does not define on `stream`
 * (0x05 each, src/protocols/mempool/reader.ts) from a peer that handshook once and did
 * nothing else; waits until the target has charged them all and its reputation shows it
 * (a gossipsub score is cached for a heartbeat, 1 s, so the score lags the WARN lines).
 */
async function misbehave(target: Target, peerId: string, stream: Stream, count: number): Promise<void> {
  const frames = new RawFrames(stream)
  for (let i = 0; i < count; i++) expect(frames.send('get_peers', new Uint8Array([1]))).toBe(true)
  await waitFor(`${count} 0x05 warnings for ${peerId}`, () => {
    return warnings(target.lines, '0x05').filter((line) => line.includes(peerId)).length === count
  })
  await waitFor(`the reputation of ${peerId} to include its penalties`, () => {
    return scoreOf(target, peerId) <= CONNECTION_CREDIT + count * PENALTIES.invalidMessage + 0.5
  })
}

/** `peer` gossips one new block; resolves once the target accepted it from `peer` (noteDelivery). */
async function deliverBlock(peer: ChainNode, target: Target): Promise<void> {
  const full = peer.full
  if (full === undefined) throw new Error('a full node is needed to mine')
  const pubsub = (
    peer.node.libp2p.services as unknown as { pubsub: { getSubscribers(topic: string): PeerId[] } }
  ).pubsub
  await waitFor('the peer to see the target subscribed to blocks', () => {
    return pubsub.getSubscribers(blockTopic(params.chainId)).some((id) => id.equals(target.node.peerId))
  })
  const from: string[] = []
  target.node.addEventListener('block', (event: CustomEvent<ReceivedBlock>) => from.push(event.detail.from))
  const result = await peer.node.announceBlock(await nextBlock(full))
  expect(result.recipients).toBeGreaterThan(0)
  await waitFor('the target to accept the block from the peer', () => from.includes(idOf(peer)))
}

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return isPawError(error) ? error.wireCode : -1
  }
}

function connectedInbound(target: Target): PeerInfo[] {
  return target.node.peers().filter((peer) => peer.state === 'connected' && peer.direction === 'inbound')
}

describe('inbound eviction (issue 7)', () => {
  it('12 inbound slots full: an honest newcomer replaces the worst-scored unprotected young peer; the best-scored, the block deliverer and the oldest half stay', async () => {
    const target = await startTarget(12)
    // In order of connection (oldest first).
    const oldBad = await nodes.raw()
    const old = await Promise.all([0, 1, 2, 3].map(() => startChainNode(nodes.node, params)))
    const deliverer = await startChainNode(nodes.node, params)
    const young1 = await startChainNode(nodes.node, params)
    const best = await nodes.raw()
    const young2 = await startChainNode(nodes.node, params)
    const [bad1, bad2, bad3] = [await nodes.raw(), await nodes.raw(), await nodes.raw()]
    const newcomer = await startChainNode(nodes.node, params)

    const oldBadConnection = await connectRaw(oldBad, target)
    for (const peer of old) await connectHonest(peer, target)
    await connectHonest(deliverer, target)
    await connectHonest(young1, target)
    // Its earlier handshakes (a credit each) make it the best-scored; its connection is young.
    await connectRaw(best, target, 3)
    await connectHonest(young2, target)
    const badConnections = [
      await connectRaw(bad1, target),
      await connectRaw(bad2, target),
      await connectRaw(bad3, target),
    ]
    expect(target.node.stats().inbound).toBe(12)

    // Scores: the oldest and the deliverer worse than the victim; the victim worst of the rest.
    await misbehave(target, idOf(oldBad), await oldBadConnection.newStream(MEMPOOL_PROTOCOL), 5)
    const delivererStream = await deliverer.node.libp2p.dialProtocol(target.node.peerId, MEMPOOL_PROTOCOL)
    await misbehave(target, idOf(deliverer), delivererStream, 5)
    for (const [index, count] of [1, 3, 2].entries()) {
      const connection = badConnections[index] as Connection
      const peer = [bad1, bad2, bad3][index] as RawPeer
      await misbehave(target, idOf(peer), await connection.newStream(MEMPOOL_PROTOCOL), count)
    }
    await deliverBlock(deliverer, target)

    const inbound = connectedInbound(target)
    expect(inbound).toHaveLength(12)
    // No keep-alive ping ran: lowestRtt protects nobody.
    expect(inbound.map((peer) => peer.stats.rttMs)).toEqual(Array(12).fill(undefined))
    const score = (peer: ChainNode | RawPeer) => scoreOf(target, idOf(peer))
    const victim = bad2
    for (const peer of inbound) {
      if (peer.peerId !== idOf(best)) expect(score(best)).toBeGreaterThan(peer.score as number)
    }
    expect(score(oldBad)).toBeLessThan(score(victim))
    expect(score(deliverer)).toBeLessThan(score(victim))
    for (const peer of [young1, young2, bad1, bad3]) expect(score(victim)).toBeLessThan(score(peer))

    const started = Date.now()
    const info = await newcomer.node.connectToPeer(tcpAddress(target.node))
    expect(info.state).toBe('connected')
    await waitFor('the victim to be disconnected', () => {
      return bad2.libp2p.getConnections(target.node.peerId).length === 0
    })
    // Admission and eviction are one step: the victim's connection closes at once.
    expect(Date.now() - started).toBeLessThan(3_000)

    expect(target.node.peer(idOf(victim))).toMatchObject({ state: 'disconnected' })
    expect(target.node.peer(idOf(victim))?.lastError).toMatch(/^0x06 PeerLimitReached: evicted/)
    expect(target.node.stats().inbound).toBe(12)
    const stayed = [oldBad, ...old, deliverer, young1, best, young2, bad1, bad3, newcomer]
    for (const peer of stayed) expect(target.node.peer(idOf(peer))?.state).toBe('connected')
    expect(
      connectedInbound(target)
        .map((peer) => peer.peerId)
        .sort(),
    ).toEqual(stayed.map(idOf).sort())
    const evictions = target.lines.filter((line) => line.includes(EVICTING))
    expect(evictions).toHaveLength(1)
    expect(evictions[0]).toContain(idOf(victim))
    expect(evictions[0]).toContain(idOf(newcomer))
  }, 60_000)

  it.each([
    [
      'the block deliverer is protected (recentBlocks), the best-scored too (netgroups): the newcomer is refused with 0x06',
      true,
    ],
    ['control: without the block, the deliverer is the one evicted', false],
  ])(
    '2 inbound slots full: %s',
    async (_name, delivers) => {
      const target = await startTarget(2)
      const deliverer = await startChainNode(nodes.node, params)
      const best = await nodes.raw()
      const newcomer = await startChainNode(nodes.node, params)

      await connectHonest(deliverer, target)
      await connectRaw(best, target, 2)
      const stream = await deliverer.node.libp2p.dialProtocol(target.node.peerId, MEMPOOL_PROTOCOL)
      await misbehave(target, idOf(deliverer), stream, 2)
      if (delivers) await deliverBlock(deliverer, target)
      expect(connectedInbound(target)).toHaveLength(2)
      // The best-scored is the younger; the deliverer, worse, would be the victim unprotected.
      expect(scoreOf(target, idOf(best))).toBeGreaterThan(scoreOf(target, idOf(deliverer)))
      expect(connectedInbound(target).every((peer) => peer.stats.rttMs === undefined)).toBe(true)

      const code = await codeOf(newcomer.node.connectToPeer(tcpAddress(target.node)))
      if (delivers) {
        expect(code).toBe(ErrorCode.PeerLimitReached)
        expect(target.node.stats()).toMatchObject({ inbound: 2, rejectedInbound: 1 })
        expect(target.node.rejectionsByCode()).toEqual({ '0x06': 1 })
        expect(target.node.peer(idOf(deliverer))?.state).toBe('connected')
        expect(target.node.peer(idOf(best))?.state).toBe('connected')
        expect(target.node.peer(idOf(newcomer))?.state).not.toBe('connected')
        expect(target.lines.filter((line) => line.includes(EVICTING))).toEqual([])
      } else {
        expect(code).toBeUndefined()
        await waitFor('the deliverer to be disconnected', () => {
          return deliverer.node.libp2p.getConnections(target.node.peerId).length === 0
        })
        expect(target.node.peer(idOf(deliverer))?.lastError).toMatch(/^0x06 PeerLimitReached: evicted/)
        expect(target.node.peer(idOf(best))?.state).toBe('connected')
        expect(target.node.peer(idOf(newcomer))?.state).toBe('connected')
        expect(target.node.stats().inbound).toBe(2)
        const evictions = target.lines.filter((line) => line.includes(EVICTING))
        expect(evictions).toHaveLength(1)
        expect(evictions[0]).toContain(idOf(deliverer))
      }
    },
    30_000,
  )
})
