/**
 * 000 connectToPeer: dials a peer and resolves once /paw/handshake/1 has completed on the
 * connection, refusing first what must not be dialled (this node, bans, peers of another
 * chain, shunned peers: src/peers/peer-gate.ts) and what the outbound limit has no room for
 * (004 §3.2). A failed dial backs the peer off (DECISIONS.md "Connections"). Browser-safe.
 */
import type { AbortOptions, Connection, Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerInfo } from '../api/peers.ts'
import type { Settings } from '../config/settings.ts'
import {
  ChainIdMismatchError,
  isPawError,
  NetworkError,
  PeerLimitReachedError,
  ReputationRejectionError,
} from '../errors.ts'
import { parsePeerAddress, peerIdOf } from './address.ts'
import type { AddressBook } from './address-book.ts'
import type { BackgroundWork } from './background-work.ts'
import { reconnectDelayMs } from './backoff.ts'
import type { HandshakeWaiters } from './handshake-waiters.ts'
import { ipOf } from './peer-addresses.ts'
import type { PeerGate } from './peer-gate.ts'
import { describeError } from './peer-record.ts'
import type { PeerRegistry } from './peer-registry.ts'
import type { Reputation } from './reputation.ts'

export interface DiallerInit {
  libp2p: Pick<Libp2p, 'dial' | 'peerId'>
  settings: Pick<Settings, 'chainId' | 'limits' | 'timeouts'>
  registry: PeerRegistry
  waiters: Pick<HandshakeWaiters, 'wait'>
  gate: Pick<PeerGate, 'banOf' | 'isBlocked'>
  /** Its signal is aborted when the node stops: cuts dials in flight short. */
  work: Pick<BackgroundWork, 'signal'>
  reputation?: Pick<Reputation, 'penalize'> | undefined
  addressBook?: Pick<AddressBook, 'attempted' | 'failed'> | undefined
}

export class Dialler {
  readonly #init: DiallerInit
  /** Peer IDs, or address texts for addresses without one, being dialled now. */
  readonly #pending = new Set<string>()
  #successfulDials = 0
  #failedDials = 0

  constructor(init: DiallerInit) {
    this.#init = init
  }

  get successfulDials(): number {
    return this.#successfulDials
  }

  get failedDials(): number {
    return this.#failedDials
  }

  /** Peer IDs (or addresses) being dialled now. */
  get pending(): ReadonlySet<string> {
    return this.#pending
  }

  /**
   * Outbound peers connected or on their way (dialling, handshaking), plus dials of
   * addresses without a peer ID: what the outbound limits must count, or a pass running
   * while a handshake is in flight would dial too many.
   */
  activeOutbound(): number {
    let n = this.#init.registry.outboundUnderway()
    for (const key of this.#pending) if (key.startsWith('/')) n++
    return n
  }

  /**
   * Dials `target` and waits for /paw/handshake/1 to complete on the connection.
   * @throws a PawError if the peer is refused or the dial or handshake fails; the signal's
   * reason if `options.signal` aborts while waiting for the handshake
   */
  async connectToPeer(target: string | Multiaddr, options: AbortOptions = {}): Promise<PeerInfo> {
    options.signal?.throwIfAborted()
    const { libp2p, settings, registry, gate, addressBook } = this.#init
    const address = typeof target === 'string' ? parsePeerAddress(target) : target
    const idText = peerIdOf(address)
    if (idText === libp2p.peerId.toString()) throw new NetworkError('refusing to dial this node itself')
    const ban = gate.banOf(idText, ipOf(address))
    if (ban !== undefined) {
      throw new ReputationRejectionError(
        `${ban.peerId} is banned until ${new Date(ban.until).toISOString()}: ${ban.reason}`,
      )
    }
    if (gate.isBlocked(address, idText)) {
      throw new ChainIdMismatchError(settings.chainId, '(another chain, answered within the last 24 h)')
    }
    const existing = idText === undefined ? undefined : registry.get(idText)
    if (existing?.state === 'connected') return registry.info(existing)
    const { maxOutbound } = settings.limits
    if (this.activeOutbound() >= maxOutbound && existing?.persistent === undefined) {
      throw new PeerLimitReachedError(`outbound limit of ${maxOutbound} reached`)
    }
    const record = idText === undefined ? undefined : registry.record(peerIdFromString(idText))
    if (record !== undefined) {
      record.direction = 'outbound'
      registry.setState(record, 'connecting')
    }
    const key = idText ?? address.toString()
    this.#pending.add(key)
    if (idText !== undefined) addressBook?.attempted(idText)
    let connection: Connection
    try {
      const signals = [AbortSignal.timeout(settings.timeouts.dialMs), this.#init.work.signal]
      if (options.signal !== undefined) signals.push(options.signal)
      connection = await libp2p.dial(address, { signal: AbortSignal.any(signals) })
      this.#successfulDials++
    } catch (cause) {
      this.#failedDials++
      const error = isPawError(cause)
        ? cause
        : new NetworkError(`dial ${address.toString()} failed: ${(cause as Error).message}`, { cause })
      if (record !== undefined) {
        record.lastError = describeError(error)
        record.nextDialAt = Date.now() + reconnectDelayMs(record.failures)
        record.failures++
        if (record.state === 'connecting') registry.setState(record, 'disconnected', error)
        addressBook?.failed(record.peerId.toString())
        this.#init.reputation?.penalize(record.peerId.toString(), 'connectionFailed')
      }
      throw error
    } finally {
      this.#pending.delete(key)
    }
    return this.#awaitHandshake(connection, options)
  }

  #awaitHandshake(connection: Connection, options: AbortOptions): Promise<PeerInfo> {
    const { registry, waiters, settings } = this.#init
    const record = registry.get(connection.remotePeer.toString())
    if (record?.state === 'connected' && record.connection === connection)
      return Promise.resolve(registry.info(record))
    if (connection.status !== 'open') {
      return Promise.reject(new NetworkError('connection closed before the handshake completed'))
    }
    return waiters.wait(connection.id, settings.timeouts.handshakeMs, options)
  }
}
