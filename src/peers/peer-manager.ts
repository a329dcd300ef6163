/**
 * The PAW connection manager on top of libp2p (004 §3, DECISIONS.md "Connections"), composed
 * of parts with one job each. libp2p has one `maxConnections` and no longer auto-dials, so
 * this keeps separate inbound, outbound and total limits over handshaken peers
 * (admission.ts), the per-peer states of 004 §3.2 (peer-registry.ts, connection-events.ts),
 * the minimum of outbound peers and reconnect backoff for persistent peers (dialler.ts,
 * outbound-maintenance.ts), keep-alive pings with the RTT per peer and the inactivity
 * timeout (keep-alive.ts, maintenance.ts), bans and eviction (peer-bans.ts, peer-gate.ts,
 * inbound-eviction.ts), and the statistics of 004 §7.1 (traffic.ts: every protocol stream's
 * bytes, counted through libp2p's metrics slot by stream-traffic.ts).
 */
import type { AbortOptions, Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import type { NodeStats, PeerInfo, PeerStateEvent } from '../api/peers.ts'
import type { Settings } from '../config/settings.ts'
import { NetworkError, type PawError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { Handshake } from '../wire/handshake.ts'
import type { AddressBook } from './address-book.ts'
import { Admission } from './admission.ts'
import { BackgroundWork } from './background-work.ts'
import type { Ban, BanList, BanOptions } from './ban-list.ts'
import { loadConfiguredPeers } from './configured-peers.ts'
import { ConnectionEvents } from './connection-events.ts'
import { Dialler } from './dialler.ts'
import type { Enforcer } from './enforcer.ts'
import type { HandshakeHooks } from './handshake-hooks.ts'
import { HandshakeWaiters } from './handshake-waiters.ts'
import { InboundEviction } from './inbound-eviction.ts'
import { KeepAlive, type PingService } from './keep-alive.ts'
import { Maintenance } from './maintenance.ts'
import { OutboundMaintenance } from './outbound-maintenance.ts'
import { PeerBans } from './peer-bans.ts'
import { PeerGate } from './peer-gate.ts'
import { describeError } from './peer-record.ts'
import { type ConnectedPeer, PeerRegistry } from './peer-registry.ts'
import type { Reputation } from './reputation.ts'
import type { StreamTrafficSink } from './stream-traffic.ts'
import { streamTrafficOf } from './stream-traffic-metrics.ts'
import { type ProtocolTraffic, ProtocolTrafficTotals } from './traffic.ts'
import type { TrafficCounter } from './traffic-counter.ts'

export type { ProtocolTraffic } from './traffic.ts'

/** The events a peer manager raises (the node forwards them as its own). */
export interface PeerManagerEvents {
  /** Every 004 §3.2 state change of a peer. */
  'peer:state': CustomEvent<PeerStateEvent>
  /** A peer completed /paw/handshake/1 and may use the other /paw/* protocols. */
  'peer:connected': CustomEvent<PeerInfo>
  'peer:disconnected': CustomEvent<PeerInfo>
}

export interface PeerManagerInit {
  libp2p: Libp2p
  settings: Settings
  log: Logger
  ping: PingService
  /** Peers below its disconnect threshold are refused (0x07) and not dialled. */
  reputation?: Reputation
  /** Charges what a peer did at the handshake (src/peers/enforcer.ts). */
  enforcer?: Pick<Enforcer, 'charge'>
  /** Where outbound candidates come from and what is learned of peers goes (issue 7). */
  addressBook?: AddressBook
  /** Banned peers are refused on dial and inbound (with the connection gater). */
  bans?: BanList
}

export class PeerManager
  extends TypedEventEmitter<PeerManagerEvents>
  implements HandshakeHooks, StreamTrafficSink
{
  readonly #init: PeerManagerInit
  readonly #work = new BackgroundWork()
  readonly #registry: PeerRegistry
  readonly #waiters = new HandshakeWaiters()
  readonly #traffic = new ProtocolTrafficTotals()
  readonly #bans: PeerBans
  readonly #admission: Admission
  readonly #events: ConnectionEvents
  readonly #dialler: Dialler
  readonly #outbound: OutboundMaintenance
  readonly #maintenance: Maintenance

  constructor(init: PeerManagerInit) {
    super()
    this.#init = init
    const { reputation } = init
    const score = reputation === undefined ? undefined : (peerId: string) => reputation.score(peerId)
    const registry = new PeerRegistry({
      log: init.log,
      score,
      onState: (detail) => this.safeDispatchEvent('peer:state', { detail }),
      onConnected: (detail) => this.safeDispatchEvent('peer:connected', { detail }),
      onDisconnected: (detail) => this.safeDispatchEvent('peer:disconnected', { detail }),
    })
    // What the parts share; each takes the fields it needs (libp2p's components pattern).
    const parts = {
      ...init,
      registry,
      waiters: this.#waiters,
      gate: new PeerGate(init),
      work: this.#work,
      disconnect: (peerId: string, error: PawError): void => this.disconnect(peerId, error),
    }
    const eviction = new InboundEviction({ ...parts, records: () => registry.records.values(), score })
    this.#registry = registry
    this.#bans = new PeerBans(parts)
    this.#admission = new Admission({ ...parts, evictFor: (newcomer) => eviction.evictFor(newcomer) })
    this.#events = new ConnectionEvents(parts)
    this.#dialler = new Dialler(parts)
    this.#outbound = new OutboundMaintenance({ ...parts, dialler: this.#dialler })
    const keepAlive = new KeepAlive(parts)
    this.#maintenance = new Maintenance({ ...parts, keepAlive, outbound: this.#outbound })
    // Before libp2p starts, so its first stream is counted.
    streamTrafficOf(init.libp2p.metrics)?.attach(this)
  }

  async start(options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    this.#work.begin()
    this.#events.start()
    const { libp2p, settings, addressBook, log } = this.#init
    await loadConfiguredPeers({ libp2p, settings, registry: this.#registry, addressBook, log }, options)
    this.#maintenance.start()
  }

  /** 004 §5.2: stops dialling, waits for the work in flight, closes every connection. */
  async stop(options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    const shuttingDown = new NetworkError('node is shutting down')
    this.#work.end(shuttingDown)
    this.#waiters.rejectAll(shuttingDown)
    this.#maintenance.stop()
    this.#events.stopOpening()
    await this.#work.settled()
    const closing: Promise<void>[] = []
    for (const record of this.#registry.records.values()) {
      if (record.connection !== undefined) closing.push(this.#registry.close(record))
    }
    await Promise.all(closing)
    this.#events.stop()
    for (const record of this.#registry.records.values()) {
      if (record.state !== 'disconnected') this.#registry.setState(record, 'disconnected')
    }
    await this.#maintenance.saveAddressBook()
  }

  peers(): PeerInfo[] {
    return this.#registry.peers()
  }

  peer(peerId: string): PeerInfo | undefined {
    return this.#registry.peer(peerId)
  }

  /** Whether `peerId` is connected and handshaken: per gossip message, so no PeerInfo is built. */
  isConnected(peerId: string): boolean {
    return this.#registry.get(peerId)?.state === 'connected'
  }

  /** Connected peers and their connections, for protocols that send to every peer. */
  connected(): ConnectedPeer[] {
    return this.#registry.connected()
  }

  stats(): NodeStats {
    return {
      totalConnections: this.#events.totalConnections,
      successfulDials: this.#dialler.successfulDials,
      failedDials: this.#dialler.failedDials,
      rejectedInbound: this.#admission.rejectedInbound,
      inbound: this.#registry.count('inbound'),
      outbound: this.#registry.count('outbound'),
    }
  }

  /**
   * Closes a handshaken peer's connection for `error` (its reputation fell too low, it broke
   * a protocol rule): Disconnecting with the error, then Disconnected when it has closed.
   */
  disconnect(peerId: string, error: PawError): void {
    const record = this.#registry.get(peerId)
    if (record === undefined || record.connection === undefined || record.state === 'disconnecting') return
    record.lastError = describeError(error)
    this.#work.track(this.#registry.close(record, error))
  }

  /** A delivery the peer was first to make (eviction protects recent useful peers). */
  noteDelivery(peerId: string, kind: 'block' | 'transaction'): void {
    this.#registry.noteDelivery(peerId, kind)
  }

  // --- handshake hooks (src/peers/handshake-hooks.ts) -------------------------------------

  /**
   * The counter a /paw/* frame channel of `protocol` on `connection` feeds: its frames into
   * the peer's 004 §7.1 statistics and the node's per-protocol totals (traffic.ts).
   */
  traffic(connection: Connection, protocol: string): TrafficCounter {
    return this.#traffic.frameCounter(this.#registry.record(connection.remotePeer).traffic, protocol)
  }

  /** The counter a libp2p stream of `protocol` on `connection` feeds (stream-traffic.ts). */
  streamCounter(connection: Connection, protocol: string): TrafficCounter {
    return this.#traffic.streamCounter(this.#registry.record(connection.remotePeer).traffic, protocol)
  }

  admitInbound(connection: Connection, remote: Handshake): PawError | undefined {
    return this.#admission.admitInbound(connection, remote)
  }

  completed(connection: Connection, remote: Handshake): void {
    this.#admission.completed(connection, remote)
  }

  failed(connection: Connection, error: PawError): void {
    this.#admission.failed(connection, error)
  }

  /** Bytes and messages by protocol since start, every protocol (a copy). */
  protocolTraffic(): Record<string, ProtocolTraffic> {
    return this.#traffic.snapshot()
  }

  /** Refused handshakes by PAW error code ("0x02"), since start (a copy). */
  rejectionsByCode(): Record<string, number> {
    return this.#admission.rejectionsByCode()
  }

  // --- dialling -----------------------------------------------------------------------------

  /** 000 connectToPeer: dial, then wait for /paw/handshake/1 to complete on the connection. */
  connectToPeer(target: string | Multiaddr, options?: AbortOptions): Promise<PeerInfo> {
    return this.#dialler.connectToPeer(target, options)
  }

  /** 000 managePeerConnections: one maintenance pass; resolves when the work it started has settled. */
  managePeerConnections(options?: AbortOptions): Promise<void> {
    return this.#maintenance.run(options)
  }

  /** Outbound peers connected, handshaking or being dialled (what min_outbound counts). */
  outboundActive(): number {
    return this.#dialler.activeOutbound()
  }

  /** Whether the address book can offer an outbound candidate now (discovery asks seeds when not). */
  hasOutboundCandidates(): boolean {
    return this.#outbound.hasCandidates()
  }

  // --- bans -----------------------------------------------------------------------------------

  /** Bans a peer (and closes its connection): refused on dial and inbound until the ban ends. */
  ban(peerId: string, options: BanOptions & AbortOptions): Promise<Ban> {
    return this.#bans.ban(peerId, options)
  }

  unban(peerId: string, options?: AbortOptions): Promise<boolean> {
    return this.#bans.unban(peerId, options)
  }

  bans(): Ban[] {
    return this.#bans.list()
  }
}
