/**
 * The admin API's routes, as data: method, path (`:name` segments are parameters), whether
 * the body is JSON, and a handler over the node and its chain. A new route (peers, bans,
 * metrics) is one more entry here and one handler; server.ts does not change.
 */
import { account, metrics, pendingTransaction, status, submitTransaction } from './node-routes.ts'
import { ban, bans, dial, disconnect, peers, unban } from './peer-routes.ts'
import type { Route } from './route-types.ts'

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/status', handle: status },
  { method: 'GET', path: '/peers', handle: peers },
  { method: 'GET', path: '/bans', handle: bans },
  { method: 'POST', path: '/bans', json: true, handle: ban },
  { method: 'POST', path: '/unban', json: true, handle: unban },
  { method: 'POST', path: '/dial', json: true, handle: dial },
  { method: 'POST', path: '/disconnect', json: true, handle: disconnect },
  { method: 'GET', path: '/metrics', handle: metrics },
  { method: 'GET', path: '/accounts/:address', handle: account },
  { method: 'POST', path: '/transactions', json: true, handle: submitTransaction },
  { method: 'GET', path: '/transactions/:id', handle: pendingTransaction },
]
