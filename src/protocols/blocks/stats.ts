/** Counters of /paw/blocks/1 since the node was created (BlocksProtocol.stats()). */
import { newRefusedCounts, type RefusedCounts } from '../shared/faults.ts'

export interface BlocksStats {
  /** Requests we sent (get_block, get_blocks, get_headers). */
  requestsSent: number
  /** Requests we answered. */
  requestsServed: number
  /** Block encodings we sent in answers. */
  blocksServed: number
  /** Header encodings we sent in answers. */
  headersServed: number
  /** Transactions we sent in block_transactions answers (compact blocks' missing ones). */
  transactionsServed: number
  /** What peers did that we refused, by reason (each is logged at WARN). */
  refused: RefusedCounts
}

export function newBlocksStats(): BlocksStats {
  return {
    requestsSent: 0,
    requestsServed: 0,
    blocksServed: 0,
    headersServed: 0,
    transactionsServed: 0,
    refused: newRefusedCounts(),
  }
}

export function copyBlocksStats(stats: BlocksStats): BlocksStats {
  return { ...stats, refused: { ...stats.refused } }
}
