/** What PawGossip counts (PawNode.gossipStats, the admin API, metrics). Browser-safe. */

import type { GossipStats, IngressLane, LaneStats, TopicKind } from '../api/stats.ts'
import type { Verdict } from './gossip-types.ts'

export type { GossipStats }

/** The counters behind GossipStats, but the lanes (the ingress queue keeps those). */
export class GossipCounters {
  readonly verdicts: GossipStats['verdicts'] = {
    blocks: { accept: 0, ignore: 0, reject: 0 },
    transactions: { accept: 0, ignore: 0, reject: 0 },
    headers: { accept: 0, ignore: 0, reject: 0 },
  }
  throttled = 0
  notHandshaken = 0
  republished = 0

  verdict(kind: TopicKind, verdict: Verdict): void {
    this.verdicts[kind][verdict]++
  }

  /** A copy, with the lanes' statistics. */
  snapshot(lanes: Record<IngressLane, LaneStats>): GossipStats {
    const verdicts = Object.fromEntries(
      Object.entries(this.verdicts).map(([kind, counts]) => [kind, { ...counts }]),
    ) as GossipStats['verdicts']
    return {
      lanes,
      verdicts,
      throttled: this.throttled,
      notHandshaken: this.notHandshaken,
      republished: this.republished,
    }
  }
}
