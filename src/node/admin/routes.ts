/**
 * The admin API's routes, as data: method, path (`:name` segments are parameters), whether
 * the body is JSON, and a handler over the node and its chain. A new route (peers, bans,
 * metrics) is one more entry here and one handler; server.ts does not change.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { PawNode, PeerInfo } from '../../api.ts'
import { ADDRESS_LENGTH, decodeTransaction, HASH_LENGTH } from '../../chain/encoding.ts'
import { isChainError } from '../../chain/errors.ts'
import type { AccountState } from '../../chain/state.ts'
import type { Address, ChainPosition, Transaction } from '../../chain/types.ts'
import { ErrorCode, errorCodeName, isPawError } from '../../errors.ts'
import { parsePeerAddress } from '../../peers/address.ts'
import { type Ban, DEFAULT_BAN_MS, formatDuration, MAX_BAN_MS, parseDuration } from '../../peers/ban-list.ts'
import { VERSION } from '../../version.ts'
import { fromHex, toHex } from '../../wire/bytes.ts'
import { EXPOSITION_CONTENT_TYPE, renderPawMetrics } from '../metrics/paw-metrics.ts'
import { AdminError, AdminErrorCode, chainErrorStatus } from './errors.ts'
import { metricsSnapshot } from './metrics-snapshot.ts'

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

function processMemory(): { rssBytes: number; heapUsedBytes: number; externalBytes: number } {
  const usage = process.memoryUsage()
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external }
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
    tip: {
      height: tip.height,
      hash: toHex(tip.hash),
      // Cumulative work (fork choice), decimal: a bigint does not fit JSON's numbers.
      ...('totalWork' in tip ? { work: String(tip.totalWork) } : {}),
    },
    peers: { inbound: stats.inbound, outbound: stats.outbound, connected: stats.inbound + stats.outbound },
    addressBook: node.addressBookStats(),
    bans: node.bans().length,
    uptimeMs: node.uptimeMs(),
    listen: node.getMultiaddrs().map(String),
    // Bytes and frames by /paw/* protocol since start (`paw-node netinfo`).
    protocols: node.protocolTraffic(),
    // What peers make the node hold on /paw/* streams, against its budget; what they were charged.
    memory: node.memoryBudget(),
    enforcement: node.enforcement(),
    // The whole process, for comparison with the budget: what the OS holds for it (rss),
    // V8's heap in use, and memory outside the heap (buffers, blocks read from the store).
    process: processMemory(),
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

/** One peer as GET /peers lists it: flat, in the units the CLI prints. */
function peerRow(peer: PeerInfo) {
  return {
    id: peer.peerId,
    direction: peer.direction ?? null,
    state: peer.state,
    address: peer.remoteAddr ?? null,
    rttMs: peer.stats.rttMs ?? null,
    score: peer.score ?? null,
    bytesIn: peer.stats.bytesReceived,
    bytesOut: peer.stats.bytesSent,
    messagesIn: peer.stats.messagesReceived,
    messagesOut: peer.stats.messagesSent,
    durationMs: peer.stats.connectionDurationMs,
    persistent: peer.persistent,
    chainId: peer.chainId ?? null,
    lastError: peer.lastError ?? null,
  }
}

function peers(_request: RouteRequest, context: AdminContext): Reply {
  return ok({ peers: context.node.peers().map(peerRow) })
}

function banRow(ban: Ban) {
  return {
    peerId: ban.peerId,
    ip: ban.ip ?? null,
    reason: ban.reason,
    source: ban.source,
    createdAt: ban.createdAt,
    until: ban.until,
  }
}

function bans(_request: RouteRequest, context: AdminContext): Reply {
  return ok({ bans: context.node.bans().map(banRow) })
}

/** The body as an object, or 400 naming the fields the route takes. */
function fields(body: unknown, expected: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminError(400, AdminErrorCode.InvalidBody, `expected ${expected}`)
  }
  return body as Record<string, unknown>
}

/**
 * A peer id in its text form, checked by @libp2p/peer-id: a typo must be a 400, not a ban
 * on a peer that cannot exist (which would never match and never be noticed).
 */
function peerIdField(value: unknown, context: AdminContext): string {
  if (typeof value !== 'string' || value === '') {
    throw new AdminError(400, AdminErrorCode.BadPeerId, 'peerId must be a peer id (12D3KooW…, Qm…)')
  }
  let text: string
  try {
    text = peerIdFromString(value).toString()
  } catch {
    throw new AdminError(400, AdminErrorCode.BadPeerId, `not a peer id: ${JSON.stringify(value)}`)
  }
  if (text === context.node.peerId.toString()) {
    throw new AdminError(400, AdminErrorCode.BadPeerId, `${text} is this node itself`)
  }
  return text
}

