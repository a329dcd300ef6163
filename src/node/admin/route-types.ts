/**
 * What an admin route handler works with: the node and chain it reads (AdminContext), the
 * request it gets (RouteRequest), the reply it returns (Reply; `ok` for a 200) and the table
 * entry that names it (Route). The handlers (node-routes.ts, peer-routes.ts), the ROUTES
 * table (routes.ts), the router and the server all share these.
 */
import type { PawNode } from '../../api/index.ts'
import type { AccountState } from '../../chain/state.ts'
import type { Address, ChainPosition, Transaction } from '../../chain/types.ts'

/**
 * What the routes read and call. start.ts passes the node and its ChainRuntime: full and
 * miner nodes have `chain` and `mempool`, light nodes `headers`.
 */
export interface AdminContext {
  node: Pick<
    PawNode,
    | 'peerId'
    | 'settings'
    | 'stats'
    | 'submitTransaction'
    | 'gossipStats'
    | 'mempoolSyncStats'
    | 'peers'
    | 'peer'
    | 'bans'
    | 'ban'
    | 'unban'
    | 'ipBans'
    | 'banIp'
    | 'unbanIp'
    | 'connectToPeer'
    | 'disconnectPeer'
    | 'addressBookStats'
    | 'protocolTraffic'
    | 'rejectionsByCode'
    | 'memoryBudget'
    | 'enforcement'
    | 'uptimeMs'
    | 'getMultiaddrs'
  >
  chain: { tip(): ChainPosition; accountOf(address: Address): AccountState } | undefined
  mempool:
    | {
        readonly size: number
        has(id: string): boolean
        pendingForSender(address: Address): readonly Transaction[]
      }
    | undefined
  headers: { tip(): { hash: Uint8Array; height: number } } | undefined
  /**
   * libp2p's own metrics (Libp2pMetrics.render of src/node/metrics/libp2p-metrics.ts),
   * appended to `GET /metrics` so one scrape target has both.
   */
  metrics?: () => Promise<string>
  /** The height a running sync is heading for (`sync:progress`), exported on /metrics. */
  syncTarget?: () => number | undefined
}

export interface RouteRequest {
  /** The path's `:name` segments, as sent. */
  params: Readonly<Record<string, string>>
  /** The parsed JSON body of a route with `json: true`; undefined otherwise. */
  body: unknown
}

export interface Reply {
  status: number
  /** Sent as JSON, unless `contentType` is set: then it is the text to send as is. */
  body: unknown
  /** For a reply that is not JSON (the Prometheus text of /metrics). */
  contentType?: string
}

export interface Route {
  method: 'GET' | 'POST'
  /** e.g. `/accounts/:address`. */
  path: string
  /** The body is JSON (content-type application/json, at most MAX_BODY_BYTES). */
  json?: boolean
  handle(request: RouteRequest, context: AdminContext): Reply | Promise<Reply>
}

export const ok = (body: unknown): Reply => ({ status: 200, body })
