/**
 * 000 connectToPeer: dials a peer and resolves once /paw/handshake/1 has completed on the
 * connection, refusing first what must not be dialled (this node, bans, peers of another
 * chain, shunned peers: src/peers/peer-gate.ts) and what the outbound limit has no room for
 * (004 §3.2). A failed dial backs the peer off (DECISIONS.md "Connections"). An address
 * with a legacy hex node ID (`<hex>@host:port`, given here or in the configured bootstrap,
 * seeds and persistent peers) is dialled without a peer ID, and the connection is closed and
 * the dial failed unless the key Noise authenticated is the one the hex names
 * (src/peers/node-id.ts). Browser-safe.
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
import type { Logger } from '../logging.ts'
import { type PeerTarget, parsePeerTarget, peerIdOf } from './address.ts'
import type { AddressBook } from './address-book.ts'
import type { BackgroundWork } from './background-work.ts'
import { reconnectDelayMs } from './backoff.ts'
import { closeConnection } from './close-connection.ts'
import type { HandshakeWaiters } from './handshake-waiters.ts'
import { checkNodeId } from './node-id.ts'
import { ipOf } from './peer-addresses.ts'
import type { PeerGate } from './peer-gate.ts'
import { describeError } from './peer-record.ts'
import type { PeerRegistry } from './peer-registry.ts'
import type { Reputation } from './reputation.ts'

export interface DiallerInit {
  /** With addEventListener, every outbound connection libp2p opens counts as a successful dial. */
  libp2p: Pick<Libp2p, 'dial' | 'peerId'> & Partial<Pick<Libp2p, 'addEventListener'>>
  settings: Pick<Settings, 'chainId' | 'limits' | 'timeouts'> &
    Partial<Pick<Settings, 'bootstrap' | 'seeds' | 'persistentPeers'>>
  registry: PeerRegistry
  waiters: Pick<HandshakeWaiters, 'wait'>
  gate: Pick<PeerGate, 'banOf' | 'isBlocked'>
  /** Its signal is aborted when the node stops: cuts dials in flight short. */
  work: Pick<BackgroundWork, 'signal'>
  reputation?: Pick<Reputation, 'penalize'> | undefined
  addressBook?: Pick<AddressBook, 'attempted' | 'failed'> | undefined
  log?: Logger | undefined
}

export class Dialler {
  readonly #init: DiallerInit
  /** Peer IDs, or address texts for addresses without one, being dialled now. */
  readonly #pending = new Set<string>()
  /** Configured addresses given with a hex node ID, by multiaddr text (they have no /p2p/). */
  readonly #nodeIds: ReadonlyMap<string, string>
  #successfulDials = 0
  /** Connections counted in successfulDials, so that an event and a dial count one once. */
  readonly #counted = new WeakSet<Connection>()
  #failedDials = 0

  constructor(init: DiallerInit) {
    this.#init = init
    const { bootstrap = [], seeds = [], persistentPeers = [] } = init.settings
    this.#nodeIds = nodeIdsByAddress([...bootstrap, ...seeds, ...persistentPeers])
    // A dial succeeded when an outbound connection opened, whoever dialled: libp2p's bootstrap
    // service dials the p2p.bootstrap peers itself (src/create-paw-node.ts), and a node whose
    // outbound peers all came that way reported no successful dial (issue 17, item 5). The
    // listener lives as long as libp2p, which this dialler shares.
    init.libp2p.addEventListener?.('connection:open', ({ detail }) => {
      if (detail.direction === 'outbound') this.#countSuccess(detail)
    })
  }

  #countSuccess(connection: Connection): void {
    if (this.#counted.has(connection)) return
    this.#counted.add(connection)
    this.#successfulDials++
  }

  /** Dials that gave a connection and outbound connections libp2p opened itself (bootstrap), each once. */
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
    const { address, nodeId } = this.#target(target)
    const idText = peerIdOf(address)
    if (idText === libp2p.peerId.toString()) throw new NetworkError('refusing to dial this node itself')
    const ban = gate.banOf(idText, ipOf(address))
    if (ban !== undefined) {
      throw new ReputationRejectionError(
        `${'peerId' in ban ? ban.peerId : ban.ip} is banned until ${new Date(ban.until).toISOString()}: ${ban.reason}`,
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
      if (nodeId !== undefined) this.#checkNodeId(connection, nodeId, address)
      this.#countSuccess(connection)
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

  /** Where to dial, and the hex node ID to check: from the text, else from the configured addresses. */
  #target(target: string | Multiaddr): PeerTarget {
    const parsed = typeof target === 'string' ? parsePeerTarget(target) : { address: target }
    if (parsed.nodeId !== undefined || peerIdOf(parsed.address) !== undefined) return parsed
    return { address: parsed.address, nodeId: this.#nodeIds.get(parsed.address.toString()) }
  }

  /** @throws NodeIdMismatchError, having closed the connection, if another key answered */
  #checkNodeId(connection: Connection, nodeId: string, address: Multiaddr): void {
    const mismatch = checkNodeId(connection.remotePeer, nodeId, address.toString())
    if (mismatch === undefined) return
    this.#init.log?.warn('dialled peer refused: not the node its address names', {
      address: address.toString(),
      expected: nodeId,
      peer: connection.remotePeer.toString(),
      error: mismatch.message,
    })
    void closeConnection(connection)
    throw mismatch
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

/** Each address given as `<hex>@host:port`, by the text of its multiaddr (which has no /p2p/). */
function nodeIdsByAddress(texts: readonly string[]): Map<string, string> {
  const byAddress = new Map<string, string>()
  for (const text of texts) {
    const { address, nodeId } = parsePeerTarget(text)
    if (nodeId !== undefined) byAddress.set(address.toString(), nodeId)
  }
  return byAddress
}
