/**
 * Where each node of a local devnet lives: its home under the devnet root, its three ports
 * and the `paw-node start` flags that wire it to the others. Pure, so the layout is the same
 * whoever computes it (the devnet command, a test, an operator reading the README).
 */
import { join } from 'node:path'

/** Node i's ports are base + 10i (TCP), + 1 (WebSockets), + 2 (admin API). */
export const PORT_STRIDE = 10
export const DEFAULT_BASE_PORT = 26_756
export const MAX_NODES = 16
export const DEVNET_HOST = '127.0.0.1'

export interface DevnetOptions {
  root: string
  nodes: number
  miners: number
  basePort: number
  chainId: string
}

export interface DevnetNodeSpec {
  index: number
  /** `node0`, `node1`, …: the home's directory name and the node's name in every view. */
  name: string
  home: string
  /** `<home>/node.log`: the child's stdout and stderr. */
  logFile: string
  type: 'miner' | 'full'
  tcpPort: number
  wsPort: number
  adminPort: number
  /** `127.0.0.1:<adminPort>`. */
  admin: string
}

export function nodeSpec(options: DevnetOptions, index: number): DevnetNodeSpec {
  const name = `node${index}`
  const home = join(options.root, name)
  const tcpPort = options.basePort + PORT_STRIDE * index
  return {
    index,
    name,
    home,
    logFile: join(home, 'node.log'),
    type: index < options.miners ? 'miner' : 'full',
    tcpPort,
    wsPort: tcpPort + 1,
    adminPort: tcpPort + 2,
    admin: `${DEVNET_HOST}:${tcpPort + 2}`,
  }
}

export function devnetSpecs(options: DevnetOptions): DevnetNodeSpec[] {
  return Array.from({ length: options.nodes }, (_, index) => nodeSpec(options, index))
}

/** The highest port the layout uses (must stay ≤ 65535). */
export function lastPort(options: Pick<DevnetOptions, 'nodes' | 'basePort'>): number {
  return options.basePort + PORT_STRIDE * (options.nodes - 1) + 2
}

/** `id@127.0.0.1:port`, the form --persistent-peers and --bootstrap take. */
export function peerAddress(peerId: string, spec: DevnetNodeSpec): string {
  return `${peerId}@${DEVNET_HOST}:${spec.tcpPort}`
}

/** The WebSockets multiaddr a browser node dials: `/ip4/127.0.0.1/tcp/<ws>/ws/p2p/<id>`. */
export function browserAddress(peerId: string, spec: DevnetNodeSpec): string {
  return `/ip4/${DEVNET_HOST}/tcp/${spec.wsPort}/ws/p2p/${peerId}`
}

/**
 * p2p.min_outbound of node `index`: what its own flags can reach, so that it is never short.
 * A node short of min_outbound with nothing left to dial keeps asking its peers for more
 * (get_peers) and, asked about every 10 s, a peer refuses some of those (the 10 s rule,
 * measured on arrival) and lowers its score until it rejects the node: in a devnet of a few
 * nodes that cut node 1 off node 0 for minutes. Node 0 dials no one (every node dials it);
 * every other node has node 0 as a persistent peer, hence at least that one outbound.
 */
export function minOutbound(index: number): number {
  return index === 0 ? 0 : 1
}

/**
 * `paw-node start` flags for node `index`. Node 0 is the hub: every other node keeps it as
 * a persistent peer (redialled if lost) and also bootstraps from the node before it, so the
 * network is a chain plus a star from the start and peer exchange fills in the rest.
 */
export function startFlags(options: DevnetOptions, index: number, peerIds: readonly string[]): string[] {
  const spec = nodeSpec(options, index)
  const flags = [
    '--home',
    spec.home,
    '--chain-id',
    options.chainId,
    '--type',
    spec.type,
    '--listen-host',
    DEVNET_HOST,
    '--port',
    String(spec.tcpPort),
    '--ws-port',
    String(spec.wsPort),
    '--admin-listen',
    spec.admin,
  ]
  flags.push('--min-outbound', String(minOutbound(index)))
  if (index === 0) return flags
  flags.push('--persistent-peers', peerAddress(peerIds[0] ?? '', nodeSpec(options, 0)))
  // Node 1's previous node is the hub itself, already a persistent peer.
  if (index > 1)
    flags.push('--bootstrap', peerAddress(peerIds[index - 1] ?? '', nodeSpec(options, index - 1)))
  return flags
}
