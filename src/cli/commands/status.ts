/** `paw-node status`: who the running node is, where its chain is, and how many peers it has. */
import { counted, formatMs } from '../format.ts'
import { ADMIN_OPTION_LINES, runAdminCommand } from './admin-command.ts'
import type { StatusReply } from './admin-replies.ts'

export const STATUS_USAGE = `Usage: paw-node status [options]

Prints the running node's identity, chain tip, peer counts, address book, bans and
uptime, from its admin API.

Options:
${ADMIN_OPTION_LINES}
`

export function statusText(s: StatusReply): string {
  const lines = [
    `peer id     ${s.peerId}`,
    `chain       ${s.chainId} (${s.nodeType} node, paw-node ${s.version})`,
    `tip         height ${s.tip.height}, ${s.tip.hash}`,
    `peers       ${s.peers.connected} connected (${s.peers.inbound} in, ${s.peers.outbound} out)`,
    `addresses   ${s.addressBook.entries} known in ${counted(s.addressBook.groups, 'group')}`,
    `bans        ${s.bans} active`,
    ...(s.mempool === undefined ? [] : [`mempool     ${s.mempool.size} transactions`]),
    `uptime      ${formatMs(s.uptimeMs)}`,
  ]
  return `${lines.join('\n')}\n`
}

export function status(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'status',
      usage: STATUS_USAGE,
      run: async (client) => {
        const reply = await client.get<StatusReply>('/status')
        return { json: reply, text: statusText(reply) }
      },
    },
    args,
  )
}
