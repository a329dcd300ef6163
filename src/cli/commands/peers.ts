/**
 * `paw-node peers` (one line per known peer, after `bitcoin-cli getpeerinfo`) and
 * `paw-node netinfo` (the whole network on one screen, after `bitcoin-cli -netinfo`): what
 * an operator looks at first when a node is slow to sync, short of peers, or flooded.
 */
import { counted, formatBytes, formatMs, formatRtt, shortPeerId, table, withoutPeerId } from '../format.ts'
import { ADMIN_OPTION_LINES, runAdminCommand } from './admin-command.ts'
import type { PeerRow, PeersReply, StatusReply, TrafficRow } from './admin-replies.ts'

export const PEERS_USAGE = `Usage: paw-node peers [options]

Lists every peer the running node knows of: connected ones and those it is dialling,
handshaking or has lost, with direction, address, round trip, reputation score, bytes
in and out over every protocol (gossip, /paw/*, identify, ping), how long the
connection has lasted and the software the peer runs (libp2p identify).

Options:
  --full-ids         print whole peer ids (to paste into ban or disconnect)
  --by-protocol      also list each peer's bytes and messages by protocol
${ADMIN_OPTION_LINES}
`

export const NETINFO_USAGE = `Usage: paw-node netinfo [options]

A one-screen summary of the running node's network: peers by state and direction,
address book, bans, traffic since start in total and by protocol (gossip, /paw/*,
identify, ping), uptime, listen addresses.

Options:
${ADMIN_OPTION_LINES}
`

/** Connected first, then the states on their way in, then the way out. */
const STATE_ORDER = ['connected', 'handshaking', 'connecting', 'disconnecting', 'disconnected']

const byState = (a: PeerRow, b: PeerRow) =>
  STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.peerId.localeCompare(b.peerId)

export interface PeersTextOptions {
  /** Whole peer ids rather than `12D3…abcd`. */
  fullIds?: boolean
  /** A second table: each peer's traffic by protocol. */
  byProtocol?: boolean
}

export function peersText(peers: readonly PeerRow[], options: PeersTextOptions = {}): string {
  if (peers.length === 0) return 'no peers\n'
  const id = (peer: PeerRow) => (options.fullIds === true ? peer.peerId : shortPeerId(peer.peerId))
  const sorted = [...peers].sort(byState)
  const parts = [
    table(
      [
        { title: 'PEER' },
        { title: 'DIR' },
        { title: 'STATE' },
        { title: 'ADDRESS' },
        { title: 'RTT', align: 'right' },
        { title: 'SCORE', align: 'right' },
        { title: 'IN', align: 'right' },
        { title: 'OUT', align: 'right' },
        { title: 'UP', align: 'right' },
        // Last: its width varies most (Bitcoin Core's -netinfo puts the version last too).
        { title: 'AGENT' },
      ],
      sorted.map((peer) => [
        id(peer) + (peer.persistent ? '*' : ''),
        peer.direction === null ? '-' : peer.direction === 'inbound' ? 'in' : 'out',
        peer.state,
        peer.address === null ? '-' : withoutPeerId(peer.address),
        formatRtt(peer.rttMs),
        peer.score === null ? '-' : peer.score.toFixed(1),
        formatBytes(peer.bytesIn),
        formatBytes(peer.bytesOut),
        peer.state === 'connected' ? formatMs(peer.durationMs) : '-',
        peer.agent ?? '-',
      ]),
    ).trimEnd(),
  ]
  if (options.byProtocol === true) {
    const rows = sorted.flatMap((peer) =>
      Object.entries(peer.protocols)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([protocol, traffic]) => [id(peer), protocol, ...trafficCells(traffic)]),
    )
    parts.push('', table([{ title: 'PEER' }, { title: 'PROTOCOL' }, ...TRAFFIC_COLUMNS], rows).trimEnd())
  }
  parts.push('', ...legend(peers, options))
  return `${parts.join('\n')}\n`
}

/** What the marks and the shortened ids mean, and where the totals come from. */
function legend(peers: readonly PeerRow[], options: PeersTextOptions): string[] {
  const lines: string[] = []
  if (peers.some((peer) => peer.persistent)) {
    lines.push('* persistent peer (p2p.persistent_peers): kept connected, redialled with backoff')
  }
  if (options.fullIds !== true) lines.push('PEER ids are shortened: --full-ids prints them whole')
  if (peers.some((peer) => peer.state === 'connected' && peer.rttMs === null)) {
    lines.push('RTT -: no keep-alive ping answered yet')
  }
  lines.push(
    `IN/OUT: bytes of every protocol since the node first saw the peer${options.byProtocol === true ? '' : '; --by-protocol splits them'}`,
  )
  return lines
}

