/** What the parts of /paw/mempool/1 share: the node's parts, counters and stream plumbing. */
import type { AbortOptions, Connection, Stream } from '@libp2p/interface'
import type { TransactionPoolPort } from '../../ports/transaction-pool.ts'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import type { PeerFault } from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import type { MempoolLimits } from './limits.ts'
import type { RecentSet } from './recent-set.ts'
import type { MempoolSyncStats } from './stats.ts'
import type { MempoolChain, MempoolProtocolInit } from './types.ts'

/** The chain's side of the protocol, on a node that has a chain. */
export interface MempoolChainSide {
  /** Gives a fetched transaction's id; its shape gives a transaction's size on the wire. */
  readonly port: MempoolChain
  /** The chain's pool; undefined on a light node (it announces, serves and fetches nothing). */
  readonly pool: TransactionPoolPort | undefined
  /** The frame limits that depend on the chain, built from its shape when the protocol was made. */
  readonly limits: MempoolLimits
}

export interface MempoolContext {
  readonly init: MempoolProtocolInit
  /** Undefined on a node without a chain: it announces, serves and fetches nothing. */
  readonly chain: MempoolChainSide | undefined
  readonly stats: MempoolSyncStats
  /** Hashes some sync is fetching now: not asked of another peer meanwhile. */
  readonly inFlight: Set<string>
  /** Hashes of fetched transactions that failed validation: never fetched again. */
  readonly rejected: RecentSet
  /**
   * A FrameChannel on `stream` with the node's read-idle and write timeouts and the peer's
   * traffic counters; the stream is aborted if the protocol stops while it is open.
   */
  channel(stream: Stream, connection: Connection, limits: FrameLimits): FrameChannel
  /** Opens a /paw/mempool/1 stream on `connection`, accepting `limits` (NetworkError if it cannot). */
  open(connection: Connection, limits: FrameLimits, options?: AbortOptions): Promise<FrameChannel>
  /** Logs a peer's fault at WARN, charges the peer and counts the refusal. */
  refuse(peerId: string, fault: PeerFault): void
}
