/**
 * Issue 7, peer exchange on /paw/peers/1 (DECISIONS.md "Peer exchange", protocols/peers.md):
 *
 * - a peer that floods get_peers is answered once per 10 s, refused with 0x09 after that,
 *   and charged (once per violation window) in its reputation;
 * - a peers list nobody asked for is 0x0A and its entries are not used;
 * - 1,000 addresses announced from one /16 occupy only that group's share of the address
 *   book (DEFAULT_MAX_PER_GROUP), and a node never hands out its own ID or the requester's;
 * - a node given unreachable DNS seeds keeps running, and says so at INFO.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_PER_GROUP } from '../../src/peers/address-book.ts'
import { PENALTIES } from '../../src/peers/offences.ts'
import { CONNECTION_CREDIT } from '../../src/peers/reputation.ts'
import { FrameType } from '../../src/wire/constants.ts'
import { decodePeerList, encodeGetPeers, encodePeerList, type PeerAddress } from '../../src/wire/peer-list.ts'
import { handshakeRaw, warnings } from '../support/mempool-peers.ts'
import { tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'
import { openPeersStream, peerIds, servePeerList } from '../support/peer-exchange-peers.ts'

const { node, raw } = trackedNodes()

describe('peer exchange', () => {
  it('a peer that floods get_peers is throttled and scored', async () => {
    const lines: string[] = []
    const target = await node({ logger: testLogger(lines) })
    const flooder = await raw()
    const connection = await handshakeRaw(flooder, target)
    const id = flooder.libp2p.peerId.toString()

    // Several get_peers within 10 s, each on a new stream, one after the other.
    const answers: Array<string | undefined> = []
    const started = performance.now()
    for (let i = 0; i < 4; i++) {
      const frames = await openPeersStream(connection)
      expect(frames.send(FrameType.GetPeers, encodeGetPeers())).toBe(true)
      const frame = await frames.next(5_000)
      answers.push(frame?.type)
      if (frame?.type === FrameType.Peers) expect(() => decodePeerList(frame.payload)).not.toThrow()
      await frames.stream.close().catch(() => {})
    }
    const elapsed = performance.now() - started
    expect(elapsed).toBeLessThan(10_000)
    // Answered once; the rest are reset unanswered.
    expect(answers).toEqual([FrameType.Peers, undefined, undefined, undefined])

    const refused = target.discoveryStats().exchange.refused
    expect(refused.rateLimited).toBe(3)
    expect(target.discoveryStats().exchange.requestsServed).toBe(1)
    // Charged once for the violation window (the limiter's onViolation), not per request:
    // +1 for the completed handshake, −25 for the flood.
    const score = target.peer(id)?.score
    expect(score).toBeDefined()
    expect(score as number).toBeLessThan(0)
    expect(score as number).toBeLessThanOrEqual(CONNECTION_CREDIT + PENALTIES.rateLimited + 0.5)
    expect(score as number).toBeGreaterThan(CONNECTION_CREDIT + 2 * PENALTIES.rateLimited)
    // Logged at WARN with its code, once per refused request; still connected (0x09 does not disconnect).
    const warned = warnings(lines, '0x09')
    expect(warned.length).toBe(3)
    expect(warned.every((line) => line.includes(`peer=${id}`))).toBe(true)
    expect(target.peer(id)?.state).toBe('connected')
  })

  it('a malformed frame on /paw/peers/1 is skipped (0x05, −5) and the request after it answered, on the same stream', async () => {
    const lines: string[] = []
    const target = await node({ logger: testLogger(lines) })
    const peer = await raw()
    const connection = await handshakeRaw(peer, target)
    const id = peer.libp2p.peerId.toString()
    const frames = await openPeersStream(connection)
    // L = 3, T = 1, type "A": upper case is outside [a-z0-9_./-] (framing.md "Receiving").
    frames.stream.send(Uint8Array.of(0, 0, 0, 3, 0, 1, 0x41))
    expect(frames.send(FrameType.GetPeers, encodeGetPeers())).toBe(true)
    const answer = await frames.next(5_000)
    expect(answer?.type).toBe(FrameType.Peers)
    await waitFor('a 0x05 warning', () => warnings(lines, '0x05').length > 0)
    expect(warnings(lines, '0x05')[0]).toContain(`peer=${id}`)
    expect(target.discoveryStats().exchange.refused.invalidMessage).toBe(1)
    expect(target.peer(id)?.state).toBe('connected')
  })

  it('an unsolicited peers list is 0x0A and not used', async () => {
    const lines: string[] = []
    const target = await node({ logger: testLogger(lines) })
    const peer = await raw()
    const connection = await handshakeRaw(peer, target)
    const id = peer.libp2p.peerId.toString()
    const before = target.addressBookStats()
    const scoreBefore = target.peer(id)?.score ?? 0

    const ids = await peerIds(5)
    const list: PeerAddress[] = ids.map((peerId, i) => ({ id: peerId, ip: `198.51.${i}.7`, port: 26656 }))
    const frames = await openPeersStream(connection)
    expect(frames.send(FrameType.Peers, encodePeerList(list))).toBe(true)
    // Not answered: the stream is reset.
    expect(await frames.next(5_000)).toBeUndefined()
    await waitFor('a 0x0A warning', () => warnings(lines, '0x0a').length > 0)
    expect(warnings(lines, '0x0a')[0]).toContain(`peer=${id}`)
    expect(target.discoveryStats().exchange.refused.unexpectedMessage).toBe(1)
    // Its entries were not used, and it was charged.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(target.addressBookStats()).toEqual(before)
    expect(target.discoveryStats().addressesAdded).toBe(0)
    expect(target.peer(id)?.score).toBeCloseTo(scoreBefore + PENALTIES.unexpectedMessage, 0)
  })

  it("1,000 addresses announced from one /16 occupy only that group's share of the book", async () => {
    const target = await node()
    const [flooder, honest, asker] = await Promise.all([raw(), raw(), raw()])
    const askerId = asker.libp2p.peerId.toString()
    const flooderId = flooder.libp2p.peerId.toString()
    const selfId = target.peerId.toString()

    const generated = performance.now()
    const ids = await peerIds(1_000 + 20)
    console.log(`1,020 peer IDs generated in ${Math.round(performance.now() - generated)} ms`)
    // 1,000 in 203.0/16; among them (first, so processed first) the node's own ID and the
    // asker's: the node must never give either back to the asker.
    const flood: PeerAddress[] = [
      { id: selfId, ip: '203.0.0.1', port: 26656 },
      { id: askerId, ip: '203.0.0.2', port: 26656 },
      ...ids.slice(0, 998).map((id, i) => ({
        id,
        ip: `203.0.${Math.floor(i / 250)}.${(i % 250) + 3}`,
        port: 26656,
      })),
    ]
    expect(flood.length).toBe(1_000)
    // One entry in each of 20 other /16s.
    const spread: PeerAddress[] = ids
      .slice(1_000)
      .map((id, i) => ({ id, ip: `${150 + i}.1.2.3`, port: 26656 }))

    const floodAnswers = await servePeerList(flooder, flood)
    const honestAnswers = await servePeerList(honest, spread)
    const before = target.addressBookStats()
    await handshakeRaw(flooder, target)
    await handshakeRaw(honest, target)
    await target.discoverPeers()
    await waitFor(
      'both lists in the address book',
      () => floodAnswers() === 1 && honestAnswers() === 1 && target.discoveryStats().listsReceived >= 2,
    )
    const after = target.addressBookStats()
    console.log(`address book before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`)
    const added = after.entries - before.entries
    expect(added).toBeGreaterThanOrEqual(20 + 1)
    expect(added).toBeLessThanOrEqual(DEFAULT_MAX_PER_GROUP + 20)
    expect(after.entries).toBeLessThanOrEqual(DEFAULT_MAX_PER_GROUP + 20 + before.entries)
    expect(after.groups - before.groups).toBeGreaterThanOrEqual(21)

    // What the node hands another peer: never itself, never the requester.
    const connection = await handshakeRaw(asker, target)
    const frames = await openPeersStream(connection)
    frames.send(FrameType.GetPeers, encodeGetPeers())
    const frame = await frames.next(5_000)
    expect(frame?.type).toBe(FrameType.Peers)
    const answer = decodePeerList(frame?.payload ?? new Uint8Array())
    expect(answer.skipped).toEqual([])
    const answered = new Set(answer.peers.map((p) => p.id))
    expect(answered.has(selfId)).toBe(false)
    expect(answered.has(askerId)).toBe(false)
    expect(answered.has(flooderId)).toBe(false)
    // The asker's announced entry is in the book (the first of its group, so admitted): the
    // answer is the whole book (all heard of just now) but that entry.
    expect(answer.peers.length).toBe(after.entries - 1)
    // The 20 spread addresses were all learned and are shared.
    for (const entry of spread) expect(answered.has(entry.id)).toBe(true)
    expect(answer.peers.filter((p) => p.ip.startsWith('203.0.')).length).toBeLessThanOrEqual(
      DEFAULT_MAX_PER_GROUP,
    )
  }, 30_000)

  it('a node given unreachable DNS seeds keeps running and says so', async () => {
    const lines: string[] = []
    const started = performance.now()
    const target = await node({
      seeds: ['seed1.invalid:26656', 'nonexistent.invalid:26656'],
      limits: { minOutbound: 2 },
      maintenanceIntervalMs: 200,
      logger: testLogger(lines),
    })
    const unreachable = () =>
      lines.filter((line) => line.includes(' INFO ') && line.includes('seed unreachable'))
    await waitFor('a seed failure', () => target.discoveryStats().seedFailures >= 1, 15_000)
    await waitFor('an INFO "seed unreachable" line', () => unreachable().length >= 1)
    console.log(
      `first seed failure after ${Math.round(performance.now() - started)} ms: ${unreachable()[0] ?? ''}`,
    )
    expect(unreachable()[0]).toMatch(/seed=(seed1|nonexistent)\.invalid:26656/)
    expect(unreachable()[0]).toMatch(/retryInMs=\d+/)
    expect(lines.filter((line) => line.includes(' ERROR '))).toEqual([])

    // Still up: another node connects to it.
    const other = await node()
    const info = await other.connectToPeer(tcpAddress(target))
    expect(info.state).toBe('connected')
    await waitFor(
      'the node to list the newcomer',
      () => target.peer(other.peerId.toString())?.state === 'connected',
    )
    expect(target.discoveryStats().seedDials).toBeGreaterThanOrEqual(target.discoveryStats().seedFailures)
  }, 30_000)
})
