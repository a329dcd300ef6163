/**
 * The PAW connection manager on top of libp2p (004 §3, DECISIONS.md "Connections").
 * libp2p has one `maxConnections` and no longer auto-dials, so this keeps separate inbound,
 * outbound and total limits over handshaken peers, the per-peer states of 004 §3.2, the
 * minimum of outbound peers, reconnect backoff for persistent peers, keep-alive pings with
 * the RTT per peer, the inactivity timeout, and the statistics of 004 §7.1.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import type { Direction, NodeStats, PawNodeEvents, PeerInfo, PeerState } from '../api.ts'
import { WRONG_CHAIN_REDIAL_BLOCK_MS } from '../config/defaults.ts'
import type { Settings } from '../config/settings.ts'
import {
  ChainIdMismatchError,
  ErrorCode,
  isPawError,
  NetworkError,
  type PawError,
  PeerLimitReachedError,
  ReputationRejectionError,
} from '../errors.ts'
import type { Logger } from '../logging.ts'
import { closeConnection } from '../protocols/close-connection.ts'
import type { HandshakeHooks } from '../protocols/handshake/handshake.ts'
import type { Handshake } from '../wire/handshake.ts'
import { parsePeerAddress } from './address.ts'
import { reconnectDelayMs } from './backoff.ts'
import { type DialState, knownPeersToDial, outboundRoom, persistentPeersToDial } from './dial-policy.ts'
import { isForgettable, newPeerRecord, type PeerRecord, peerInfo } from './peer-record.ts'
import { addressKey, RedialBlock } from './redial-block.ts'
import type { Reputation } from './reputation.ts'
import type { PeerTraffic } from './traffic.ts'

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
}

function describe(error: PawError): string {
  return `0x${error.code.toString(16).padStart(2, '0')} ${error.name}: ${error.message}`
}

export class PeerManager extends TypedEventEmitter<PawNodeEvents> implements HandshakeHooks {
  readonly #libp2p: Libp2p
  readonly #settings: Settings
  readonly #log: Logger
  readonly #ping: PingService
  readonly #reputation: Reputation | undefined
  readonly #records = new Map<string, PeerRecord>()
  readonly #waiters = new Map<string, HandshakeWaiter[]>()
  readonly #pendingDials = new Set<string>()
  readonly #wrongChain = new RedialBlock()
  /** Dialable parts (addressKey) of the bootstrap addresses, parsed once. */
  readonly #bootstrapKeys: ReadonlySet<string>
  readonly #counters = { totalConnections: 0, successfulDials: 0, failedDials: 0, rejectedInbound: 0 }
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

  constructor(init: PeerManagerInit) {
    super()
    this.#libp2p = init.libp2p
    this.#settings = init.settings
    this.#log = init.log
    this.#ping = init.ping
    this.#reputation = init.reputation
    this.#bootstrapKeys = new Set(
      init.settings.bootstrap.map((text) => addressKey(parsePeerAddress(text).toString())),
    )
  }

  async start(): Promise<void> {
    this.#stopping = false
    this.#shutdown = new AbortController()
    this.#libp2p.addEventListener('connection:open', this.#onOpen)
    this.#libp2p.addEventListener('connection:close', this.#onClose)
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

  traffic(connection: Connection): PeerTraffic {
    return this.#record(connection.remotePeer).traffic
  }

  admitInbound(connection: Connection, _remote: Handshake): PawError | undefined {
    const { maxInbound, maxPeers } = this.#settings.limits
    if (this.#stopping) return new PeerLimitReachedError('node is shutting down')
    if (this.#reputation?.isShunned(connection.remotePeer.toString()) === true) {
      return new ReputationRejectionError('reputation below the disconnect threshold')
    }
    const inbound = this.#count('inbound')
    if (inbound >= maxInbound) return new PeerLimitReachedError(`inbound limit of ${maxInbound} reached`)
    if (inbound + this.#count('outbound') >= maxPeers) {
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
    record.traffic.touch()
    this.#setState(record, 'connected')
    this.#settle(connection, { info: this.#info(record) })
  }

  failed(connection: Connection, error: PawError): void {
    const record = this.#record(connection.remotePeer)
    record.reserved = false
    record.lastError = describe(error)
    // Refused by this node (limits, bad handshake, timeout), not a peer that hung up.
    if (connection.direction === 'inbound' && error.code !== ErrorCode.NetworkError) {
      this.#counters.rejectedInbound++
    }
    if (error.code === ErrorCode.ChainIdMismatch || error.code === ErrorCode.ProtocolVersionMismatch) {
      // Not for our chain: neither its address nor its identity is dialled again for 24 h.
      this.#wrongChain.block(addressKey(connection.remoteAddr.toString()), WRONG_CHAIN_REDIAL_BLOCK_MS)
      this.#wrongChain.block(record.peerId.toString(), WRONG_CHAIN_REDIAL_BLOCK_MS)
    }
    this.#log.warn('handshake failed', { peer: record.peerId.toString(), error: record.lastError })
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
    record.connection = undefined
    record.reserved = false
    this.#setState(record, 'disconnected')
    if (record.persistent !== undefined && !this.#stopping) {
      record.nextDialAt = Date.now() + reconnectDelayMs(wasConnected ? 0 : record.failures)
      if (!wasConnected) record.failures++
    }
  }

  // --- dialling ---------------------------------------------------------------------------

  #isBlocked(address: Multiaddr, peerId: string | undefined): boolean {
    return (
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
    const waiters = this.#waiters.get(connection.id) ?? []
    waiters.push({ resolve, reject })
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
    for (const address of persistentPeersToDial(this.#dialState(), now)) {
      work.push(this.#dial(address, 'persistent peer'))
    }
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
    } catch (error) {
      if (this.#stopping || record.connection !== connection || connection.status !== 'open') return
      record.lastError = `no ping answer within ${timeoutMs} ms (${(error as Error).message})`
      this.#log.info('dropping unresponsive peer', {
        peer: record.peerId.toString(),
        error: record.lastError,
      })
      this.#setState(record, 'disconnecting')
      await closeConnection(connection)
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

  /** Dials known peers in parallel until outbound reaches min_outbound. */
  async #fillOutbound(now: number): Promise<void> {
    const room = outboundRoom(this.#dialState())
    if (room <= 0) return
    const known = await this.#libp2p.peerStore.all()
    const chosen = knownPeersToDial(this.#dialState(), known, room, now)
    await Promise.allSettled(chosen.map((address) => this.#dial(address, 'min-outbound')))
  }
}
