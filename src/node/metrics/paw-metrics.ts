/**
 * PAW's own P2P metrics in Prometheus text exposition format 0.0.4, rendered from a snapshot.
 *
 * A pure function over plain data rather than prom-client collectors: the node already keeps
 * these numbers (peer manager, gossip, sync, bans), so rendering them on scrape needs no second
 * bookkeeping, no global registry (two nodes in one process do not collide) and is trivial to
 * test. Per-peer labels are deliberately absent: peer IDs are unbounded and would blow up the
 * series count of every Prometheus that scrapes us; per-peer detail belongs to the admin API.
 */
import type { NodeStats } from '../../api/peers.ts'
import { codeText, ErrorCode } from '../../errors.ts'
import { OFFENCES } from '../../peers/offences.ts'
import { counter, Families, type Labels } from './exposition-format.ts'

export type PeerStateName = 'connecting' | 'handshaking' | 'connected' | 'disconnecting' | 'disconnected'
export type GossipTopicName = 'blocks' | 'transactions' | 'headers'

export interface TrafficStats {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
}

export interface P2pMetricsSnapshot {
  peers: Array<{
    peerId: string
    state: PeerStateName
    direction: 'inbound' | 'outbound' | undefined
    stats: TrafficStats
    score?: number
    rttMs?: number
  }>
  node: NodeStats
  /** Rejections (refused handshakes / connections) by PAW error code, e.g. {'0x02': 3, '0x07': 1}. */
  rejectionsByCode: Record<string, number>
  /** Bytes and messages by stream protocol id, both directions. */
  protocols: Record<string, TrafficStats>
  bans: { active: number; total: number }
  addressBook: { entries: number; groups: number }
  gossip: {
    verdicts: Record<GossipTopicName, { accept: number; ignore: number; reject: number }>
    republished: number
    throttled: number
  }
  sync: { height: number; target: number | undefined }
  uptimeSeconds: number
  /** The memory budget of /paw/* streams (docs/configuration.md "Memory budget"). */
  memory: {
    nodeLimitBytes: number
    peerLimitBytes: number
    usedBytes: number
    peakBytes: number
    refused: { peer: number; node: number }
    revoked: { reservations: number; bytes: number }
  }
  /** What the enforcer did (protocols/errors.md "What each code costs"). */
  enforcement: {
    charged: Partial<Record<string, number>>
    bans: { offence: number; score: number }
    disconnects: { offence: number; repeated: number; score: number }
  }
}

export { EXPOSITION_CONTENT_TYPE } from './exposition-format.ts'

const PEER_STATES: readonly PeerStateName[] = [
  'connecting',
  'handshaking',
  'connected',
  'disconnecting',
  'disconnected',
]
const DIRECTIONS = ['inbound', 'outbound'] as const
const TOPICS: readonly GossipTopicName[] = ['blocks', 'transactions', 'headers']
const VERDICTS = ['accept', 'ignore', 'reject'] as const
/**
 * Every label value a counter can take is exported from the start, at 0: a series that appears
 * only at its first event leaves a dashboard blank ("No data") in steady state and makes
 * `rate()` miss that first event.
 */
const REJECTION_CODES: readonly string[] = Object.values(ErrorCode).map((wireCode) => codeText({ wireCode }))
const OFFENCE_NAMES: readonly string[] = Object.keys(OFFENCES)

/** `counts` with every one of `known` present, 0 where it has none. */
function zeroFilled(
  known: readonly string[],
  counts: Partial<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(known.map((key) => [key, 0]))
  for (const [key, n] of Object.entries(counts)) out[key] = n ?? 0
  return out
}

