/**
 * The admin API's routes, as data: method, path (`:name` segments are parameters), whether
 * the body is JSON, and a handler over the node and its chain. A new route (peers, bans,
 * metrics) is one more entry here and one handler; server.ts does not change.
 */
import type { PawNode } from '../../api.ts'
import { ADDRESS_LENGTH, decodeTransaction, HASH_LENGTH } from '../../chain/encoding.ts'
import { isChainError } from '../../chain/errors.ts'
import type { AccountState } from '../../chain/state.ts'
import type { Address, ChainPosition, Transaction } from '../../chain/types.ts'
import { VERSION } from '../../version.ts'
import { fromHex, toHex } from '../../wire/bytes.ts'
import { AdminError, AdminErrorCode, chainErrorStatus } from './errors.ts'

/**
 * What the routes read and call. start.ts passes the node and its ChainRuntime: full and
 * miner nodes have `chain` and `mempool`, light nodes `headers`.
 */
export interface AdminContext {
  node: Pick<
    PawNode,
    'peerId' | 'settings' | 'stats' | 'submitTransaction' | 'gossipStats' | 'mempoolSyncStats'
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
}

export interface RouteRequest {
  /** The path's `:name` segments, as sent. */
  params: Readonly<Record<string, string>>
  /** The parsed JSON body of a route with `json: true`; undefined otherwise. */
  body: unknown
}

export interface Reply {
  status: number
  body: unknown
}

export interface Route {
  method: 'GET' | 'POST'
  /** e.g. `/accounts/:address`. */
  path: string
  /** The body is JSON (content-type application/json, at most MAX_BODY_BYTES). */
  json?: boolean
  handle(request: RouteRequest, context: AdminContext): Reply | Promise<Reply>
}

const ok = (body: unknown): Reply => ({ status: 200, body })

/** `context` with the full chain, or 503: a light node keeps headers only. */
function fullChain(context: AdminContext) {
  const { chain, mempool } = context
  if (chain === undefined || mempool === undefined) {
    throw new AdminError(
      503,
      AdminErrorCode.NotAvailable,
      `this is a ${context.node.settings.nodeType} node: it keeps block headers only, no accounts or mempool; ask a full or miner node`,
    )
  }
  return { chain, mempool }
}

const HEX = /^[0-9a-fA-F]*$/

/** `length` bytes from 2 × `length` hex digits in a path parameter, or 400 with `code`. */
function hexParam(text: string | undefined, length: number, code: string, what: string): Uint8Array {
  if (text === undefined || text.length !== 2 * length || !HEX.test(text)) {
    throw new AdminError(400, code, `${what} must be ${2 * length} hex digits, got ${JSON.stringify(text)}`)
  }
  return fromHex(text)
}

function status(_request: RouteRequest, context: AdminContext): Reply {
  const { node, chain, mempool, headers } = context
  const tip = chain?.tip() ?? headers?.tip()
  if (tip === undefined) throw new AdminError(503, AdminErrorCode.NotAvailable, 'the node has no chain open')
  const stats = node.stats()
  return ok({
    peerId: node.peerId.toString(),
    chainId: node.settings.chainId,
    nodeType: node.settings.nodeType,
    version: VERSION,
    tip: { height: tip.height, hash: toHex(tip.hash) },
    peers: stats.inbound + stats.outbound,
    ...(mempool === undefined ? {} : { mempool: { size: mempool.size } }),
    // Propagation: queue lanes (queued, processed, dropped), verdicts by topic, throttling;
    // /paw/mempool/1 inventories, requests and refusals.
    gossip: node.gossipStats(),
    mempoolSync: node.mempoolSyncStats(),
  })
}

function account({ params }: RouteRequest, context: AdminContext): Reply {
  const { chain, mempool } = fullChain(context)
  const address = hexParam(params.address, ADDRESS_LENGTH, AdminErrorCode.InvalidAddress, 'an address')
  const { balance, nonce } = chain.accountOf(address)
  const pending = BigInt(mempool.pendingForSender(address).length)
  return ok({
    address: toHex(address),
    balance: balance.toString(),
    nonce: nonce.toString(),
    pendingNonce: (nonce + pending).toString(),
  })
}

/** Light nodes too: they check the signature and relay to full peers (PawNode.submitTransaction). */
async function submitTransaction({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
  const hex = (body as { transaction?: unknown } | null)?.transaction
  if (typeof hex !== 'string') {
    throw new AdminError(
      400,
      AdminErrorCode.InvalidBody,
      'expected { "transaction": "<hex of the 152-byte encoding>" }',
    )
  }
  if (hex.length % 2 !== 0 || !HEX.test(hex)) {
    throw new AdminError(400, AdminErrorCode.InvalidHex, 'transaction must be an even number of hex digits')
  }
  try {
    const result = await context.node.submitTransaction(decodeTransaction(fromHex(hex)))
    return { status: 202, body: { id: result.id, recipients: result.recipients, evicted: result.evicted } }
  } catch (error) {
    if (isChainError(error)) throw new AdminError(chainErrorStatus(error.code), error.code, error.message)
    throw error
  }
}

function pendingTransaction({ params }: RouteRequest, context: AdminContext): Reply {
  const { mempool } = fullChain(context)
  const id = toHex(hexParam(params.id, HASH_LENGTH, AdminErrorCode.InvalidTransactionId, 'a transaction id'))
  if (!mempool.has(id)) {
    throw new AdminError(
      404,
      AdminErrorCode.TransactionNotFound,
      `transaction ${id} is not in the mempool: mined, dropped, or never received`,
    )
  }
  return ok({ id, status: 'pending' })
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/status', handle: status },
  { method: 'GET', path: '/accounts/:address', handle: account },
  { method: 'POST', path: '/transactions', json: true, handle: submitTransaction },
  { method: 'GET', path: '/transactions/:id', handle: pendingTransaction },
]
