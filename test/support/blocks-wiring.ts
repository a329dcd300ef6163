/**
 * A /paw/blocks/1 BlocksProtocol on a running test PawNode, wired by hand (replacing the
 * node's own, so a test chooses the source, limits and reputation): the node's libp2p, settings and handshake state (a peer is handshaken
 * when the node lists it connected), its own Reputation and PeerRateLimiter (0x09 charges
 * 'rateLimited' as the node's limiter does), and per-connection traffic counters.
 */
import type { Connection } from '@libp2p/interface'
import type { PawNode, PeerInfo } from '../../src/api.ts'
import type { Logger } from '../../src/logging.ts'
import { Enforcer } from '../../src/peers/enforcer.ts'
import { PeerRateLimiter, type RateLimit, type RateLimitName } from '../../src/peers/rate-limits.ts'
import { Reputation } from '../../src/peers/reputation.ts'
import { PeerTraffic } from '../../src/peers/traffic.ts'
import {
  type BlocksPeers,
  BlocksProtocol,
  type BlocksSource,
} from '../../src/protocols/blocks/blocks-protocol.ts'
import { BLOCKS_PROTOCOL } from '../../src/protocols/blocks/constants.ts'

export interface WiredBlocks {
  protocol: BlocksProtocol
  reputation: Reputation
  limiter: PeerRateLimiter
  /** The local reputation of a peer (0 until charged). */
  scoreOf(peerId: string): number
}

/** The node's handshaken peers, as PeerManager.connected() lists them. */
function peersOf(node: PawNode): BlocksPeers {
  const traffic = new Map<string, PeerTraffic>()
  const trafficOf = (connection: Connection): PeerTraffic => {
    let counter = traffic.get(connection.id)
    if (counter === undefined) {
      counter = new PeerTraffic()
      traffic.set(connection.id, counter)
    }
    return counter
  }
  return {
    connected: () =>
      node.libp2p.getConnections().flatMap((connection) => {
        const info: PeerInfo | undefined = node.peer(connection.remotePeer.toString())
        if (info?.state !== 'connected' || connection.status !== 'open') return []
        return [{ info, connection, traffic: trafficOf(connection) }]
      }),
    traffic: trafficOf,
  }
}

/** Builds and starts a BlocksProtocol on `node` serving `source`; stop it before the node. */
export async function wireBlocks(
  node: PawNode,
  source: BlocksSource | undefined,
  options: { log?: Logger; limits?: Partial<Record<RateLimitName, RateLimit>> } = {},
): Promise<WiredBlocks> {
  const reputation = new Reputation()
  const limiter = new PeerRateLimiter({
    limits: options.limits,
    onViolation: ({ peerId }) => {
      reputation.penalize(peerId, 'rateLimited')
    },
  })
  const protocol = new BlocksProtocol({
    libp2p: node.libp2p,
    peers: peersOf(node),
    settings: node.settings,
    log: options.log ?? node.log.child({ component: 'blocks' }),
    isHandshaken: (connection) => node.peer(connection.remotePeer.toString())?.state === 'connected',
    source,
    limiter,
    // Charges go to this reputation alone: these tests look at scores, not disconnects.
    enforcer: new Enforcer({
      reputation,
      isBanned: () => false,
      disconnect: () => {},
      isConnected: () => false,
      log: options.log ?? node.log.child({ component: 'enforcer' }),
    }),
  })
  // The node serves /paw/blocks/1 itself (from its own chain, if any); these tests drive a
  // protocol of their own with a chosen source, limits and reputation, so take the
  // protocol over. TODO: move these tests to the node's own protocol and drop this wiring.
  await node.libp2p.unhandle(BLOCKS_PROTOCOL)
  await protocol.start()
  return { protocol, reputation, limiter, scoreOf: (peerId) => reputation.localScore(peerId) }
}
