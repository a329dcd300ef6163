/**
 * Inbound eviction as the peer manager applies it (src/peers/inbound-eviction.ts): the
 * connected inbound peers become candidates (src/peers/eviction.ts picks), the one picked
 * is disconnected with 0x06, and nobody is when every candidate is protected.
 */
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Direction, PeerState } from '../../src/api/index.ts'
import { ErrorCode, type PawError } from '../../src/errors.ts'
import { evictionCandidates, InboundEviction } from '../../src/peers/inbound-eviction.ts'
import { newPeerRecord, type PeerRecord } from '../../src/peers/peer-record.ts'
import { fakeConnection, keptLogger, newPeerIds } from './peer-fakes.ts'

let ids: PeerId[]
beforeAll(async () => {
  ids = await newPeerIds(4)
})

function peer(
  peerId: PeerId,
  init: { direction?: Direction; state?: PeerState; ip?: string; openedAt?: number } = {},
): PeerRecord {
  const record = newPeerRecord(peerId)
  record.direction = init.direction ?? 'inbound'
  record.state = init.state ?? 'connected'
  record.connection = fakeConnection({
    remotePeer: peerId,
    remoteAddr: `/ip4/${init.ip ?? '127.0.0.1'}/tcp/4001`,
    direction: record.direction,
    openedAt: init.openedAt ?? 1_000,
  })
  return record
}

describe('evictionCandidates', () => {
  it('takes handshaken inbound peers only, with their netgroup, age, deliveries and score', () => {
    const [a, b, c, d] = ids as [PeerId, PeerId, PeerId, PeerId]
    const inbound = peer(a, { ip: '203.0.113.9', openedAt: 500 })
    inbound.rttMs = 12
    inbound.lastBlockAt = 900
    inbound.persistent = multiaddr(`/ip4/203.0.113.9/tcp/4001/p2p/${a}`)
    const records = [
      inbound,
      peer(b, { direction: 'outbound' }),
      peer(c, { state: 'handshaking' }),
      Object.assign(peer(d), { connectedAt: 2_000 }),
    ]
    const candidates = evictionCandidates(records, (peerId) => (peerId === a.toString() ? 5 : -1))
    expect(candidates).toEqual([
      {
        peerId: a.toString(),
        netgroup: 'ipv4:203.0',
        connectedAt: 500,
        rttMs: 12,
        lastBlockAt: 900,
        lastTransactionAt: undefined,
        score: 5,
        persistent: true,
      },
      expect.objectContaining({ peerId: d.toString(), connectedAt: 2_000, score: -1, persistent: false }),
    ])
    expect(evictionCandidates(records)[1]?.score).toBe(0)
  })
})

describe('InboundEviction', () => {
  it('disconnects the peer the rules pick with 0x06 and says so', () => {
    const [a, b] = ids as [PeerId, PeerId]
    const disconnects: Array<{ peerId: string; error: PawError }> = []
    const { log, lines } = keptLogger()
    const records = [peer(a, { openedAt: 1 }), peer(b, { openedAt: 2 })]
    const eviction = new InboundEviction({
      records: () => records,
      score: (peerId) => (peerId === a.toString() ? 10 : -10),
      disconnect: (peerId, error) => disconnects.push({ peerId, error }),
      log,
      // Only the netgroup category: it protects the best-scored (a) of the one netgroup.
      eviction: { protect: { lowestRtt: 0, recentBlocks: 0, recentTransactions: 0, longestConnected: 0 } },
    })
    expect(eviction.evictFor('newcomer')).toBe(true)
    expect(disconnects.map(({ peerId }) => peerId)).toEqual([b.toString()])
    expect(disconnects[0]?.error.wireCode).toBe(ErrorCode.PeerLimitReached)
    expect(lines.at(-1)).toMatchObject({
      msg: 'evicting an inbound peer for a newcomer',
      newcomer: 'newcomer',
    })
  })

  it('evicts nobody when every inbound peer is protected', () => {
    const [a] = ids as [PeerId]
    const disconnects: string[] = []
    const eviction = new InboundEviction({
      records: () => [peer(a)],
      disconnect: (peerId) => disconnects.push(peerId),
      log: keptLogger().log,
    })
    expect(eviction.evictFor('newcomer')).toBe(false)
    expect(disconnects).toEqual([])
  })
})
