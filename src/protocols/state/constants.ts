/** protocols/state.md */
export const STATE_PROTOCOL = '/paw/state/1'

/** The frame types of /paw/state/1 (protocols/state.md "Request: get_account" and on). */
export const StateFrameType = {
  GetAccount: 'get_account',
  Account: 'account',
  GetTransactionStatus: 'get_transaction_status',
  TransactionStatus: 'transaction_status',
} as const

/**
 * /paw/state/1 streams one connection may have open per direction: one request each
 * (protocols/state.md "Stream rules"), so this is how many reads of one peer may run at
 * once (a wallet reading a few addresses while it follows a transaction), with room for
 * streams that are closing. libp2p resets a stream beyond it.
 */
export const MAX_STATE_STREAMS = 8

/**
 * How long we wait for an answer once the stream is open: the answerer proves from its
 * store (an inclusion proof reads a whole block) and writes at most 17,454 bytes. Past it
 * the stream is reset and the next peer asked; a slow peer is not charged.
 */
export const STATE_REQUEST_TIMEOUT_MS = 10_000

/**
 * Peers one verified read asks at most before it gives up (ERR_STATE_UNAVAILABLE): enough
 * to get past a few peers that are behind, lying or overloaded, without asking the whole
 * network for one balance.
 */
export const MAX_PEERS_PER_READ = 8
