/**
 * The admin API's peer routes: GET /peers, GET and POST /bans, POST /unban, POST /dial and
 * POST /disconnect.
 */
import type { PeerInfo } from '../../api/index.ts'
import { ErrorCode, errorCodeName, isPawError } from '../../errors.ts'
import { parsePeerAddress } from '../../peers/address.ts'
import type { Ban } from '../../peers/ban-list.ts'
import { AdminError, AdminErrorCode } from './errors.ts'
import { durationField, fields, peerIdField, reasonField } from './request-fields.ts'
import { type AdminContext, ok, type Reply, type RouteRequest } from './route-types.ts'

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

export function peers(_request: RouteRequest, context: AdminContext): Reply {
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

export function bans(_request: RouteRequest, context: AdminContext): Reply {
  return ok({ bans: context.node.bans().map(banRow) })
}

export async function ban({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
  const request = fields(body, '{ "peerId": "12D3KooW…", "duration": "24h", "reason": "…" }')
  const peerId = peerIdField(request.peerId, context)
  const durationMs = durationField(request.duration)
  const reason = reasonField(request.reason)
  return ok({ ban: banRow(await context.node.ban(peerId, { durationMs, reason })) })
}

export async function unban({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
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

export async function dial({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
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
    const paw = `0x${error.wireCode.toString(16).padStart(2, '0')} ${errorCodeName(error.wireCode) ?? error.name}`
    if (REFUSALS.has(error.wireCode)) {
      throw new AdminError(409, AdminErrorCode.DialRefused, `${paw}: ${error.message}`)
    }
    throw new AdminError(502, AdminErrorCode.DialFailed, `${paw}: ${error.message}`)
  }
}

export function disconnect({ body }: RouteRequest, context: AdminContext): Reply {
  const peerId = peerIdField(fields(body, '{ "peerId": "12D3KooW…" }').peerId, context)
  const peer = context.node.peer(peerId)
  if (peer === undefined || peer.state === 'disconnected') {
    throw new AdminError(404, AdminErrorCode.PeerNotFound, `not connected to ${peerId}`)
  }
  context.node.disconnectPeer(peerId)
  return ok({ peerId, disconnected: true })
}
