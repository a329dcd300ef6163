/**
 * What /paw/mempool/1 is built from: the node's parts, its pool (src/ports/transaction-pool.ts)
 * and what it asks of the chain (src/ports/chain.ts). Apart from mempool-protocol.ts so that
 * the protocol's parts share them without importing the protocol.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Settings } from '../../config/settings.ts'
import type { Logger } from '../../logging.ts'
import type { Enforcer } from '../../peers/enforcer.ts'
import type { PeerRateLimiter } from '../../peers/rate-limits.ts'
import type { ChainPortBase } from '../../ports/chain.ts'
import type { TransactionPoolPort } from '../../ports/transaction-pool.ts'
import type { MemoryBudget } from '../shared/memory-budget.ts'
import type { StreamPeers } from '../shared/stream-peers.ts'

/**
 * What /paw/mempool/1 asks of a chain (any ChainPort is one): its pool of pending
 * transactions, through the pool port (a light node's chain has none: it announces nothing,
 * serves nothing and fetches nothing); the id of a transaction encoding, to check that a
 * fetched one is the one asked for; and its shape, the size of a transaction encoding on
 * the wire. It never decodes a transaction.
 */
export type MempoolChain = Pick<ChainPortBase<unknown, unknown, unknown>, 'shape' | 'transactionId'> & {
  readonly pool?: TransactionPoolPort | undefined
}

export interface MempoolProtocolInit {
  libp2p: Libp2p
  peers: StreamPeers
  settings: Settings
  log: Logger
  /** Whether /paw/handshake/1 completed on the connection (requireHandshake). */
  isHandshaken: (connection: Connection) => boolean
  /**
   * The chain whose pool we announce, serve and fill, and fetched transactions are checked
   * by; undefined on a node without a chain (it announces, serves and fetches nothing;
   * requestTransactions refuses).
   */
  chain: MempoolChain | undefined
  limiter: PeerRateLimiter
  /** Charges peers for their faults (src/peers/enforcer.ts). */
  enforcer: Pick<Enforcer, 'charge'>
  /** The memory budget frames are reserved from; none: unbounded (tests). */
  budget?: MemoryBudget | undefined
  /** A fetched transaction entered the pool (the node's `transaction` event, via mempool-sync). */
  onAdmitted?: (fetched: { id: string; encoded: Uint8Array; from: string }) => void
}
