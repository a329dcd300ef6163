/**
 * libp2p's connection events as 004 §3.2 transitions: an open connection starts the
 * handshake (Handshaking), a closed one ends the peer's (Disconnected, a persistent peer's
 * reconnect backoff scheduled, DECISIONS.md "Connections"), and identify tells where the
 * peer listens, for the address book. Browser-safe.
 */
import type { Connection, IdentifyResult, Libp2p } from '@libp2p/interface'
import type { Settings } from '../config/settings.ts'
import { NetworkError } from '../errors.ts'
import type { AddressBook } from './address-book.ts'
import { learnAddress } from './address-learning.ts'
import type { BackgroundWork } from './background-work.ts'
import { reconnectDelayMs } from './backoff.ts'
import type { HandshakeWaiters } from './handshake-waiters.ts'
import type { PeerRegistry } from './peer-registry.ts'

export interface ConnectionEventsInit {
  libp2p: Pick<Libp2p, 'addEventListener' | 'removeEventListener'>
  registry: PeerRegistry
  waiters: Pick<HandshakeWaiters, 'settle'>
  /** While stopping, a lost persistent peer is not scheduled for a redial. */
  work: Pick<BackgroundWork, 'stopping'>
  /** Only peers of our chain go into the address book. */
  settings: Pick<Settings, 'chainId'>
  addressBook?: Pick<AddressBook, 'add' | 'connectedFor'> | undefined
}

/**
 * How long a closed connection's dials wait for the handshake to report first: it reports
 * how it ended (a reject may still be in flight), this is for one it never reported on.
 */
const UNREPORTED_CLOSE_MS = 10

export class ConnectionEvents {
  readonly #init: ConnectionEventsInit
  #totalConnections = 0
  readonly #onOpen = (event: CustomEvent<Connection>): void => this.opened(event.detail)
  readonly #onClose = (event: CustomEvent<Connection>): void => this.closed(event.detail)
  readonly #onIdentify = (event: CustomEvent<IdentifyResult>): void => this.identified(event.detail)

  constructor(init: ConnectionEventsInit) {
    this.#init = init
  }

  /** Connections opened since start (inbound and outbound, before handshake). */
  get totalConnections(): number {
    return this.#totalConnections
  }

  start(): void {
    const { libp2p } = this.#init
    libp2p.addEventListener('connection:open', this.#onOpen)
    libp2p.addEventListener('connection:close', this.#onClose)
    libp2p.addEventListener('peer:identify', this.#onIdentify)
  }

  /** Stops following new connections and identify; closes are followed until stop(). */
  stopOpening(): void {
    this.#init.libp2p.removeEventListener('connection:open', this.#onOpen)
    this.#init.libp2p.removeEventListener('peer:identify', this.#onIdentify)
  }

  stop(): void {
    this.stopOpening()
    this.#init.libp2p.removeEventListener('connection:close', this.#onClose)
  }

  opened(connection: Connection): void {
    this.#totalConnections++
    const { registry } = this.#init
    const record = registry.record(connection.remotePeer)
    if (record.state === 'connected') return // a second connection to a connected peer
    record.connection = connection
    record.direction = connection.direction
    registry.setState(record, 'handshaking')
  }

  closed(connection: Connection): void {
    const { registry, addressBook } = this.#init
    const record = registry.get(connection.remotePeer.toString())
    setTimeout(() => {
      this.#init.waiters.settle(connection.id, {
        error: new NetworkError('connection closed before the handshake completed'),
      })
    }, UNREPORTED_CLOSE_MS)
    if (record === undefined || record.connection !== connection) return
    const wasConnected = record.state === 'connected' || record.state === 'disconnecting'
    if (wasConnected && record.connectedAt !== undefined) {
      addressBook?.connectedFor(record.peerId.toString(), Date.now() - record.connectedAt)
    }
    record.connectedAt = undefined
    record.connection = undefined
    record.reserved = false
    registry.setState(record, 'disconnected')
    if (record.persistent !== undefined && !this.#init.work.stopping) {
      record.nextDialAt = Date.now() + reconnectDelayMs(wasConnected ? 0 : record.failures)
      if (!wasConnected) record.failures++
    }
  }

  identified(result: IdentifyResult): void {
    const record = this.#init.registry.get(result.peerId.toString())
    if (record === undefined) return
    record.listenAddrs = result.listenAddrs
    if (result.agentVersion !== undefined) record.agent = result.agentVersion
    // Identify may finish after the handshake, even after a short-lived connection (a seed
    // crawl) closed: learn from the connection it ran on.
    learnAddress(this.#init.addressBook, this.#init.settings.chainId, record, result.connection)
  }
}
