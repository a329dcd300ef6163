/** `paw-node dial` and `paw-node disconnect`: open or close one connection on the running node. */
import { parsePeerAddress } from '../../peers/address.ts'
import { formatRtt, shortPeerId } from '../format.ts'
import { UsageError } from '../options.ts'
import { ADMIN_OPTION_LINES, runAdminCommand } from './admin-command.ts'
import type { PeerRow } from './admin-replies.ts'
import { peerIdArgument } from './bans.ts'

export const DIAL_USAGE = `Usage: paw-node dial ADDRESS [options]

Has the running node dial a peer and complete the PAW handshake with it.

  ADDRESS    a multiaddr (/ip4/1.2.3.4/tcp/26656/p2p/12D3KooW…) or id@host:port, where id
             is a peer ID or the 40-hex node ID that \`show-node-id\` prints second

Exit 1 if the node refuses (the peer is banned, the outbound limit is reached, it is
known to be on another chain) or the dial or the handshake fails.

Options:
${ADMIN_OPTION_LINES}
`

export const DISCONNECT_USAGE = `Usage: paw-node disconnect PEER_ID [options]

Closes the running node's connection to a peer. The peer may connect again (or be
redialled if persistent): ban it to keep it out.

Options:
${ADMIN_OPTION_LINES}
`

function addressArgument(text: string): string {
  try {
    parsePeerAddress(text)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  return text
}

export function dial(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'dial',
      usage: DIAL_USAGE,
      positionals: { min: 1, names: 'ADDRESS' },
      check: ([address = '']) => {
        addressArgument(address)
      },
      run: async (client, { positionals: [address = ''] }) => {
        const reply = await client.post<{ peer: PeerRow }>('/dial', { address: addressArgument(address) })
        const { peer } = reply
        return {
          json: reply,
          text: `connected to ${peer.peerId} (${shortPeerId(peer.peerId)}) at ${peer.address ?? address}, ${peer.direction ?? 'outbound'}, rtt ${formatRtt(peer.rttMs)}\n`,
        }
      },
    },
    args,
  )
}

export function disconnect(args: readonly string[]): Promise<number> {
  return runAdminCommand(
    {
      name: 'disconnect',
      usage: DISCONNECT_USAGE,
      positionals: { min: 1, names: 'PEER_ID' },
      check: ([peer = '']) => {
        peerIdArgument(peer)
      },
      run: async (client, { positionals: [peer = ''] }) => {
        const reply = await client.post<{ peerId: string }>('/disconnect', { peerId: peerIdArgument(peer) })
        return { json: reply, text: `disconnected ${reply.peerId}\n` }
      },
    },
    args,
  )
}
