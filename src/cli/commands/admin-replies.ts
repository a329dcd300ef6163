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

export interface PeerRow {
  id: string
  direction: 'inbound' | 'outbound' | null
  state: string
  address: string | null
  rttMs: number | null
  score: number | null
  bytesIn: number
  bytesOut: number
  messagesIn: number
  messagesOut: number
  durationMs: number
  persistent: boolean
  chainId: string | null
  lastError: string | null
}

export interface PeersReply {
  peers: PeerRow[]
}

export interface BanRow {
  peerId: string
  ip: string | null
  reason: string
  source: string
  createdAt: number
  until: number
}

export interface BansReply {
  bans: BanRow[]
}
