/** Counters of /paw/mempool/1 since the node was created (MempoolProtocol.stats()). */
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
  refused: {
    /** 0x09: a get_transactions or mempool_hashes beyond the peer's rate limit (not answered). */
    rateLimited: number
    /** 0x0A: a frame not allowed at that point, or an answer that does not match its request. */
    unexpectedMessage: number
    /** 0x05: a malformed frame, a frame type /paw/mempool/1 does not define, a malformed payload. */
    invalidMessage: number
    /** A stream from a peer whose /paw/handshake/1 had not completed (reset by the gate). */
    notHandshaken: number
  }
}

export type RefusalReason = keyof MempoolSyncStats['refused']

export function newMempoolSyncStats(): MempoolSyncStats {
  return {
    inventoriesSent: 0,
    inventoriesReceived: 0,
    requestsSent: 0,
    requestsServed: 0,
    transactionsServed: 0,
    transactionsFetched: 0,
    transactionsAdmitted: 0,
    refused: { rateLimited: 0, unexpectedMessage: 0, invalidMessage: 0, notHandshaken: 0 },
  }
}

export function copyMempoolSyncStats(stats: MempoolSyncStats): MempoolSyncStats {
  return { ...stats, refused: { ...stats.refused } }
}
