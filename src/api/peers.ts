/**
 * The public view of peers: their states, statistics and events (004 §3.2, §7.1), and the
 * names of the per-peer rate limits and offences a caller may configure or count by.
 * Imports nothing internal (STYLE.md "Our layout"), so every layer can use them without a
 * cycle. Browser-safe.
 */

/** 004 §3.2 connection states, per peer. */
export type PeerState = 'connecting' | 'handshaking' | 'connected' | 'disconnecting' | 'disconnected'

export type Direction = 'inbound' | 'outbound'

/**
 * 004 §7.1 per-peer statistics since the peer was first seen, over every protocol stream on
 * its connections: /paw/*, gossipsub, identify, ping (src/peers/stream-traffic.ts). Bytes
 * are what the streams carried (libp2p's per-protocol count: no muxer or encryption
 * overhead); messages are /paw/* frames, and for other protocols the writes to and reads
 * from the stream (a gossipsub RPC is one write).
 */
export interface PeerStats {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
  /** The same by protocol id; the totals above are their sums. */
  byProtocol: Record<string, ProtocolTraffic>
  /** ms since the connection opened (0 when disconnected). */
  connectionDurationMs: number
  /** Unix ms of the last data received on any stream, or of a ping answer. */
  lastActivity: number
  /** Last ping round trip in ms, if one completed. */
  rttMs: number | undefined
}

export interface PeerInfo {
  peerId: string
  state: PeerState
  direction: Direction | undefined
  remoteAddr: string | undefined
  /** Listed in persistent_peers: reconnected forever (004 §3.3). */
  persistent: boolean
  /** The peer's chain ID and node ID (hex) once its handshake completed. */
  chainId: string | undefined
  /** The software the peer names in libp2p identify (`paw-node/0.1.0`), once identify ran. */
  agent?: string
  /** Why the last connection ended, if it did (e.g. "0x02 ChainIdMismatch: …"). */
  lastError: string | undefined
  stats: PeerStats
  /** Reputation: local penalties plus the gossipsub score (src/peers/reputation.ts). */
  score?: number
}

/** 004 §7.1 global statistics. */
export interface NodeStats {
  /** Connections opened since start (inbound and outbound, before handshake). */
  totalConnections: number
  successfulDials: number
  failedDials: number
  /** Inbound peers refused at the handshake (limits, reputation, wrong chain, bad handshake). */
  rejectedInbound: number
  /** Handshaken peers now, by direction. */
  inbound: number
  outbound: number
}

export interface PeerStateEvent {
  peerId: string
  state: PeerState
  previous: PeerState | undefined
  direction: Direction | undefined
  /** Set for transitions caused by an error (a reject, a timeout, a failed dial). */
  error?: { code: number | undefined; message: string }
}

/** Bytes and messages of one protocol, both ways (PeerStats says what a message is). */
export interface ProtocolTraffic {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
}

/** A per-peer rate limit (000 "Rate Limiting"): a token bucket. */
export interface RateLimit {
  /** Tokens added per second: the sustained rate allowed. */
  ratePerSecond: number
  /** Bucket size: the most allowed at once after a quiet period. */
  burst: number
  /** Why these numbers. */
  rationale: string
}

/** The per-peer rate limits; src/peers/rate-limits.ts RATE_LIMITS has one row of each. */
export type RateLimitName =
  | 'gossipTransactions'
  | 'mempoolRequests'
  | 'mempoolInventories'
  | 'peerRequests'
  | 'headerRequests'
  | 'blockRequests'
  | 'stateRequests'

/**
 * What a peer can do that costs it (protocols/errors.md "What each code costs");
 * src/peers/reputation.ts OFFENCES has one row of each.
 */
export type OffenceName =
  | 'messageTooLarge'
  | 'invalidMessage'
  | 'rateLimited'
  | 'unexpectedMessage'
  | 'slowReader'
  | 'budgetHog'
  | 'invalidTransaction'
  | 'invalidBlock'
  | 'invalidStateProof'
  | 'connectionFailed'