const TRAFFIC_COLUMNS = [
  { title: 'IN', align: 'right' },
  { title: 'OUT', align: 'right' },
  { title: 'MSGS IN', align: 'right' },
  { title: 'MSGS OUT', align: 'right' },
] as const

function trafficCells(traffic: TrafficRow): string[] {
  return [
    formatBytes(traffic.bytesIn),
    formatBytes(traffic.bytesOut),
    String(traffic.messagesIn),
    String(traffic.messagesOut),
  ]
}

export function netinfoText(status: StatusReply, peers: readonly PeerRow[]): string {
  const count = (state: string, direction: 'inbound' | 'outbound' | null | undefined) =>
    peers.filter((p) => p.state === state && (direction === undefined || p.direction === direction)).length
  const states = STATE_ORDER.filter((state) => state === 'connected' || count(state, undefined) > 0)
  const counts = table(
    [
      { title: '' },
      { title: 'in', align: 'right' },
      { title: 'out', align: 'right' },
      { title: 'total', align: 'right' },
    ],
    states.map((state) => [
      state,
      String(count(state, 'inbound')),
      String(count(state, 'outbound')),
      String(count(state, undefined)),
    ]),
  )
  const protocols = Object.entries(status.protocols).sort(([a], [b]) => a.localeCompare(b))
  const bytesIn = protocols.reduce((sum, [, t]) => sum + t.bytesReceived, 0)
  const bytesOut = protocols.reduce((sum, [, t]) => sum + t.bytesSent, 0)
  const lines = [
    `paw-node ${status.version} on ${status.chainId} (${status.nodeType}), ${shortPeerId(status.peerId)}, tip ${status.tip.height}, up ${formatMs(status.uptimeMs)}`,
    '',
    counts.trimEnd(),
    '',
    `address book  ${counted(status.addressBook.entries, 'entry', 'entries')} in ${counted(status.addressBook.groups, 'group')}`,
    `bans          ${status.bans} active`,
    `traffic       ${formatBytes(bytesIn)} in, ${formatBytes(bytesOut)} out since start, every protocol`,
  ]
  const memory = status.memory
  if (memory !== undefined) {
    const top = memory.top[0]
    lines.push(
      `buffers       ${formatBytes(memory.usedBytes)} of ${formatBytes(memory.nodeLimitBytes)} (peak ${formatBytes(memory.peakBytes)}; ${formatBytes(memory.peerLimitBytes)} per peer)` +
        (top === undefined ? '' : `, most held by ${shortPeerId(top.peerId)}: ${formatBytes(top.bytes)}`),
      `              refused ${memory.refused.peer} over a peer's budget, ${memory.refused.node} over the node's; ${memory.revoked.reservations} taken back`,
    )
  }
  if (protocols.length > 0) {
    lines.push(
      '',
      table(
        // Lower case, as the other tables of this screen.
        [
          { title: 'protocol' },
          ...TRAFFIC_COLUMNS.map((column) => ({ ...column, title: column.title.toLowerCase() })),
        ],
        protocols.map(([protocol, t]) => [
          protocol,
          ...trafficCells({
            bytesIn: t.bytesReceived,
            bytesOut: t.bytesSent,
            messagesIn: t.messagesReceived,
            messagesOut: t.messagesSent,
          }),
        ]),
      ).trimEnd(),
    )
  }
  lines.push(
    '',
    'listening on',
    ...(status.listen.length === 0 ? ['  (nothing)'] : status.listen.map((a) => `  ${a}`)),
  )
  return `${lines.join('\n')}\n`
}

export function peers(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'peers',
      usage: PEERS_USAGE,
      options: { 'full-ids': { type: 'boolean' }, 'by-protocol': { type: 'boolean' } },
      run: async (client, { values }) => {
        const reply = await client.get<PeersReply>('/peers')
        const options = { fullIds: values['full-ids'] === true, byProtocol: values['by-protocol'] === true }
        return { json: reply, text: peersText(reply.peers, options) }
      },
    },
    args,
  )
}

export function netinfo(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'netinfo',
      usage: NETINFO_USAGE,
      run: async (client) => {
        const status = await client.get<StatusReply>('/status')
        const { peers } = await client.get<PeersReply>('/peers')
        return { json: { status, peers }, text: netinfoText(status, peers) }
      },
    },
    args,
  )
}
