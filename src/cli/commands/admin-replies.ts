/**
 * The JSON the operator commands read from the admin API (src/node/admin/node-routes.ts,
 * peer-routes.ts), as the CLI sees it: only the fields it prints. Kept apart from the routes
 * so dist/cli does not pull the node into a command that only talks HTTP (type imports are
 * erased at build).
 */
import type { MemoryBudgetStats } from '../../protocols/shared/memory-budget.ts'

export interface StatusReply {
  peerId: string
  chainId: string
  nodeType: string
  version: string
  tip: { height: number; hash: string }
  peers: { inbound: number; outbound: number; connected: number }
  addressBook: { entries: number; groups: number }
  bans: number
  uptimeMs: number
  listen: string[]
  protocols: Record<
    string,
    { bytesSent: number; bytesReceived: number; messagesSent: number; messagesReceived: number }
  >
  mempool?: { size: number }
  /** Absent from nodes older than issue 15. */
  memory?: MemoryBudgetStats
}

/** A peer's traffic, in all or of one protocol (every protocol since the node first saw it). */
export interface TrafficRow {
  bytesIn: number
  bytesOut: number
  messagesIn: number
  messagesOut: number
}

export interface PeerRow extends TrafficRow {
  peerId: string
  direction: 'inbound' | 'outbound' | null
  state: string
  address: string | null
  /** What the peer calls its software in libp2p identify; null before identify ran. */
  agent: string | null
  rttMs: number | null
  score: number | null
  /** By protocol id. */
  protocols: Record<string, TrafficRow>
  durationMs: number
  persistent: boolean
  chainId: string | null
  lastError: string | null
}

export interface PeersReply {
  peers: PeerRow[]
}

export interface BanRow {
  /** null for a ban of an IP or subnet (`ip`). */
  peerId: string | null
  ip: string | null
  reason: string
  source: string
  createdAt: number
  until: number
}

export interface BansReply {
  bans: BanRow[]
}
