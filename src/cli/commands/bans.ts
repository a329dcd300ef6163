/**
 * `paw-node ban`, `unban` and `bans`: the operator's side of the node's ban list (bans
 * survive restarts; a banned peer is disconnected and refused on dial and inbound).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { formatDuration, MAX_BAN_MS, parseDuration } from '../../peers/ban-list.ts'
import { formatExpiry, table } from '../format.ts'
import { UsageError } from '../options.ts'
import { ADMIN_OPTION_LINES, runAdminCommand } from './admin-command.ts'
import type { BanRow, BansReply } from './admin-replies.ts'

export const BAN_USAGE = `Usage: paw-node ban PEER_ID DURATION REASON... [options]

Bans a peer on the running node: it is disconnected now and refused on dial and
inbound (its IP too, if the node knows it) until the ban ends; bans survive restarts.

  PEER_ID    the whole peer id (12D3KooW…; \`paw-node peers --full-ids\` prints them)
  DURATION   30s, 10m, 24h, 7d, 1w, combined as 1d 3h, or plain ms; at most ${formatDuration(MAX_BAN_MS)}
  REASON     why, 1 to 200 characters (the rest of the line)

Options:
${ADMIN_OPTION_LINES}
`

export const UNBAN_USAGE = `Usage: paw-node unban PEER_ID [options]

Lifts a ban on the running node (exit 1 if the peer is not banned).

Options:
${ADMIN_OPTION_LINES}
`

export const BANS_USAGE = `Usage: paw-node bans [options]

Lists the running node's active bans, soonest-expiring first.

Options:
${ADMIN_OPTION_LINES}
`

/** A peer id argument, checked here so a typo is exit 2 before any request. */
export function peerIdArgument(text: string): string {
  try {
    return peerIdFromString(text).toString()
  } catch {
    throw new UsageError(`not a peer id: ${JSON.stringify(text)} (expected the whole id, 12D3KooW…)`)
  }
}

function durationArgument(text: string): number {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (!(ms > 0 && ms <= MAX_BAN_MS)) {
    throw new UsageError(
      `a ban lasts more than 0 and at most ${formatDuration(MAX_BAN_MS)}, got ${JSON.stringify(text)}`,
    )
  }
  return ms
}

function reasonArgument(words: readonly string[]): string {
  const reason = words.join(' ').trim()
  if (reason === '' || reason.length > 200) throw new UsageError('the reason must be 1 to 200 characters')
  return reason
}

export function bansText(bans: readonly BanRow[], now: number = Date.now()): string {
  if (bans.length === 0) return 'no active bans\n'
  return table(
    [{ title: 'PEER' }, { title: 'IP' }, { title: 'EXPIRES' }, { title: 'SOURCE' }, { title: 'REASON' }],
    bans.map((ban) => [ban.peerId, ban.ip ?? '-', formatExpiry(ban.until, now), ban.source, ban.reason]),
  )
}

export function ban(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'ban',
      usage: BAN_USAGE,
      positionals: { min: 3, max: Number.POSITIVE_INFINITY, names: 'PEER_ID DURATION REASON...' },
      check: ([peer = '', duration = '', ...reason]) => {
        peerIdArgument(peer)
        durationArgument(duration)
        reasonArgument(reason)
      },
      run: async (client, { positionals: [peer = '', duration = '', ...reason] }) => {
        const reply = await client.post<{ ban: BanRow }>('/bans', {
          peerId: peerIdArgument(peer),
          duration: durationArgument(duration),
          reason: reasonArgument(reason),
        })
        const { ban } = reply
        return {
          json: reply,
          text: `banned ${ban.peerId}${ban.ip === null ? '' : ` (${ban.ip})`} until ${new Date(ban.until).toISOString()} (${formatExpiry(ban.until)}): ${ban.reason}\n`,
        }
      },
    },
    args,
  )
}

export function unban(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'unban',
      usage: UNBAN_USAGE,
      positionals: { min: 1, names: 'PEER_ID' },
      check: ([peer = '']) => {
        peerIdArgument(peer)
      },
      run: async (client, { positionals: [peer = ''] }) => {
        const reply = await client.post<{ peerId: string }>('/unban', { peerId: peerIdArgument(peer) })
        return { json: reply, text: `unbanned ${reply.peerId}\n` }
      },
    },
    args,
  )
}

export function bans(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'bans',
      usage: BANS_USAGE,
      run: async (client) => {
        const reply = await client.get<BansReply>('/bans')
        return { json: reply, text: bansText(reply.bans) }
      },
    },
    args,
  )
}
