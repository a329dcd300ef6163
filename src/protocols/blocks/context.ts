/** What the parts of /paw/blocks/1 share: the node's parts, counters and fault reporting. */
import type { PeerFault } from '../shared/faults.ts'
import type { BlocksStats } from './stats.ts'
import type { BlocksProtocolInit } from './types.ts'

export interface BlocksContext {
  readonly init: BlocksProtocolInit
  readonly stats: BlocksStats
  /** The largest block served so far: what a block is reserved at before it is read. */
  readonly sizes: { largest: number }
  /** Logs a peer's fault at WARN, charges the peer and counts the refusal. */
  refuse(peerId: string, fault: PeerFault): void
}
