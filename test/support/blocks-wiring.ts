/**
 * A /paw/blocks/1 BlocksProtocol on a running test PawNode, wired by hand (replacing the
 * node's own, so a test chooses the chain it serves from, the limits and the reputation):
 * the node's libp2p, settings and handshake state (a peer is handshaken when the node lists
 * it connected), its own Reputation and PeerRateLimiter (0x09 charges 'rateLimited' as the
 * node's limiter does), and per-connection traffic counters. The chain is given through the
 * chain port (src/ports/chain.ts); `fullChainPort` and `headerChainPort` adapt the reference
 * chain's objects.
 */
import type { Connection } from '@libp2p/interface'
import type { PawNode, PeerInfo } from '../../src/api/index.ts'
import type { FullChain } from '../../src/chain/full-chain.ts'
import type { HeaderChain } from '../../src/chain/header-chain.ts'
import { referenceFullPort } from '../../src/chain/port/full-port.ts'
import { referenceHeaderPort } from '../../src/chain/port/header-port.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import type { Logger } from '../../src/logging.ts'
import { Enforcer } from '../../src/peers/enforcer.ts'
import { PeerRateLimiter, type RateLimit, type RateLimitName } from '../../src/peers/rate-limits.ts'
import { Reputation } from '../../src/peers/reputation.ts'
import { PeerTraffic } from '../../src/peers/traffic.ts'
import type { FullChainPort, HeaderChainPort } from '../../src/ports/chain.ts'
import {
  type BlocksChain,
  type BlocksPeers,
  BlocksProtocol,
} from '../../src/protocols/blocks/blocks-protocol.ts'
import { BLOCKS_PROTOCOL } from '../../src/protocols/blocks/constants.ts'

export interface WiredBlocks {
  protocol: BlocksProtocol
  reputation: Reputation
  limiter: PeerRateLimiter
  /** The local reputation of a peer (0 until charged). */
  scoreOf(peerId: string): number
}

/** The reference chain's full-node port over a test node's chain and mempool. */
export function fullChainPort(full: FullChain): FullChainPort {
  return referenceFullPort({
    chain: full.chain,
    mempool: full.mempool,
    events: { admitted: () => {}, invalid: () => {} },
  })
}

/** The reference chain's light-node port over a test node's header chain. */
export function headerChainPort(headers: HeaderChain): HeaderChainPort {
  return referenceHeaderPort(headers)
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

/**
 * Builds and starts a BlocksProtocol on `node` serving `chain` (undefined: a node without
 * a chain, on the reference chain's network); stop it before the node.
 */
export async function wireBlocks(
  node: PawNode,
  chain: BlocksChain | undefined,
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
    chain,
    shape: REFERENCE_SHAPE,
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
  // protocol of their own with a chosen chain, limits and reputation, so take the protocol
  // over.
  await node.libp2p.unhandle(BLOCKS_PROTOCOL)
  await protocol.start()
  return { protocol, reputation, limiter, scoreOf: (peerId) => reputation.localScore(peerId) }
}