/** `"24h"`, `"1d 3h"`, plain ms digits, or a number of ms; absent means DEFAULT_BAN_MS. */
function durationField(value: unknown): number {
  if (value === undefined) return DEFAULT_BAN_MS
  let ms: number
  if (typeof value === 'number') {
    ms = value
  } else if (typeof value === 'string') {
    try {
      ms = parseDuration(value)
    } catch (error) {
      throw new AdminError(400, AdminErrorCode.BadDuration, (error as Error).message)
    }
  } else {
    throw new AdminError(
      400,
      AdminErrorCode.BadDuration,
      'duration must be text such as "24h" or a number of ms',
    )
  }
  if (!(Number.isSafeInteger(ms) && ms > 0 && ms <= MAX_BAN_MS)) {
    throw new AdminError(
      400,
      AdminErrorCode.BadDuration,
      `a ban lasts more than 0 ms and at most ${formatDuration(MAX_BAN_MS)}, got ${JSON.stringify(value)}`,
    )
  }
  return ms
}

/** Bounds what the ban list stores and the CLI prints per ban. */
const MAX_REASON_LENGTH = 200

function reasonField(value: unknown): string {
  const reason = typeof value === 'string' ? value.trim() : ''
  if (reason === '' || reason.length > MAX_REASON_LENGTH) {
    throw new AdminError(
      400,
      AdminErrorCode.BadReason,
      `reason must be text of 1 to ${MAX_REASON_LENGTH} characters`,
    )
  }
  return reason
}

async function ban({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
  const request = fields(body, '{ "peerId": "12D3KooW…", "duration": "24h", "reason": "…" }')
  const peerId = peerIdField(request.peerId, context)
  const durationMs = durationField(request.duration)
  const reason = reasonField(request.reason)
  return ok({ ban: banRow(await context.node.ban(peerId, { durationMs, reason })) })
}

async function unban({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
  const peerId = peerIdField(fields(body, '{ "peerId": "12D3KooW…" }').peerId, context)
  if (!(await context.node.unban(peerId))) {
    throw new AdminError(404, AdminErrorCode.BanNotFound, `${peerId} is not banned`)
  }
  return ok({ peerId, unbanned: true })
}

/** How long POST /dial waits for the dial and the handshake: under the CLI's 10 s request timeout. */
const DIAL_TIMEOUT_MS = 8_000

/** Refusals the node decides by itself (bans, limits, a known wrong chain): retrying will not help. */
const REFUSALS: ReadonlySet<number> = new Set([
  ErrorCode.ReputationRejection,
  ErrorCode.PeerLimitReached,
  ErrorCode.ChainIdMismatch,
])

async function dial({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
  const address = fields(body, '{ "address": "/ip4/…/tcp/…/p2p/12D3KooW…" }').address
  if (typeof address !== 'string') {
    throw new AdminError(400, AdminErrorCode.BadPeerAddress, 'address must be a multiaddr or id@host:port')
  }
  try {
    parsePeerAddress(address)
  } catch (error) {
    throw new AdminError(400, AdminErrorCode.BadPeerAddress, (error as Error).message)
  }
  try {
    const peer = await context.node.connectToPeer(address, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    return ok({ peer: peerRow(peer) })
  } catch (error) {
    if (!isPawError(error)) {
      throw new AdminError(
        502,
        AdminErrorCode.DialFailed,
        `cannot dial ${address}: ${(error as Error).message}`,
      )
    }
    // The PAW wire code leads the message: `0x07 ReputationRejection: … is banned until …`.
    const paw = `0x${error.code.toString(16).padStart(2, '0')} ${errorCodeName(error.code) ?? error.name}`
    if (REFUSALS.has(error.code)) {
      throw new AdminError(409, AdminErrorCode.DialRefused, `${paw}: ${error.message}`)
    }
    throw new AdminError(502, AdminErrorCode.DialFailed, `${paw}: ${error.message}`)
  }
}

function disconnect({ body }: RouteRequest, context: AdminContext): Reply {
  const peerId = peerIdField(fields(body, '{ "peerId": "12D3KooW…" }').peerId, context)
  const peer = context.node.peer(peerId)
  if (peer === undefined || peer.state === 'disconnected') {
    throw new AdminError(404, AdminErrorCode.PeerNotFound, `not connected to ${peerId}`)
  }
  context.node.disconnectPeer(peerId)
  return ok({ peerId, disconnected: true })
}

async function metrics(_request: RouteRequest, context: AdminContext): Promise<Reply> {
  const tip = context.chain?.tip() ?? context.headers?.tip()
  const snapshot = metricsSnapshot(context.node, {
    height: tip?.height ?? 0,
    target: context.syncTarget?.(),
  })
  const libp2p = context.metrics === undefined ? '' : await context.metrics()
  return { status: 200, body: renderPawMetrics(snapshot) + libp2p, contentType: EXPOSITION_CONTENT_TYPE }
}

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
