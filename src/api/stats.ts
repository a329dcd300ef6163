/**
 * What a node counts and reports (PawNode's statistics, the admin API, metrics), and how far
 * a sync is. The parts that count import these shapes from here: the public types import
 * nothing internal (STYLE.md "Our layout"). Browser-safe.
 */
import type { OffenceName } from './peers.ts'

/** What a gossip topic carries (src/gossip/topics.ts). */
export type TopicKind = 'blocks' | 'transactions' | 'headers'

/** The lanes of the gossip ingress queue (src/gossip/ingress-queue.ts). */
export type IngressLane = 'blocks' | 'transactions'

export interface LaneStats {
  queued: number
  queuedBytes: number
  processed: number
  dropped: number
  /** Most items the lane has held at once. */
  highWater: number
}

/** What PawGossip counts (PawNode.gossipStats, the admin API, metrics). */
export interface GossipStats {
  lanes: Record<IngressLane, LaneStats>
  verdicts: Record<TopicKind, { accept: number; ignore: number; reject: number }>
  /** Transactions dropped unprocessed because their sender was over its rate limit. */
  throttled: number
  /** Messages ignored because their sender had not completed the handshake. */
  notHandshaken: number
  /** Messages Accepted after gossipsub's forwarding window, forwarded by publishing them again. */
  republished: number
}

/** What src/peers/enforcer.ts did since start (PawNode.enforcement). */
export interface EnforcerStats {
  /** Offences charged since start, by name. */
  charged: Partial<Record<OffenceName, number>>
  /** Bans applied, by why: the offence bans at once, or the score fell below BAN_BELOW. */
  bans: { offence: number; score: number }
  /** Connections closed: by the offence, by its repetition, by the score. */
  disconnects: { offence: number; repeated: number; score: number }
}

export interface DiscoveryStats {
  seedDials: number
  seedFailures: number
  listsReceived: number
  addressesAdded: number
}

/** What peers did that a protocol refused, by reason (each logged at WARN). */
export interface RefusedCounts {
  /** 0x09: a request beyond the peer's rate limit (not answered, stream reset). */
  rateLimited: number
  /** 0x0A: a frame not allowed at that point, an answer nobody asked for, or one that does not match its request. */
  unexpectedMessage: number
  /** 0x05: a malformed frame or payload, or a frame type the protocol does not define. */
  invalidMessage: number
  /** 0x04: a frame over its type's limit (the peer is disconnected). */
  messageTooLarge: number
  /** 0x0B: an answer the peer did not read within the write timeout (stream reset). */
  slowReader: number
  /** 0x0B: work refused because the peer, or the node, was at its memory budget (not charged). */
  overBudget: number
  /** A stream from a peer whose /paw/handshake/1 had not completed (reset by the gate). */
  notHandshaken: number
}

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
  refused: RefusedCounts
}

/** Counters of /paw/peers/1 since the node was created. */
export interface PeersStats {
  requestsSent: number
  requestsServed: number
  /** Entries received in answers, and of those the ones skipped as unusable. */
  entriesReceived: number
  entriesSkipped: number
  refused: RefusedCounts
}

/**
 * Counters of /paw/state/1 since the node was created (protocols/state.md): the protocol's
 * (StateProtocol.stats(): served, asked, refused) and, on a node that checks answers, the
 * state client's (StateClient.stats() adds verified, lies, unavailable).
 */
export interface StateStats {
  /** Requests we answered, by kind. */
  served: { accounts: number; transactions: number }
  /** Requests we sent, by kind. */
  asked: { accounts: number; transactions: number }
  /** Answers whose proof the chain accepted. */
  verified: number
  /** Answers whose proof the chain refused, by its code: each a peer charged `invalidStateProof`. */
  lies: Record<string, number>
  /** Reads no peer could answer with a proof (ERR_STATE_UNAVAILABLE). */
  unavailable: number
  refused: RefusedCounts
}

/** The memory budget of /paw/* streams and its use now (docs/configuration.md "Memory budget"). */
export interface MemoryBudgetStats {
  nodeLimitBytes: number
  peerLimitBytes: number
  /** Bytes reserved now, in all. */
  usedBytes: number
  /** The most reserved at once since start. */
  peakBytes: number
  /** Peers holding reservations now. */
  peers: number
  /** The peers holding the most now (at most 5), largest first. */
  top: Array<{ peerId: string; bytes: number }>
  /** Reservations refused since start, by the scope that refused them. */
  refused: { peer: number; node: number }
  /** Reservations taken back from the peer holding the most, and the bytes they held. */
  revoked: { reservations: number; bytes: number }
}

/** How far a running sync is (the node's `sync:progress` event; the CLI's progress bar). */
export interface SyncProgress {
  /** Blocks (full nodes) or headers (light nodes). */
  kind: 'blocks' | 'headers'
  /** Our best height now. */
  height: number
  /** The height the sync aims for (headers: the highest a peer has shown so far). */
  target: number
  /** Height when the sync started. */
  from: number
  /** Blocks or headers added per second since the sync started. */
  perSecond: number
  /** The last report of this sync (it finished, or failed). */
  done: boolean
}

export interface SyncResult {
  /** Height before and after. */
  from: number
  to: number
  blocks: number
  ms: number
  /** Peers whose chain was followed. */
  peers: string[]
}
