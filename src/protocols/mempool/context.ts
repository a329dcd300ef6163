/** What the parts of /paw/mempool/1 share: the node's parts, counters and stream plumbing. */
import type { Connection, Stream } from '@libp2p/interface'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import type { PeerFault } from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import type { MempoolProtocolInit } from './mempool-protocol.ts'
import type { RecentSet } from './recent-set.ts'
import type { MempoolSyncStats } from './stats.ts'

export interface MempoolContext {
  readonly init: MempoolProtocolInit
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
  open(connection: Connection, limits: FrameLimits): Promise<FrameChannel>
  /** Logs a peer's fault at WARN, charges the peer and counts the refusal. */
  refuse(peerId: string, fault: PeerFault): void
}
