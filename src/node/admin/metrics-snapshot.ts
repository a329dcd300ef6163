/**
 * The snapshot `GET /metrics` renders (renderPawMetrics), read from the node's public API
 * at scrape time: the node already counts all of it, so the admin API keeps no second
 * bookkeeping and a scrape costs a few map walks.
 */
import type { PawNode } from '../../api/index.ts'
import type { P2pMetricsSnapshot } from '../metrics/paw-metrics.ts'

export type MetricsNode = Pick<
  PawNode,
  | 'peers'
  | 'stats'
  | 'rejectionsByCode'
  | 'protocolTraffic'
  | 'bans'
  | 'addressBookStats'
  | 'gossipStats'
  | 'uptimeMs'
  | 'memoryBudget'
  | 'enforcement'
>

export interface MetricsChain {
  /** Height of the local tip (the header chain's on a light node); 0 without a chain. */
  height: number
  /** Height a running sync is heading for, if one runs and it is known. */
  target?: number | undefined
}

export function metricsSnapshot(
  node: MetricsNode,
  chain: MetricsChain,
  now: number = Date.now(),
): P2pMetricsSnapshot {
  const stats = node.stats()
  const bans = node.bans()
  const uptimeMs = node.uptimeMs()
  const startedAt = now - uptimeMs
  const gossip = node.gossipStats()
  return {
    peers: node.peers().map((peer) => ({
      peerId: peer.peerId,
      state: peer.state,
      direction: peer.direction,
      stats: peer.stats,
      ...(peer.score === undefined ? {} : { score: peer.score }),
      ...(peer.stats.rttMs === undefined ? {} : { rttMs: peer.stats.rttMs }),
    })),
    node: {
      totalConnections: stats.totalConnections,
      successfulDials: stats.successfulDials,
      failedDials: stats.failedDials,
      rejectedInbound: stats.rejectedInbound,
      inbound: stats.inbound,
      outbound: stats.outbound,
    },
    rejectionsByCode: node.rejectionsByCode(),
    protocols: node.protocolTraffic(),
    bans: {
      active: bans.length,
      // The node does not count bans issued; the active ones set since start are a lower
      // bound that never decreases while they last (a lifted or expired ban drops out, which
      // Prometheus reads as a counter reset).
      total: bans.filter((ban) => ban.createdAt >= startedAt).length,
    },
    addressBook: node.addressBookStats(),
    gossip: {
      verdicts: gossip.verdicts,
      republished: gossip.republished,
      throttled: gossip.throttled,
    },
    sync: { height: chain.height, target: chain.target },
    memory: node.memoryBudget(),
    enforcement: node.enforcement(),
    uptimeSeconds: Math.floor(uptimeMs / 1000),
  }
}
