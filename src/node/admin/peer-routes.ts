/**
 * The admin API's peer routes: GET /peers, GET and POST /bans, POST /unban, POST /dial and
 * POST /disconnect.
 */
import type { PeerInfo, ProtocolTraffic } from '../../api/index.ts'
import { ErrorCode, errorCodeName, isPawError } from '../../errors.ts'
import { parsePeerAddress } from '../../peers/address.ts'
import type { Ban, IpBan } from '../../peers/ban-list.ts'
import { parseSubnet } from '../../peers/ip-subnet.ts'
import { AdminError, AdminErrorCode } from './errors.ts'
import { durationField, fields, ipField, peerIdField, reasonField } from './request-fields.ts'
import { type AdminContext, ok, type Reply, type RouteRequest } from './route-types.ts'

/** A peer's traffic of one protocol, named as the row's totals are. */
function trafficRow(traffic: ProtocolTraffic) {
  return {
    bytesIn: traffic.bytesReceived,
    bytesOut: traffic.bytesSent,
    messagesIn: traffic.messagesReceived,
    messagesOut: traffic.messagesSent,
  }
}

/**
 * One peer as GET /peers lists it: flat, in the units the CLI prints. The traffic counts
 * every protocol (`protocols` has it by protocol id): 004 §7.1, src/peers/traffic.ts.
 */
function peerRow(peer: PeerInfo) {
  const byProtocol = Object.entries(peer.stats.byProtocol ?? {}).sort(([a], [b]) => a.localeCompare(b))
  return {
    peerId: peer.peerId,
    direction: peer.direction ?? null,
    state: peer.state,
    address: peer.remoteAddr ?? null,
    agent: peer.agent ?? null,
    rttMs: peer.stats.rttMs ?? null,
    score: peer.score ?? null,
    ...trafficRow(peer.stats),
    protocols: Object.fromEntries(byProtocol.map(([protocol, traffic]) => [protocol, trafficRow(traffic)])),
    durationMs: peer.stats.connectionDurationMs,
    persistent: peer.persistent,
    chainId: peer.chainId ?? null,
    lastError: peer.lastError ?? null,
  }
}

export function peers(_request: RouteRequest, context: AdminContext): Reply {
  return ok({ peers: context.node.peers().map(peerRow) })
}

/**
 * One ban as GET /bans lists it. `ip` is what the ban refuses by address: the IP a banned
 * peer was seen at, or the IP or subnet of an address ban (whose `peerId` is null).
 */
function banRow(ban: Ban | IpBan) {
  return {
    peerId: 'peerId' in ban ? ban.peerId : null,
    ip: ban.ip ?? null,
    reason: ban.reason,
    source: ban.source,
    createdAt: ban.createdAt,
    until: ban.until,
  }
}

export function bans(_request: RouteRequest, context: AdminContext): Reply {
  const all = [...context.node.bans(), ...context.node.ipBans()].sort((a, b) => a.until - b.until)
  return ok({ bans: all.map(banRow) })
}

const BAN_BODY = '{ "peerId": "12D3KooW…" } or { "ip": "10.1.2.3" or "10.1.0.0/16" }'

/** The body names a peer, or an IP or subnet (`ip`), not both. */
function banTarget(
  request: Record<string, unknown>,
  context: AdminContext,
): { peerId: string } | { ip: string } {
  if (request.ip === undefined) return { peerId: peerIdField(request.peerId, context) }
  if (request.peerId !== undefined) {
    throw new AdminError(400, AdminErrorCode.InvalidBody, `expected ${BAN_BODY}, not both`)
  }
  return { ip: ipField(request.ip) }
}

export async function ban({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
  const request = fields(body, `${BAN_BODY}, with "duration": "24h" and "reason": "…"`)
  const target = banTarget(request, context)
  const durationMs = durationField(request.duration)
  const reason = reasonField(request.reason)
  const done =
    'ip' in target
      ? context.node.banIp(target.ip, { durationMs, reason })
      : context.node.ban(target.peerId, { durationMs, reason })
  return ok({ ban: banRow(await done) })
}

export async function unban({ body }: RouteRequest, context: AdminContext): Promise<Reply> {
  const target = banTarget(fields(body, BAN_BODY), context)
  if ('peerId' in target) {
    if (!(await context.node.unban(target.peerId))) {
      throw new AdminError(404, AdminErrorCode.BanNotFound, `${target.peerId} is not banned`)
    }
    return ok({ peerId: target.peerId, unbanned: true })
  }
  const { ip } = target
  const node = context.node
  if (!(await node.unbanIp(ip))) {
    // Lifted by range only: an address inside a banned subnet is not a ban of its own.
    const address = ip.split('/')[0] ?? ''
    const inside = node.ipBans().find((ban) => ban.ip !== ip && parseSubnet(ban.ip)?.contains(address))
    const hint = inside === undefined ? '' : ` (it is inside the ban of ${inside.ip}: unban that)`
    throw new AdminError(404, AdminErrorCode.BanNotFound, `${ip} is not banned${hint}`)
  }
  return ok({ ip, unbanned: true })
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
    throw new AdminError(
      400,
      AdminErrorCode.BadPeerAddress,
      'address must be a multiaddr or id@host:port (id: a peer ID or the hex node ID of show-node-id)',
    )
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
