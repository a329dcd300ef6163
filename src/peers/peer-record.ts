/**
 * What the connection manager keeps per peer, and the PeerInfo view of it (src/api/peers.ts).
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Direction, PeerInfo, PeerState } from '../api/peers.ts'
import { codeText, type PawError } from '../errors.ts'
import { PeerTraffic } from './traffic.ts'

export interface PeerRecord {
  peerId: PeerId
  state: PeerState
  direction: Direction | undefined
  /** The connection being handshaken or in use. */
  connection: Connection | undefined
  /** An inbound slot held between admission and the end of the handshake. */
  reserved: boolean
  persistent: Multiaddr | undefined
  chainId: string | undefined
  /** The peer's agent version from libp2p identify. */
  agent: string | undefined
  lastError: string | undefined
  traffic: PeerTraffic
  rttMs: number | undefined
  lastPingAt: number
  /** A keep-alive ping is waiting for its answer. */
  pinging: boolean
  /** Consecutive failed dials or lost connections: the backoff attempt. */
  failures: number
  nextDialAt: number
  /** When the state last changed: disconnected records are forgotten after a while. */
  changedAt: number
  /** When the current connection's handshake completed. */
  connectedAt: number | undefined
  /** The peer's listen addresses (identify), for dialling it back. */
  listenAddrs: Multiaddr[]
  /** When it last delivered a block / transaction we accepted (eviction protects these). */
  lastBlockAt: number | undefined
  lastTransactionAt: number | undefined
}

/** How long a disconnected, non-persistent peer is remembered (its backoff, last error). */
export const FORGET_AFTER_MS = 30 * 60_000

export function newPeerRecord(peerId: PeerId): PeerRecord {
  return {
    peerId,
    state: 'disconnected',
    direction: undefined,
    connection: undefined,
    reserved: false,
    persistent: undefined,
    chainId: undefined,
    agent: undefined,
    lastError: undefined,
    traffic: new PeerTraffic(),
    rttMs: undefined,
    lastPingAt: 0,
    pinging: false,
    failures: 0,
    nextDialAt: 0,
    changedAt: Date.now(),
    connectedAt: undefined,
    listenAddrs: [],
    lastBlockAt: undefined,
    lastTransactionAt: undefined,
  }
}

export function peerInfo(record: PeerRecord): PeerInfo {
  const connection = record.connection
  const open = connection !== undefined && record.state !== 'disconnected'
  return {
    peerId: record.peerId.toString(),
    state: record.state,
    direction: record.direction,
    remoteAddr: connection?.remoteAddr.toString(),
    persistent: record.persistent !== undefined,
    chainId: record.chainId,
    ...(record.agent === undefined ? {} : { agent: record.agent }),
    lastError: record.lastError,
    stats: {
      bytesSent: record.traffic.bytesSent,
      bytesReceived: record.traffic.bytesReceived,
      messagesSent: record.traffic.messagesSent,
      messagesReceived: record.traffic.messagesReceived,
      byProtocol: record.traffic.byProtocol(),
      connectionDurationMs: open ? Date.now() - connection.timeline.open : 0,
      lastActivity: record.traffic.lastActivity,
      rttMs: record.rttMs,
    },
  }
}

/** A disconnected, non-persistent peer whose backoff has run out can be forgotten. */
export function isForgettable(record: PeerRecord, now: number): boolean {
  return (
    record.state === 'disconnected' &&
    record.persistent === undefined &&
    record.connection === undefined &&
    now - record.changedAt > FORGET_AFTER_MS &&
    record.nextDialAt <= now
  )
}

/** An error as a record's lastError shows it: "0x06 PeerLimitReachedError: inbound limit of 50 reached". */
export function describeError(error: PawError): string {
  return `${codeText(error)} ${error.name}: ${error.message}`
}
