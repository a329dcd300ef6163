/** `paw-node show-node-id`: the node's identity, for peers' persistent_peers lists and tooling. */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadNodeKey, resolveHome } from '../../node/home.ts'
import { nodeIdOfKey } from '../../peers/node-id.ts'
import { EXIT_OK, HOME_OPTION, parseFlags } from '../options.ts'

export const SHOW_NODE_ID_USAGE = `Usage: paw-node show-node-id [--home DIR]

Prints the node's libp2p PeerId on the first line and its legacy PAW node ID (hex of the
first 20 bytes of the Ed25519 public key) on the second. Does not create anything.

Peers may name this node by either, as PEER_ID@host:port or NODE_ID@host:port (CometBFT's
form) in p2p.persistent_peers, p2p.bootstrap, p2p.seeds and \`paw-node dial\`; with the
hex, they dial without a PeerId and refuse the connection unless this key answers.

Options:
  --home DIR    home directory (default: $PAW_HOME, else ~/.paw)
  -h, --help    show this help
`

export async function showNodeId(args: readonly string[]): Promise<number> {
  const flags = parseFlags(args, HOME_OPTION)
  if (flags.help === true) {
    process.stdout.write(SHOW_NODE_ID_USAGE)
    return EXIT_OK
  }
  const key = await loadNodeKey(resolveHome(flags.home))
  // The hex that a dial to NODE_ID@host:port checks (src/peers/node-id.ts), by the same code.
  process.stdout.write(`${peerIdFromPrivateKey(key).toString()}\n${nodeIdOfKey(key.publicKey.raw)}\n`)
  return EXIT_OK
}
