/**
 * The connection manager's record of every peer it knows and its 004 §3.2 state:
 * disconnected → connecting (we dial) → handshaking (a connection is open) → connected
 * (/paw/handshake/1 completed) → disconnecting → disconnected. Every change of state is
 * told to `onState`; reaching and leaving connected to `onConnected` / `onDisconnected`.
 * Browser-safe.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { Direction, PeerInfo, PeerState, PeerStateEvent } from '../api/peers.ts'
import type { PawError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import { closeConnection } from './close-connection.ts'
import { isForgettable, newPeerRecord, type PeerRecord, peerInfo } from './peer-record.ts'
import type { PeerTraffic } from './traffic.ts'

export interface PeerRegistryInit {
  log: Logger
  /** The peer's reputation, shown in PeerInfo.score. */
  score?: ((peerId: string) => number) | undefined
  onState?: ((change: PeerStateEvent) => void) | undefined
  /** A peer completed the handshake. */
  onConnected?: ((info: PeerInfo) => void) | undefined
  /** A handshaken peer's connection has closed. */
  onDisconnected?: ((info: PeerInfo) => void) | undefined
}

/** A handshaken peer and what a protocol needs to send to it. */
export interface ConnectedPeer {
  info: PeerInfo
  connection: Connection
  traffic: PeerTraffic
}

export class PeerRegistry {
  readonly #init: PeerRegistryInit
  readonly #records = new Map<string, PeerRecord>()

  constructor(init: PeerRegistryInit) {
    this.#init = init
  }

  /** The records by peer ID. */
  get records(): ReadonlyMap<string, PeerRecord> {
    return this.#records
  }

  /** The record of `peerId`, a new disconnected one if there was none. */
  record(peerId: PeerId): PeerRecord {
    const key = peerId.toString()
    let record = this.#records.get(key)
    if (record === undefined) {
      record = newPeerRecord(peerId)
      this.#records.set(key, record)
    }
    return record
  }

  get(peerId: string): PeerRecord | undefined {
    return this.#records.get(peerId)
  }

  /** Moves `record` to `state` (nothing if it is there already); `error` says what caused it. */
  setState(record: PeerRecord, state: PeerState, error?: PawError): void {
    const previous = record.state
    if (previous === state) return
    record.state = state
    record.changedAt = Date.now()
    const change: PeerStateEvent = {
      peerId: record.peerId.toString(),
      state,
      previous,
      direction: record.direction,
      ...(error === undefined ? {} : { error: { code: error.wireCode, message: error.message } }),
    }
    this.#init.onState?.(change)
    if (state === 'connected') {
      this.#init.log.info('peer connected', { peer: change.peerId, direction: record.direction })
      this.#init.onConnected?.(this.info(record))
    } else if (state === 'disconnected' && (previous === 'connected' || previous === 'disconnecting')) {
      // A close with no recorded cause: ours (this node stopping, an operator's disconnect)
      // if it went through Disconnecting, else the peer's or the network's.
      const reason =
        record.lastError ??
        (previous === 'disconnecting' ? 'closed by this node' : 'closed by the peer or the network')
      this.#init.log.info('peer disconnected', { peer: change.peerId, reason })
      this.#init.onDisconnected?.(this.info(record))
    }
  }

  /**
   * Closes the record's connection: Disconnecting now (with `error`), Disconnected when the
   * connection's close event arrives. Never rejects.
   */
  close(record: PeerRecord, error?: PawError): Promise<void> {
    const connection = record.connection
    if (connection === undefined) return Promise.resolve()
    this.setState(record, 'disconnecting', error)
    return closeConnection(connection)
  }

  /** A record as the API shows it, with the peer's reputation. */
  info(record: PeerRecord): PeerInfo {
    const info = peerInfo(record)
    const score = this.#init.score
    if (score !== undefined) info.score = score(info.peerId)
    return info
  }

  peers(): PeerInfo[] {
    return [...this.#records.values()].map((record) => this.info(record))
  }

  peer(peerId: string): PeerInfo | undefined {
    const record = this.#records.get(peerId)
    return record === undefined ? undefined : this.info(record)
  }

  /** Connected peers and their connections, for protocols that send to every peer. */
  connected(): ConnectedPeer[] {
    const out: ConnectedPeer[] = []
    for (const record of this.#records.values()) {
      if (record.state === 'connected' && record.connection !== undefined) {
        out.push({ info: this.info(record), connection: record.connection, traffic: record.traffic })
      }
    }
    return out
  }

  /** Peers of `direction` that hold a slot: handshaken, or inbound ones admitted and finishing the handshake. */
  count(direction: Direction): number {
    let n = 0
    for (const record of this.#records.values()) {
      if (record.direction === direction && (record.state === 'connected' || record.reserved)) n++
    }
    return n
  }

  /** Outbound peers connected or on their way (dialling, handshaking). */
  outboundUnderway(): number {
    let n = 0
    for (const record of this.#records.values()) {
      if (record.direction !== 'outbound') continue
      if (record.state === 'connecting' || record.state === 'handshaking' || record.state === 'connected') n++
    }
    return n
  }

  /** Drops the records isForgettable allows to go; returns how many. */
  forget(now: number = Date.now()): number {
    let forgotten = 0
    for (const [key, record] of this.#records) {
      if (!isForgettable(record, now)) continue
      this.#records.delete(key)
      forgotten++
    }
    return forgotten
  }

  /** A delivery the peer was first to make (eviction protects recent useful peers). */
  noteDelivery(peerId: string, kind: 'block' | 'transaction', now: number = Date.now()): void {
    const record = this.#records.get(peerId)
    if (record === undefined) return
    if (kind === 'block') record.lastBlockAt = now
    else record.lastTransactionAt = now
  }
}
