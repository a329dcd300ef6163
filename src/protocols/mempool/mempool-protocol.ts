/**
 * `/paw/mempool/1` (protocols/mempool.md): MEMPOOL_SYNC after a handshake and
 * TRANSACTION_REQUEST by hash. Browser-safe.
 *
 * IN PROGRESS: the stream flow is being written (see protocols/mempool.md "Stream rules").
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Transaction, TransactionPool } from '../../chain/types.ts'
import type { Settings } from '../../config/settings.ts'
import type { Logger } from '../../logging.ts'
import type { PeerManager } from '../../peers/peer-manager.ts'
import type { PeerRateLimiter } from '../../peers/rate-limits.ts'
import type { Reputation } from '../../peers/reputation.ts'

export const MEMPOOL_PROTOCOL = '/paw/mempool/1'

export interface MempoolProtocolInit {
  libp2p: Libp2p
  peers: PeerManager
  settings: Settings
  log: Logger
  /** Whether /paw/handshake/1 completed on the connection (requireHandshake). */
  isHandshaken: (connection: Connection) => boolean
  /** The node's mempool; undefined on a light node (it announces nothing and serves nothing). */
  pool: TransactionPool | undefined
  /** Validates and adds fetched transactions (not re-flooded); invalid ones are charged to `from`. */
  admit: (transactions: readonly Transaction[], from: string) => { admitted: number; invalid: number }
  limiter: PeerRateLimiter
  reputation: Reputation
}

export interface TransactionRequestResult {
  /** The transactions the peer held, in request order. */
  found: Transaction[]
  /** The ids (hex hashes) it did not hold, in request order. */
  notFound: string[]
}

export class MempoolProtocol {
  constructor(init: MempoolProtocolInit) {
    void init
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** MEMPOOL_SYNC: announce our pending set to a peer that just completed the handshake. */
  async announceTo(peerId: string): Promise<void> {
    void peerId
  }

  /** TRANSACTION_REQUEST: fetch transactions by id (hex hash) from a peer, at most 256 per call. */
  async requestTransactions(peerId: string, ids: readonly string[]): Promise<TransactionRequestResult> {
    void peerId
    void ids
    throw new Error('not implemented yet')
  }
}
