/**
 * `paw-node peers` (one line per known peer) and `paw-node netinfo` (the whole network on
 * one screen, after `bitcoin-cli -netinfo`): what an operator looks at first when a node
 * is slow to sync or short of peers.
 */
import { formatBytes, formatMs, formatRtt, shortPeerId, table, withoutPeerId } from '../format.ts'
import { ADMIN_OPTION_LINES, runAdminCommand } from './admin-command.ts'
import type { PeerRow, PeersReply, StatusReply } from './admin-replies.ts'

export const PEERS_USAGE = `Usage: paw-node peers [options]

Lists every peer the running node knows of: connected ones and those it is dialling,
handshaking or has lost, with direction, address, round trip, reputation score, bytes
in and out and how long the connection has lasted.

Options:
  --full-ids         print whole peer ids (to paste into ban or disconnect)
${ADMIN_OPTION_LINES}
`

export const NETINFO_USAGE = `Usage: paw-node netinfo [options]

A one-screen summary of the running node's network: peers by state and direction,
address book, bans, traffic in total and by /paw/* protocol, uptime, listen addresses.

Options:
${ADMIN_OPTION_LINES}
`

/** Connected first, then the states on their way in, then the way out. */
const STATE_ORDER = ['connected', 'handshaking', 'connecting', 'disconnecting', 'disconnected']

const byState = (a: PeerRow, b: PeerRow) =>
  STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.id.localeCompare(b.id)

export function peersText(peers: readonly PeerRow[], fullIds = false): string {
  if (peers.length === 0) return 'no peers\n'
  return table(
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
    ],
    [...peers]
      .sort(byState)
      .map((peer) => [
        (fullIds ? peer.id : shortPeerId(peer.id)) + (peer.persistent ? '*' : ''),
        peer.direction === null ? '-' : peer.direction === 'inbound' ? 'in' : 'out',
        peer.state,
        peer.address === null ? '-' : withoutPeerId(peer.address),
        formatRtt(peer.rttMs),
        peer.score === null ? '-' : peer.score.toFixed(1),
        formatBytes(peer.bytesIn),
        formatBytes(peer.bytesOut),
        peer.state === 'connected' ? formatMs(peer.durationMs) : '-',
      ]),
  )
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
  const bytesIn = peers.reduce((sum, p) => sum + p.bytesIn, 0)
  const bytesOut = peers.reduce((sum, p) => sum + p.bytesOut, 0)
  const protocols = Object.entries(status.protocols).sort(([a], [b]) => a.localeCompare(b))
  const lines = [
    `paw-node ${status.version} on ${status.chainId} (${status.nodeType}), ${shortPeerId(status.peerId)}, tip ${status.tip.height}, up ${formatMs(status.uptimeMs)}`,
    '',
    counts.trimEnd(),
    '',
    `address book  ${status.addressBook.entries} entries in ${status.addressBook.groups} groups`,
    `bans          ${status.bans} active`,
    `traffic       ${formatBytes(bytesIn)} in, ${formatBytes(bytesOut)} out (peers known now)`,
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
        [{ title: 'protocol' }, { title: 'in', align: 'right' }, { title: 'out', align: 'right' }],
        protocols.map(([protocol, t]) => [protocol, formatBytes(t.bytesReceived), formatBytes(t.bytesSent)]),
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
      options: { 'full-ids': { type: 'boolean' } },
      run: async (client, { values }) => {
        const reply = await client.get<PeersReply>('/peers')
        return { json: reply, text: peersText(reply.peers, values['full-ids'] === true) }
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
