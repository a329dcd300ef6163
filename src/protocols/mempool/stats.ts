/** Counters of /paw/mempool/1 since the node was created (MempoolProtocol.stats()). */
import { newRefusedCounts, type RefusedCounts } from '../shared/faults.ts'

export interface MempoolSyncStats {
  /** mempool_hashes frames we sent (one per sync stream we opened). */
  inventoriesSent: number
  /** mempool_hashes frames we accepted from peers. */
  inventoriesReceived: number
  /** get_transactions frames we sent: sync fetches and TRANSACTION_REQUESTs. */
  requestsSent: number
  /** get_transactions frames we answered. */
  requestsServed: number
  /** Transactions we sent in those answers. */
  transactionsServed: number
  /** Transactions received in answers to our sync fetches (matched to the request). */
  transactionsFetched: number
  /** Of those, the ones admitted to the mempool. */
  transactionsAdmitted: number
  /** What peers did that we refused, by reason (each is logged at WARN). */
  refused: RefusedCounts
}

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
