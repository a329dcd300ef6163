/**
 * One scrape of a node: PAW's `paw_p2p_*` series from a snapshot of the node (paw-metrics.ts),
 * then libp2p's and the process's (libp2p-metrics.ts). What the metrics listener serves; the
 * admin API's GET /metrics serves the same composition (src/node/admin/node-routes.ts).
 */
import { type MetricsNode, metricsSnapshot } from '../admin/metrics-snapshot.ts'
import { renderPawMetrics } from './paw-metrics.ts'

export interface NodeMetricsSource {
  node: MetricsNode
  /** Height of the local tip (the header chain's on a light node); 0 without a chain. */
  height(): number
  /** The height a running sync is heading for (`sync:progress`), if one runs. */
  syncTarget?: () => number | undefined
  /** libp2p's and the process's series (Libp2pMetrics.render). */
  libp2p?: () => Promise<string>
}

/** The node's series in text exposition format 0.0.4. */
export async function renderNodeMetrics(source: NodeMetricsSource): Promise<string> {
  const snapshot = metricsSnapshot(source.node, { height: source.height(), target: source.syncTarget?.() })
  const libp2p = source.libp2p === undefined ? '' : await source.libp2p()
  return renderPawMetrics(snapshot) + libp2p
}
