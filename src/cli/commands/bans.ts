/**
 * `paw-node ban`, `unban` and `bans`: the operator's side of the node's ban list (bans
 * survive restarts; what is banned is disconnected and refused on dial and inbound). A ban
 * names a peer, or an IP or subnet as Bitcoin Core's `setban` does.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { formatDuration, parseDuration } from '../../peers/ban-duration.ts'
import { MAX_BAN_MS } from '../../peers/ban-list.ts'
import { IP_FORMS, parseSubnet } from '../../peers/ip-subnet.ts'
import { formatExpiry, table } from '../format.ts'
import { UsageError } from '../options.ts'
import { ADMIN_OPTION_LINES, runAdminCommand } from './admin-command.ts'
import type { BanRow } from './admin-replies.ts'

/** A ban as GET /bans and POST /bans send it: `peerId` is null for a ban of an IP or subnet. */

export const BAN_USAGE = `Usage: paw-node ban PEER_ID DURATION REASON... [options]
       paw-node ban IP|SUBNET DURATION REASON... [options]

Bans a peer, or an IP address or a subnet, on the running node: what it bans is
disconnected now and refused on dial and inbound until the ban ends (a banned peer's
IP too, if the node saw it at a public one); bans survive restarts.

  PEER_ID    the whole peer id (12D3KooW…; \`paw-node peers --full-ids\` prints them)
  IP         10.1.2.3 or 2001:db8::1: every peer at that address, whatever its id
  SUBNET     10.1.0.0/16 or 2001:db8::/32 (CIDR): every address inside it
  DURATION   30s, 10m, 24h, 7d, 1w, combined as 1d 3h, or plain ms; at most ${formatDuration(MAX_BAN_MS)}
  REASON     why, 1 to 200 characters (the rest of the line)

Options:
${ADMIN_OPTION_LINES}
`

export const UNBAN_USAGE = `Usage: paw-node unban PEER_ID|IP|SUBNET [options]

Lifts a ban on the running node (exit 1 if there is none). An IP or subnet ban is
lifted by what was banned: an address inside a banned subnet has no ban of its own.

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

/** What a ban names, as POST /bans and /unban take it: a peer id, else an IP or subnet. */
function banTargetArgument(text: string): { peerId: string } | { ip: string } {
  try {
    return { peerId: peerIdFromString(text).toString() }
  } catch {
    const subnet = parseSubnet(text)
    if (subnet !== undefined) return { ip: subnet.text }
  }
  throw new UsageError(
    `not a peer id, IP or subnet: ${JSON.stringify(text)} (expected the whole peer id, 12D3KooW…, or ${IP_FORMS})`,
  )
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
    bans.map((ban) => [
      ban.peerId ?? '-',
      ban.ip ?? '-',
      formatExpiry(ban.until, now),
      ban.source,
      ban.reason,
    ]),
  )
}

/** `banned 12D3… (203.0.113.7) until …` for a peer, `banned 10.1.0.0/16 until …` for an address. */
function bannedText(ban: BanRow): string {
  const what = ban.peerId === null ? ban.ip : `${ban.peerId}${ban.ip === null ? '' : ` (${ban.ip})`}`
  return `banned ${what} until ${new Date(ban.until).toISOString()} (${formatExpiry(ban.until)}): ${ban.reason}\n`
}

export function ban(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'ban',
      usage: BAN_USAGE,
      positionals: { min: 3, max: Number.POSITIVE_INFINITY, names: 'PEER_ID|IP|SUBNET DURATION REASON...' },
      check: ([target = '', duration = '', ...reason]) => {
        banTargetArgument(target)
        durationArgument(duration)
        reasonArgument(reason)
      },
      run: async (client, { positionals: [target = '', duration = '', ...reason] }) => {
        const reply = await client.post<{ ban: BanRow }>('/bans', {
          ...banTargetArgument(target),
          duration: durationArgument(duration),
          reason: reasonArgument(reason),
        })
        return { json: reply, text: bannedText(reply.ban) }
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
      positionals: { min: 1, names: 'PEER_ID|IP|SUBNET' },
      check: ([target = '']) => {
        banTargetArgument(target)
      },
      run: async (client, { positionals: [target = ''] }) => {
        const reply = await client.post<{ peerId?: string; ip?: string }>('/unban', banTargetArgument(target))
        return { json: reply, text: `unbanned ${reply.peerId ?? reply.ip}\n` }
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
        const reply = await client.get<{ bans: BanRow[] }>('/bans')
        return { json: reply, text: bansText(reply.bans) }
      },
    },
    args,
  )
}
