/**
 * The PAW connection manager on top of libp2p (004 §3, DECISIONS.md "Connections").
 * libp2p has one `maxConnections` and no longer auto-dials, so this keeps separate inbound,
 * outbound and total limits over handshaken peers, the per-peer states of 004 §3.2, the
 * minimum of outbound peers, reconnect backoff for persistent peers, keep-alive pings with
 * the RTT per peer, the inactivity timeout, and the statistics of 004 §7.1.
 */
import type { Connection, IdentifyResult, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import type { Direction, NodeStats, PawNodeEvents, PeerInfo, PeerState } from '../api.ts'
import { WRONG_CHAIN_REDIAL_BLOCK_MS } from '../config/defaults.ts'
import type { Settings } from '../config/settings.ts'
import {
  ChainIdMismatchError,
  ErrorCode,
  HandshakeTimeoutError,
  isPawError,
  NetworkError,
  type PawError,
  PeerLimitReachedError,
  ReputationRejectionError,
} from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { HandshakeHooks } from '../protocols/handshake/handshake.ts'
import { closeConnection } from '../protocols/shared/close-connection.ts'
import { codeText } from '../protocols/shared/faults.ts'
import type { TrafficCounter } from '../protocols/shared/frame-channel.ts'
import type { Handshake } from '../wire/handshake.ts'
import { parsePeerAddress } from './address.ts'
import type { AddressBook } from './address-book.ts'
import { reconnectDelayMs } from './backoff.ts'
import type { Ban, BanList, BanOptions } from './ban-list.ts'
import { type DialState, knownPeersToDial, outboundRoom, persistentPeersToDial } from './dial-policy.ts'
import type { Enforcer } from './enforcer.ts'
import { type EvictionCandidate, selectEvictionCandidate } from './eviction.ts'
import { isLocalNetgroup, netgroup } from './netgroup.ts'
import { dialBackAddress, entryAddress, ipOf, tcpEndpoint } from './peer-addresses.ts'
import { isForgettable, newPeerRecord, type PeerRecord, peerInfo } from './peer-record.ts'
import { addressKey, RedialBlock } from './redial-block.ts'
import { actionForCode, type Reputation } from './reputation.ts'
import type { PeerTraffic } from './traffic.ts'

/** Bytes and frames of one /paw/* protocol, both ways. */
export interface ProtocolTraffic {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
}

interface HandshakeWaiter {
  resolve(info: PeerInfo): void
  reject(error: PawError): void
}

interface PingService {
  ping(peer: PeerId, options?: { signal?: AbortSignal }): Promise<number>
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

/** libp2p's ping, PAW's keep-alive (004 §3.1; protocols/README.md "What a peer must speak"). */
const PING_PROTOCOL = '/ipfs/ping/1.0.0'

/** How often the address book is written to its store while running (and at stop). */
const ADDRESS_BOOK_SAVE_MS = 30_000

function describe(error: PawError): string {
  return `${codeText(error)} ${error.name}: ${error.message}`
}

export class PeerManager extends TypedEventEmitter<PawNodeEvents> implements HandshakeHooks {
  readonly #libp2p: Libp2p
  readonly #settings: Settings
  readonly #log: Logger
  readonly #ping: PingService
  readonly #reputation: Reputation | undefined
  readonly #enforcer: Pick<Enforcer, 'charge'> | undefined
  readonly #addressBook: AddressBook | undefined
  readonly #bans: BanList | undefined
  #addressBookSavedAt = 0
  readonly #records = new Map<string, PeerRecord>()
  readonly #waiters = new Map<string, HandshakeWaiter[]>()
  readonly #pendingDials = new Set<string>()
  readonly #wrongChain = new RedialBlock()
  /** Dialable parts (addressKey) of the bootstrap addresses, parsed once. */
  readonly #bootstrapKeys: ReadonlySet<string>
  readonly #counters = { totalConnections: 0, successfulDials: 0, failedDials: 0, rejectedInbound: 0 }
  readonly #protocolTraffic = new Map<string, ProtocolTraffic>()
  readonly #rejections = new Map<string, number>()
  #timer: ReturnType<typeof setInterval> | undefined
  /** Pings, dials and closes started by maintenance passes; stop() waits for them. */
  readonly #inflight = new Set<Promise<unknown>>()
  /** One search for outbound peers at a time, so two passes do not pick the same peers. */
  #filling = false
  #stopping = false
  /** Aborted by stop(): cuts short dials and pings in flight so shutdown is prompt. */
  #shutdown = new AbortController()
  readonly #onOpen = (event: CustomEvent<Connection>): void => this.#opened(event.detail)
  readonly #onClose = (event: CustomEvent<Connection>): void => this.#closed(event.detail)
  readonly #onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const record = this.#records.get(event.detail.peerId.toString())
    if (record === undefined) return
    record.listenAddrs = event.detail.listenAddrs
    // Identify may finish after the handshake, even after a short-lived connection (a seed
    // crawl) closed: learn from the connection it ran on.
    this.#learnAddress(record, event.detail.connection)
  }

  constructor(init: PeerManagerInit) {
    super()
    this.#libp2p = init.libp2p
    this.#settings = init.settings
    this.#log = init.log
    this.#ping = init.ping
    this.#reputation = init.reputation
    this.#enforcer = init.enforcer
    this.#addressBook = init.addressBook
    this.#bans = init.bans
    this.#bootstrapKeys = new Set(
      init.settings.bootstrap.map((text) => addressKey(parsePeerAddress(text).toString())),
    )
  }

  async start(): Promise<void> {
    this.#stopping = false
    this.#shutdown = new AbortController()
    this.#libp2p.addEventListener('connection:open', this.#onOpen)
    this.#libp2p.addEventListener('connection:close', this.#onClose)
    this.#libp2p.addEventListener('peer:identify', this.#onIdentify)
    for (const text of this.#settings.persistentPeers) {
      const address = parsePeerAddress(text)
      const id = address.getComponents().find((c) => c.name === 'p2p')?.value
      if (id === undefined) {
        this.#log.warn('persistent peer without /p2p/<id> ignored', { address: text })
        continue
      }
      const record = this.#record(peerIdFromString(id))
      record.persistent = address
      record.nextDialAt = 0
    }
    await this.#remember(this.#settings.bootstrap)
    await this.#remember(this.#settings.persistentPeers)
    this.#timer = setInterval(() => void this.managePeerConnections(), this.#settings.maintenanceIntervalMs)
    void this.managePeerConnections()
  }

  async stop(): Promise<void> {
    this.#stopping = true
    this.#shutdown.abort(new NetworkError('node is shutting down'))
    for (const [id, waiters] of this.#waiters) {
      this.#waiters.delete(id)
      for (const waiter of waiters) waiter.reject(new NetworkError('node is shutting down'))
    }
    clearInterval(this.#timer)
    this.#libp2p.removeEventListener('connection:open', this.#onOpen)
    this.#libp2p.removeEventListener('peer:identify', this.#onIdentify)
    await Promise.allSettled([...this.#inflight])
    const closing: Promise<void>[] = []
    for (const record of this.#records.values()) {
      if (record.connection === undefined) continue
      this.#setState(record, 'disconnecting')
      closing.push(closeConnection(record.connection))
    }
    await Promise.all(closing)
    this.#libp2p.removeEventListener('connection:close', this.#onClose)
    for (const record of this.#records.values()) {
      if (record.state !== 'disconnected') this.#setState(record, 'disconnected')
    }
    await this.#saveAddressBook()
  }

  /** Writes the address book to its store; a failure is logged, never fatal. */
  async #saveAddressBook(): Promise<void> {
    if (this.#addressBook === undefined) return
    this.#addressBookSavedAt = Date.now()
    try {
      await this.#addressBook.save()
    } catch (error) {
      this.#log.warn('address book not saved', { error: (error as Error).message })
    }
  }

  /** Adds addresses with a /p2p/ id to the peer store, as peers the maintenance loop may dial. */
  async #remember(addresses: readonly string[]): Promise<void> {
    for (const text of addresses) {
      const address = parsePeerAddress(text)
      const id = address.getComponents().find((c) => c.name === 'p2p')?.value
      if (id === undefined) continue
      const peerId = peerIdFromString(id)
      if (peerId.equals(this.#libp2p.peerId)) continue
      await this.#libp2p.peerStore.merge(peerId, { multiaddrs: [address.decapsulateCode(421)] })
      // The operator's own list: candidates for outbound like any address we learned.
      const endpoint = tcpEndpoint(address)
      if (endpoint !== undefined) this.#addressBook?.add({ peerId: id, ...endpoint, source: 'bootstrap' })
    }
  }

  // --- records and states -------------------------------------------------------------

  #record(peerId: PeerId): PeerRecord {
    const key = peerId.toString()
    let record = this.#records.get(key)
    if (record === undefined) {
      record = newPeerRecord(peerId)
      this.#records.set(key, record)
    }
    return record
  }

  #setState(record: PeerRecord, state: PeerState, error?: PawError): void {
    const previous = record.state
    if (previous === state) return
    record.state = state
    record.changedAt = Date.now()
    const detail = {
      peerId: record.peerId.toString(),
      state,
      previous,
      direction: record.direction,
      ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
    }
    this.safeDispatchEvent('peer:state', { detail })
    if (state === 'connected') {
      this.#log.info('peer connected', { peer: detail.peerId, direction: record.direction })
      this.safeDispatchEvent('peer:connected', { detail: this.#info(record) })
    } else if (state === 'disconnected' && (previous === 'connected' || previous === 'disconnecting')) {
      this.#log.info('peer disconnected', { peer: detail.peerId, reason: record.lastError })
      this.safeDispatchEvent('peer:disconnected', { detail: this.#info(record) })
    }
  }

  /** A record as the API shows it, with the peer's reputation. */
  #info(record: PeerRecord): PeerInfo {
    const info = peerInfo(record)
    if (this.#reputation !== undefined) info.score = this.#reputation.score(info.peerId)
    return info
  }

  peers(): PeerInfo[] {
    return [...this.#records.values()].map((record) => this.#info(record))
  }

  peer(peerId: string): PeerInfo | undefined {
    const record = this.#records.get(peerId)
    return record === undefined ? undefined : this.#info(record)
  }

  /** Connected peers and their connections, for protocols that send to every peer. */
  connected(): Array<{ info: PeerInfo; connection: Connection; traffic: PeerTraffic }> {
    const out = []
    for (const record of this.#records.values()) {
      if (record.state === 'connected' && record.connection !== undefined) {
        out.push({ info: this.#info(record), connection: record.connection, traffic: record.traffic })
      }
    }
    return out
  }

  #count(direction: Direction): number {
    let n = 0
    for (const record of this.#records.values()) {
      if (record.direction === direction && (record.state === 'connected' || record.reserved)) n++
    }
    return n
  }

  /**
   * Outbound peers connected or on their way (dialling, handshaking), plus dials of
   * addresses without a peer ID: what the outbound limits must count, or a pass running
   * while a handshake is in flight would dial too many.
   */
  #activeOutbound(): number {
    let n = 0
    for (const record of this.#records.values()) {
      if (record.direction !== 'outbound') continue
      if (record.state === 'connecting' || record.state === 'handshaking' || record.state === 'connected') n++
    }
    for (const key of this.#pendingDials) if (key.startsWith('/')) n++
    return n
  }

  stats(): NodeStats {
    return { ...this.#counters, inbound: this.#count('inbound'), outbound: this.#count('outbound') }
  }

  /**
   * Closes a handshaken peer's connection for `error` (its reputation fell too low, it broke
   * a protocol rule): Disconnecting with the error, then Disconnected when it has closed.
   */
  disconnect(peerId: string, error: PawError): void {
    const record = this.#records.get(peerId)
    const connection = record?.connection
    if (record === undefined || connection === undefined || record.state === 'disconnecting') return
    record.lastError = describe(error)
    this.#setState(record, 'disconnecting', error)
    const closing = closeConnection(connection)
    this.#inflight.add(closing)
    void closing.finally(() => this.#inflight.delete(closing))
  }

  // --- handshake hooks -------------------------------------------------------------------

  /**
   * The counter a /paw/* stream of `protocol` on `connection` feeds: the peer's 004 §7.1
   * statistics and the node's per-protocol totals (metrics), both counting PAW frames only.
   */
  traffic(connection: Connection, protocol: string): TrafficCounter {
    const peer = this.#record(connection.remotePeer).traffic
    let total = this.#protocolTraffic.get(protocol)
    if (total === undefined) {
      total = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 }
      this.#protocolTraffic.set(protocol, total)
    }
    const sums = total
    return {
      received(bytes, frames) {
        peer.received(bytes, frames)
        sums.bytesReceived += bytes
        sums.messagesReceived += frames
      },
      sent(bytes, frames) {
        peer.sent(bytes, frames)
        sums.bytesSent += bytes
        sums.messagesSent += frames
      },
    }
  }

  /** Bytes and frames by /paw/* protocol since start (a copy). */
  protocolTraffic(): Record<string, ProtocolTraffic> {
    return Object.fromEntries([...this.#protocolTraffic].map(([protocol, t]) => [protocol, { ...t }]))
  }

  /** Refused handshakes by PAW error code ("0x02"), since start (a copy). */
  rejectionsByCode(): Record<string, number> {
    return Object.fromEntries(this.#rejections)
  }

  admitInbound(connection: Connection, _remote: Handshake): PawError | undefined {
    const { maxInbound, maxPeers } = this.#settings.limits
    if (this.#stopping) return new PeerLimitReachedError('node is shutting down')
    const ban = this.#banOf(connection.remotePeer.toString(), ipOf(connection.remoteAddr))
    if (ban !== undefined)
      return new ReputationRejectionError(`banned until ${new Date(ban.until).toISOString()}: ${ban.reason}`)
    if (this.#reputation?.isShunned(connection.remotePeer.toString()) === true) {
      return new ReputationRejectionError('reputation below the disconnect threshold')
    }
    const inbound = this.#count('inbound')
    if (inbound >= maxInbound) {
      // Full: a newcomer may take the slot of the inbound peer the eviction rules pick.
      if (!this.#evictFor(connection))
        return new PeerLimitReachedError(`inbound limit of ${maxInbound} reached`)
    } else if (inbound + this.#count('outbound') >= maxPeers) {
      return new PeerLimitReachedError(`peer limit of ${maxPeers} reached`)
    }
    // Hold the slot now: the answer is still being written when the next handshake arrives.
    const record = this.#record(connection.remotePeer)
    record.reserved = true
    record.direction = 'inbound'
    return undefined
  }

  completed(connection: Connection, remote: Handshake): void {
    const record = this.#record(connection.remotePeer)
    record.reserved = false
    record.connection = connection
    record.direction = connection.direction
    record.chainId = remote.chainId
    record.lastError = undefined
    record.failures = 0
    record.connectedAt = Date.now()
    record.traffic.touch()
    this.#reputation?.credit(record.peerId.toString())
    if (connection.direction === 'outbound') this.#addressBook?.succeeded(record.peerId.toString())
    this.#learnAddress(record)
    this.#setState(record, 'connected')
    this.#settle(connection, { info: this.#info(record) })
  }

  /** A handshaken peer of our chain goes into the address book where it can be dialled back. */
  #learnAddress(record: PeerRecord, connection: Connection | undefined = record.connection): void {
    if (
      this.#addressBook === undefined ||
      connection === undefined ||
      record.chainId !== this.#settings.chainId
    )
      return
    const where = dialBackAddress(connection.remoteAddr, record.listenAddrs, connection.direction)
    if (where === undefined) return
    this.#addressBook.add({
      peerId: record.peerId.toString(),
      ...where,
      chainId: record.chainId,
      source: connection.direction === 'inbound' ? 'inbound' : 'manual',
    })
  }

  /** A delivery the peer was first to make (eviction protects recent useful peers). */
  noteDelivery(peerId: string, kind: 'block' | 'transaction'): void {
    const record = this.#records.get(peerId)
    if (record === undefined) return
    if (kind === 'block') record.lastBlockAt = Date.now()
    else record.lastTransactionAt = Date.now()
  }

  failed(connection: Connection, error: PawError): void {
    const record = this.#record(connection.remotePeer)
    record.reserved = false
    record.lastError = describe(error)
    // Refused by this node (limits, bad handshake, timeout), not a peer that hung up.
    if (connection.direction === 'inbound' && error.code !== ErrorCode.NetworkError) {
      this.#counters.rejectedInbound++
    }
    const code = codeText(error)
    this.#rejections.set(code, (this.#rejections.get(code) ?? 0) + 1)
    const action = actionForCode(error.code)
    if (action?.addressBook === 'wrong-chain') {
      // Not for our chain: neither its address nor its identity is dialled again for 24 h,
      // and the address book never offers it again.
      this.#wrongChain.block(addressKey(connection.remoteAddr.toString()), WRONG_CHAIN_REDIAL_BLOCK_MS)
      this.#wrongChain.block(record.peerId.toString(), WRONG_CHAIN_REDIAL_BLOCK_MS)
      this.#addressBook?.markWrongChain(record.peerId.toString())
    } else if (action?.addressBook === 'retry-later' && connection.direction === 'outbound') {
      this.#addressBook?.failed(record.peerId.toString())
    }
    this.#log.warn('handshake failed', { peer: record.peerId.toString(), error: record.lastError })
    if (action?.penalty !== undefined) {
      const peerId = record.peerId.toString()
      // A failed connection is routine (scanners, timeouts) and already logged just above:
      // it only costs its small penalty. Anything else is an offence, charged and acted on.
      if (this.#enforcer === undefined || action.penalty === 'connectionFailed') {
        this.#reputation?.penalize(peerId, action.penalty)
      } else {
        this.#enforcer.charge(peerId, action.penalty, error, 'handshake')
      }
    }
    // A connection already closed has been marked disconnected by #closed; only an open one
    // goes through Disconnecting, and only if it is the peer's current connection.
    const current = record.connection === undefined || record.connection === connection
    if (connection.status === 'open' && current && record.state !== 'connected') {
      record.connection = connection
      this.#setState(record, 'disconnecting', error)
    }
    this.#settle(connection, { error })
  }

  #settle(connection: Connection, outcome: { info: PeerInfo } | { error: PawError }): void {
    const waiters = this.#waiters.get(connection.id) ?? []
    this.#waiters.delete(connection.id)
    for (const waiter of waiters) {
      if ('info' in outcome) waiter.resolve(outcome.info)
      else waiter.reject(outcome.error)
    }
  }

  // --- libp2p connection events ---------------------------------------------------------

  #opened(connection: Connection): void {
    this.#counters.totalConnections++
    const record = this.#record(connection.remotePeer)
    if (record.state === 'connected') return // a second connection to a connected peer
    record.connection = connection
    record.direction = connection.direction
    this.#setState(record, 'handshaking')
  }

  #closed(connection: Connection): void {
    const record = this.#records.get(connection.remotePeer.toString())
    // The handshake reports how it ended (a reject may still be in flight); this is only
    // for a connection it never reported on.
    setTimeout(() => {
      this.#settle(connection, {
        error: new NetworkError('connection closed before the handshake completed'),
      })
    }, 10)
    if (record === undefined || record.connection !== connection) return
    const wasConnected = record.state === 'connected' || record.state === 'disconnecting'
    if (wasConnected && record.connectedAt !== undefined) {
      this.#addressBook?.connectedFor(record.peerId.toString(), Date.now() - record.connectedAt)
    }
    record.connectedAt = undefined
    record.connection = undefined
    record.reserved = false
    this.#setState(record, 'disconnected')
    if (record.persistent !== undefined && !this.#stopping) {
      record.nextDialAt = Date.now() + reconnectDelayMs(wasConnected ? 0 : record.failures)
      if (!wasConnected) record.failures++
    }
  }

  // --- dialling ---------------------------------------------------------------------------

  /** The ban on a peer or its IP, if any. */
  #banOf(peerId: string | undefined, ip: string | undefined): Ban | undefined {
    if (this.#bans === undefined) return undefined
    return (
      (peerId === undefined ? undefined : this.#bans.isBanned(peerId)) ??
      (ip === undefined ? undefined : this.#bans.isIpBanned(ip))
    )
  }

  #isBlocked(address: Multiaddr, peerId: string | undefined): boolean {
    return (
      this.#banOf(peerId, ipOf(address)) !== undefined ||
      this.#wrongChain.isBlocked(addressKey(address.toString())) ||
      (peerId !== undefined && this.#wrongChain.isBlocked(peerId)) ||
      (peerId !== undefined && this.#reputation?.isShunned(peerId) === true)
    )
  }

  /** 000 connectToPeer: dial, then wait for /paw/handshake/1 to complete on the connection. */
  async connectToPeer(target: string | Multiaddr, options: { signal?: AbortSignal } = {}): Promise<PeerInfo> {
    const address = typeof target === 'string' ? parsePeerAddress(target) : target
    const idText = address.getComponents().find((c) => c.name === 'p2p')?.value
    if (idText === this.#libp2p.peerId.toString()) throw new NetworkError('refusing to dial this node itself')
    const ban = this.#banOf(idText, ipOf(address))
    if (ban !== undefined) {
      throw new ReputationRejectionError(
        `${ban.peerId} is banned until ${new Date(ban.until).toISOString()}: ${ban.reason}`,
      )
    }
    if (this.#isBlocked(address, idText)) {
      throw new ChainIdMismatchError(this.#settings.chainId, '(another chain, answered within the last 24 h)')
    }
    const existing = idText === undefined ? undefined : this.#records.get(idText)
    if (existing?.state === 'connected') return peerInfo(existing)
    if (this.#activeOutbound() >= this.#settings.limits.maxOutbound && existing?.persistent === undefined) {
      throw new PeerLimitReachedError(`outbound limit of ${this.#settings.limits.maxOutbound} reached`)
    }
    const record = idText === undefined ? undefined : this.#record(peerIdFromString(idText))
    if (record !== undefined) {
      record.direction = 'outbound'
      this.#setState(record, 'connecting')
    }
    const key = idText ?? address.toString()
    this.#pendingDials.add(key)
    if (idText !== undefined) this.#addressBook?.attempted(idText)
    let connection: Connection
    try {
      const signals = [AbortSignal.timeout(this.#settings.timeouts.dialMs), this.#shutdown.signal]
      if (options.signal !== undefined) signals.push(options.signal)
      connection = await this.#libp2p.dial(address, { signal: AbortSignal.any(signals) })
      this.#counters.successfulDials++
    } catch (cause) {
      this.#counters.failedDials++
      const error = isPawError(cause)
        ? cause
        : new NetworkError(`dial ${address.toString()} failed: ${(cause as Error).message}`, { cause })
      if (record !== undefined) {
        record.lastError = describe(error)
        record.nextDialAt = Date.now() + reconnectDelayMs(record.failures)
        record.failures++
        if (record.state === 'connecting') this.#setState(record, 'disconnected', error)
        this.#addressBook?.failed(idText as string)
        this.#reputation?.penalize(idText as string, 'connectionFailed')
      }
      throw error
    } finally {
      this.#pendingDials.delete(key)
    }
    return this.#awaitHandshake(connection)
  }

  #awaitHandshake(connection: Connection): Promise<PeerInfo> {
    const record = this.#records.get(connection.remotePeer.toString())
    if (record?.state === 'connected' && record.connection === connection)
      return Promise.resolve(this.#info(record))
    if (connection.status !== 'open') {
      return Promise.reject(new NetworkError('connection closed before the handshake completed'))
    }
    const { promise, resolve, reject } = Promise.withResolvers<PeerInfo>()
    // Bounded: libp2p may hand back a connection it already had (one stalled across a cut
    // link, say) whose handshake settled long ago or never will; a dial that waited on it
    // forever held up every later maintenance pass, so no other peer was dialled.
    const timeoutMs = this.#settings.timeouts.handshakeMs
    const waiter: HandshakeWaiter = {
      resolve: (info) => {
        clearTimeout(timer)
        resolve(info)
      },
      reject: (error) => {
        clearTimeout(timer)
        reject(error)
      },
    }
    const timer = setTimeout(() => {
      const left = (this.#waiters.get(connection.id) ?? []).filter((w) => w !== waiter)
      if (left.length === 0) this.#waiters.delete(connection.id)
      else this.#waiters.set(connection.id, left)
      reject(new HandshakeTimeoutError(timeoutMs))
    }, timeoutMs)
    const waiters = this.#waiters.get(connection.id) ?? []
    waiters.push(waiter)
    this.#waiters.set(connection.id, waiters)
    return promise
  }

  /**
   * 000 managePeerConnections: one maintenance pass. It only starts work (pings, dials,
   * closes) and resolves when that work has settled; the periodic loop never waits for it,
   * so a peer slow to answer its ping delays nothing else.
   */
  managePeerConnections(): Promise<void> {
    if (this.#stopping) return Promise.resolve()
    const work = this.#maintain().map((started) => this.#track(started))
    return Promise.allSettled(work).then(() => undefined)
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work)
    const done = (): void => {
      this.#inflight.delete(work)
    }
    work.then(done, done)
    return work
  }

  #maintain(): Promise<unknown>[] {
    const now = Date.now()
    const work: Promise<unknown>[] = []
    const { pingIntervalMs, readIdleMs, inactivityMs } = this.#settings.timeouts
    this.#wrongChain.prune(now)
    for (const [key, record] of this.#records) {
      const connection = record.connection
      if (isForgettable(record, now)) {
        this.#records.delete(key)
        continue
      }
      if (record.state !== 'connected' || connection === undefined) continue
      if (now - record.traffic.lastActivity > inactivityMs) {
        record.lastError = `inactive for ${inactivityMs} ms`
        this.#setState(record, 'disconnecting')
        work.push(closeConnection(connection))
      } else if (!record.pinging && now - record.lastPingAt >= pingIntervalMs) {
        record.pinging = true
        record.lastPingAt = now
        work.push(
          this.#keepAlive(record, connection, readIdleMs).finally(() => {
            record.pinging = false
          }),
        )
      }
    }
    if (this.#addressBook !== undefined && now - this.#addressBookSavedAt >= ADDRESS_BOOK_SAVE_MS) {
      work.push(this.#saveAddressBook())
    }
    this.#bans?.prune()
    for (const address of persistentPeersToDial(this.#dialState(), now)) {
      work.push(this.#dial(address, 'persistent peer'))
    }
    if (this.#filling) this.#log.debug('outbound fill still running')
    if (!this.#filling) {
      this.#filling = true
      work.push(
        this.#fillOutbound(now).finally(() => {
          this.#filling = false
        }),
      )
    }
    return work
  }

  /** 004 §10.1 keep-alive: a ping every interval; no answer within the read timeout drops the peer. */
  async #keepAlive(record: PeerRecord, connection: Connection, timeoutMs: number): Promise<void> {
    try {
      record.rttMs = await this.#ping.ping(record.peerId, {
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#shutdown.signal]),
      })
      record.traffic.touch()
      this.#addressBook?.rtt(record.peerId.toString(), record.rttMs)
    } catch (error) {
      if (this.#stopping || record.connection !== connection || connection.status !== 'open') return
      const peer = record.peerId.toString()
      if ((error as Error).name === 'UnsupportedProtocolError') {
        // protocols/README.md "What a peer must speak": keep-alive (004 §3.1) is libp2p ping.
        record.lastError = `does not speak ${PING_PROTOCOL}, which a PAW peer must answer (protocols/README.md)`
        this.#log.warn('dropping peer without ping', { peer, error: record.lastError })
      } else {
        record.lastError = `no ping answer within ${timeoutMs} ms (${(error as Error).message})`
        this.#log.info('dropping unresponsive peer', { peer, error: record.lastError })
      }
      this.#setState(record, 'disconnecting')
      await closeConnection(connection)
      this.#log.debug('unresponsive peer closed', {
        peer: record.peerId.toString(),
        connection: connection.status,
        state: record.state,
      })
    }
  }

  #dial(address: Multiaddr, why: 'persistent peer' | 'min-outbound'): Promise<unknown> {
    return this.connectToPeer(address).catch((error: unknown) => {
      const id = address.getComponents().find((c) => c.name === 'p2p')?.value
      const record = id === undefined ? undefined : this.#records.get(id)
      const fields = {
        address: address.toString(),
        error: (error as Error).message,
        ...(record === undefined ? {} : { retryInMs: Math.max(0, record.nextDialAt - Date.now()) }),
      }
      // 004 §7.2: bootstrap and persistent peers are the operator's business (INFO); other
      // candidates failing is routine (DEBUG).
      if (why === 'persistent peer' || this.#isBootstrap(address))
        this.#log.info(`${why} unreachable`, fields)
      else this.#log.debug(`${why} dial failed`, fields)
    })
  }

  #isBootstrap(address: Multiaddr): boolean {
    return this.#bootstrapKeys.has(addressKey(address.toString()))
  }

  #dialState(): DialState {
    return {
      self: this.#libp2p.peerId,
      records: this.#records,
      pendingDials: this.#pendingDials,
      outbound: this.#activeOutbound(),
      minOutbound: this.#settings.limits.minOutbound,
      dialQueueSize: this.#settings.dialQueueSize,
      isBlocked: (address, peerId) => this.#isBlocked(address, peerId),
    }
  }

  /**
   * Dials known peers in parallel until outbound reaches min_outbound: from the address
   * book (random across netgroups, at most 2 outbound per group, preferring reachable,
   * stable, low-latency peers) where there is one, else from libp2p's peer store.
   */
  async #fillOutbound(now: number): Promise<void> {
    // A seed answers and disconnects; it keeps no outbound peers of its own.
    if (this.#settings.seedMode) return
    const room = outboundRoom(this.#dialState())
    if (room <= 0) return
    const chosen =
      this.#addressBook === undefined
        ? knownPeersToDial(this.#dialState(), await this.#libp2p.peerStore.all(), room, now)
        : this.#fromAddressBook(this.#addressBook, room, now)
    this.#log.debug('outbound fill', { room, chosen: chosen.length })
    await Promise.allSettled(chosen.map((address) => this.#dial(address, 'min-outbound')))
  }

  /** Outbound candidates from the address book: not connected, not dialling, not blocked. */
  #fromAddressBook(book: AddressBook, room: number, now: number): Multiaddr[] {
    const exclude = new Set<string>(this.#pendingDials)
    const outboundGroups = new Map<string, number>()
    for (const [id, record] of this.#records) {
      if (record.state !== 'disconnected' || record.nextDialAt > now) exclude.add(id)
      if (record.direction !== 'outbound' || record.state === 'disconnected') continue
      const ip = record.connection === undefined ? undefined : ipOf(record.connection.remoteAddr)
      if (ip === undefined) continue
      const group = netgroup(ip)
      outboundGroups.set(group, (outboundGroups.get(group) ?? 0) + 1)
    }
    return book
      .select(room, { exclude, outboundGroups, now })
      .map(entryAddress)
      .filter(
        (address) => !this.#isBlocked(address, address.getComponents().find((c) => c.name === 'p2p')?.value),
      )
  }

  /** Outbound peers connected, handshaking or being dialled (what min_outbound counts). */
  outboundActive(): number {
    return this.#activeOutbound()
  }

  /** Whether the address book can offer an outbound candidate now (discovery asks seeds when not). */
  hasOutboundCandidates(): boolean {
    return (
      this.#addressBook !== undefined && this.#fromAddressBook(this.#addressBook, 1, Date.now()).length > 0
    )
  }

  // --- bans, reputation and eviction --------------------------------------------------------

  /** Bans a peer (and closes its connection): refused on dial and inbound until the ban ends. */
  async ban(peerId: string, options: BanOptions): Promise<Ban> {
    if (this.#bans === undefined) throw new TypeError('this node keeps no ban list')
    const record = this.#records.get(peerId)
    // The IP too, so a new identity from the same host stays out, but never a loopback or
    // private one: on a LAN or a devnet that would shut out every peer behind it.
    const seenAt = record?.connection === undefined ? undefined : ipOf(record.connection.remoteAddr)
    const ip = options.ip ?? (seenAt !== undefined && !isLocalNetgroup(netgroup(seenAt)) ? seenAt : undefined)
    // In force at once (the list holds it before it is saved): the peer goes now, not after the fsync.
    const saved = this.#bans.ban(peerId, { ...options, ip })
    if (this.#bans.isBanned(peerId) !== undefined) {
      this.disconnect(peerId, new ReputationRejectionError(`banned: ${options.reason}`))
    }
    const ban = await saved
    this.#log.warn('peer banned', {
      peer: peerId,
      until: new Date(ban.until).toISOString(),
      reason: ban.reason,
      source: ban.source,
    })
    return ban
  }

  async unban(peerId: string): Promise<boolean> {
    if (this.#bans === undefined) return false
    const lifted = await this.#bans.unban(peerId)
    if (lifted) this.#log.info('peer unbanned', { peer: peerId })
    return lifted
  }

  bans(): Ban[] {
    return this.#bans?.list() ?? []
  }

  /**
   * Inbound slots are full: evicts the inbound peer Bitcoin Core's rules pick (src/peers/
   * eviction.ts) to make room for `newcomer`; false if every inbound peer is protected.
   */
  #evictFor(newcomer: Connection): boolean {
    const candidates: EvictionCandidate[] = []
    for (const record of this.#records.values()) {
      if (record.direction !== 'inbound' || record.state !== 'connected' || record.connection === undefined)
        continue
      const ip = ipOf(record.connection.remoteAddr)
      const peerId = record.peerId.toString()
      candidates.push({
        peerId,
        netgroup: ip === undefined ? 'unknown' : netgroup(ip),
        connectedAt: record.connectedAt ?? record.connection.timeline.open,
        rttMs: record.rttMs,
        lastBlockAt: record.lastBlockAt,
        lastTransactionAt: record.lastTransactionAt,
        score: this.#reputation?.score(peerId) ?? 0,
        persistent: record.persistent !== undefined,
      })
    }
    const evicted = selectEvictionCandidate(candidates)
    if (evicted === undefined) return false
    this.#log.info('evicting an inbound peer for a newcomer', {
      peer: evicted,
      newcomer: newcomer.remotePeer.toString(),
    })
    this.disconnect(evicted, new PeerLimitReachedError('evicted: inbound slots are full'))
    return true
  }
}
