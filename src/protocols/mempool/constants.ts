/** protocols/mempool.md */
export const MEMPOOL_PROTOCOL = '/paw/mempool/1'

/**
 * /paw/mempool/1 streams one connection may have open per direction: the one sync stream
 * of that direction, plus room for a few TRANSACTION_REQUESTs in flight at once. A peer
 * that opens more is refused by libp2p before any of our code runs.
 */
export const MAX_MEMPOOL_STREAMS = 4

/**
 * Hashes of fetched transactions that failed validation, remembered so that no peer makes
 * us fetch them again (protocols/mempool.md "Fetching": neither held, requested nor
 * rejected). One inventory's worth: 4096 × 64-character keys, about 0.5 MiB.
 */
export const REJECTED_HASHES_REMEMBERED = 4096
