/** Counters of /paw/mempool/1 since the node was created (MempoolProtocol.stats()). */
import type { MempoolSyncStats } from '../../api/stats.ts'
import { newRefusedCounts } from '../shared/faults.ts'

export type { MempoolSyncStats }

export function newMempoolSyncStats(): MempoolSyncStats {
  return {
    inventoriesSent: 0,
    inventoriesReceived: 0,
    requestsSent: 0,
    requestsServed: 0,
    transactionsServed: 0,
    transactionsFetched: 0,
    transactionsAdmitted: 0,
    refused: newRefusedCounts(),
  }
}

export function copyMempoolSyncStats(stats: MempoolSyncStats): MempoolSyncStats {
  return { ...stats, refused: { ...stats.refused } }
}