function sortedEntries<T>(record: Record<string, T>): Array<[string, T]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** The snapshot as Prometheus text exposition format 0.0.4, every series prefixed `paw_p2p_`. */
export function renderPawMetrics(snapshot: P2pMetricsSnapshot): string {
  const f = new Families()

  // Peers by direction and state. Both known directions are always present for every state, so
  // dashboards show a 0 line instead of a gap; peers whose direction is not known yet appear
  // as direction="unknown" only while there are some.
  const peerCounts = new Map<string, number>()
  for (const direction of DIRECTIONS) {
    for (const state of PEER_STATES) peerCounts.set(`${direction}|${state}`, 0)
  }
  let bytesIn = 0
  let bytesOut = 0
  let messagesIn = 0
  let messagesOut = 0
  const scores: number[] = []
  for (const peer of snapshot.peers) {
    const key = `${peer.direction ?? 'unknown'}|${peer.state}`
    peerCounts.set(key, (peerCounts.get(key) ?? 0) + 1)
    bytesIn += counter(peer.stats.bytesReceived)
    bytesOut += counter(peer.stats.bytesSent)
    messagesIn += counter(peer.stats.messagesReceived)
    messagesOut += counter(peer.stats.messagesSent)
    if (peer.state === 'connected' && peer.score !== undefined && Number.isFinite(peer.score)) {
      scores.push(peer.score)
    }
  }
  f.add(
    'peers',
    'gauge',
    'Peers by connection direction and 004 state.',
    [...peerCounts].map(([key, value]) => {
      const [direction = 'unknown', state = 'unknown'] = key.split('|')
      return [{ direction, state }, value]
    }),
  )
  // Sums over the peers the node tracks now: a peer that is forgotten takes its bytes with it,
  // which Prometheus reads as a counter reset (rate() copes).
  f.add(
    'peer_bytes_total',
    'counter',
    'Bytes exchanged with tracked peers on every stream protocol (gossipsub, /paw/*, identify, ping), by direction.',
    [
      [{ direction: 'in' }, bytesIn],
      [{ direction: 'out' }, bytesOut],
    ],
  )
  f.add(
    'peer_messages_total',
    'counter',
    'Messages exchanged with tracked peers (/paw/* frames; stream writes and reads of other protocols), by direction.',
    [
      [{ direction: 'in' }, messagesIn],
      [{ direction: 'out' }, messagesOut],
    ],
  )

  const protocols = sortedEntries(snapshot.protocols)
  f.add(
    'protocol_bytes_total',
    'counter',
    'Bytes by stream protocol (gossipsub, /paw/*, identify, ping) and direction.',
    protocols.flatMap(
      ([protocol, s]): Array<[Labels, number]> => [
        [{ protocol, direction: 'in' }, s.bytesReceived],
        [{ protocol, direction: 'out' }, s.bytesSent],
      ],
    ),
  )
  f.add(
    'protocol_messages_total',
    'counter',
    'Messages by stream protocol and direction (/paw/* frames; stream writes and reads of others).',
    protocols.flatMap(
      ([protocol, s]): Array<[Labels, number]> => [
        [{ protocol, direction: 'in' }, s.messagesReceived],
        [{ protocol, direction: 'out' }, s.messagesSent],
      ],
    ),
  )

  const { node } = snapshot
  f.add(
    'dials_total',
    'counter',
    'Outbound dials by result: success for every outbound connection opened, bootstrap dials included; failure for the dials of the node that failed.',
    [
      [{ result: 'success' }, node.successfulDials],
      [{ result: 'failure' }, node.failedDials],
    ],
  )
  f.one(
    'connections_total',
    'counter',
    'Connections opened since start, before handshake.',
    node.totalConnections,
  )
  f.one(
    'inbound_rejected_total',
    'counter',
    'Inbound peers refused at the handshake (limits, reputation, wrong chain, bad handshake).',
    node.rejectedInbound,
  )
  f.add(
    'rejections_total',
    'counter',
    'Refused handshakes and connections by PAW error code.',
    sortedEntries(zeroFilled(REJECTION_CODES, snapshot.rejectionsByCode)).map(([code, n]) => [{ code }, n]),
  )

  f.one('bans_active', 'gauge', 'Peers or addresses banned right now.', snapshot.bans.active)
  f.one('bans_total', 'counter', 'Bans issued since start.', snapshot.bans.total)
  f.one('address_book_entries', 'gauge', 'Addresses in the address book.', snapshot.addressBook.entries)
  f.one('address_book_groups', 'gauge', 'Network groups the address book spans.', snapshot.addressBook.groups)

  f.add(
    'gossip_deliveries_total',
    'counter',
    'Gossip messages validated, by topic and verdict.',
    TOPICS.flatMap((topic) =>
      VERDICTS.map((verdict): [Labels, number] => [
        { topic, verdict },
        snapshot.gossip.verdicts[topic]?.[verdict] ?? 0,
      ]),
    ),
  )
  f.one('gossip_republished_total', 'counter', 'Gossip messages republished.', snapshot.gossip.republished)
  f.one(
    'gossip_throttled_total',
    'counter',
    'Gossip messages dropped by throttling.',
    snapshot.gossip.throttled,
  )

  f.one('chain_height', 'gauge', 'Height of the local chain tip.', snapshot.sync.height)
  // Between syncs the node is where it is heading: the target is its own height, so
  // target - height reads 0 blocks behind instead of no data.
  f.one(
    'sync_target_height',
    'gauge',
    'Height the running sync is heading for; the local tip height when no sync runs.',
    snapshot.sync.target ?? snapshot.sync.height,
  )
  f.one('uptime_seconds', 'gauge', 'Seconds since the node started.', snapshot.uptimeSeconds)

  const { memory, enforcement } = snapshot
  f.one('buffer_bytes', 'gauge', 'Bytes peers make the node hold on /paw/* streams now.', memory.usedBytes)
  f.one(
    'buffer_peak_bytes',
    'gauge',
    'Most bytes held on /paw/* streams at once since start.',
    memory.peakBytes,
  )
  f.add('buffer_limit_bytes', 'gauge', 'The memory budget of /paw/* streams, by scope.', [
    [{ scope: 'node' }, memory.nodeLimitBytes],
    [{ scope: 'peer' }, memory.peerLimitBytes],
  ])
  f.add(
    'buffer_refusals_total',
    'counter',
    'Reservations the memory budget refused, by the scope that refused.',
    [
      [{ scope: 'node' }, memory.refused.node],
      [{ scope: 'peer' }, memory.refused.peer],
    ],
  )
  f.one(
    'buffer_revoked_bytes_total',
    'counter',
    'Bytes taken back from the peer holding the most when the node budget ran out.',
    memory.revoked.bytes,
  )
  f.add(
    'offences_total',
    'counter',
    'Offences charged to peers, by offence (protocols/errors.md).',
    sortedEntries(zeroFilled(OFFENCE_NAMES, enforcement.charged)).map(([offence, n]) => [{ offence }, n]),
  )
  f.add('enforcement_bans_total', 'counter', 'Peers banned by the enforcer, by cause.', [
    [{ cause: 'offence' }, enforcement.bans.offence],
    [{ cause: 'score' }, enforcement.bans.score],
  ])
  f.add('enforcement_disconnects_total', 'counter', 'Peers disconnected by the enforcer, by cause.', [
    [{ cause: 'offence' }, enforcement.disconnects.offence],
    [{ cause: 'repeated' }, enforcement.disconnects.repeated],
    [{ cause: 'score' }, enforcement.disconnects.score],
  ])

  if (scores.length > 0) {
    f.one('peer_score_min', 'gauge', 'Lowest reputation score among connected peers.', Math.min(...scores))
    f.one('peer_score_max', 'gauge', 'Highest reputation score among connected peers.', Math.max(...scores))
  }

  return f.render()
}
