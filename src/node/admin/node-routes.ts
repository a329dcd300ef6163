/**
 * The admin API's node and chain routes: GET /status, GET /accounts/:address,
 * POST /transactions, GET /transactions/:id and GET /metrics.
 */
import { ADDRESS_LENGTH, decodeTransaction, HASH_LENGTH } from '../../chain/encoding.ts'
import { isChainError } from '../../chain/errors.ts'
import { VERSION } from '../../version.ts'
import { fromHex, toHex } from '../../wire/bytes.ts'
import { EXPOSITION_CONTENT_TYPE, renderPawMetrics } from '../metrics/paw-metrics.ts'
import { AdminError, AdminErrorCode, chainErrorStatus } from './errors.ts'
import { metricsSnapshot } from './metrics-snapshot.ts'
import { HEX, hexParam } from './request-fields.ts'
import { type AdminContext, ok, type Reply, type RouteRequest } from './route-types.ts'

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

function processMemory(): { rssBytes: number; heapUsedBytes: number; externalBytes: number } {
  const usage = process.memoryUsage()
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external }
}

export function status(_request: RouteRequest, context: AdminContext): Reply {
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
    bans: node.bans().length + node.ipBans().length,
    uptimeMs: node.uptimeMs(),
    listen: node.getMultiaddrs().map(String),
    // Bytes and messages since start by protocol, every one: /paw/*, gossipsub, identify,
    // ping (src/peers/traffic.ts; `paw-node netinfo`).
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

export function account({ params }: RouteRequest, context: AdminContext): Reply {
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
export async function submitTransaction({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
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

export function pendingTransaction({ params }: RouteRequest, context: AdminContext): Reply {
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

export async function metrics(_request: RouteRequest, context: AdminContext): Promise<Reply> {
  const tip = context.chain?.tip() ?? context.headers?.tip()
  const snapshot = metricsSnapshot(context.node, {
    height: tip?.height ?? 0,
    target: context.syncTarget?.(),
  })
  const libp2p = context.metrics === undefined ? '' : await context.metrics()
  return { status: 200, body: renderPawMetrics(snapshot) + libp2p, contentType: EXPOSITION_CONTENT_TYPE }
}
