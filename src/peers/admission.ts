/**
 * What the connection manager does at the end of /paw/handshake/1 (the hooks of
 * src/peers/handshake-hooks.ts): admits or refuses an inbound peer (0x07 bans and
 * reputation, 0x06 limits, evicting a worse inbound peer when the slots are full), marks a
 * handshaken peer connected, and charges a failed handshake by its code (the ERROR_ACTIONS
 * table of src/peers/reputation.ts). Browser-safe.
 */
import type { Connection } from '@libp2p/interface'
import type { Settings } from '../config/settings.ts'
import {
  codeText,
  ErrorCode,
  type PawError,
  PeerLimitReachedError,
  ReputationRejectionError,
} from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { Handshake } from '../wire/handshake.ts'
import type { AddressBook } from './address-book.ts'
import { learnAddress } from './address-learning.ts'
import type { BackgroundWork } from './background-work.ts'
import type { Enforcer } from './enforcer.ts'
import type { HandshakeWaiters } from './handshake-waiters.ts'
import { actionForCode } from './offences.ts'
import { ipOf } from './peer-addresses.ts'
import type { PeerGate } from './peer-gate.ts'
import { describeError } from './peer-record.ts'
import type { PeerRegistry } from './peer-registry.ts'
import type { Reputation } from './reputation.ts'

export interface AdmissionInit {
  registry: PeerRegistry
  waiters: Pick<HandshakeWaiters, 'settle'>
  gate: Pick<PeerGate, 'banOf' | 'isShunned' | 'blockWrongChain'>
  /** Only peers of our chain go into the address book. */
  settings: { limits: Pick<Settings['limits'], 'maxInbound' | 'maxPeers'>; chainId: string }
  /** Makes room for `newcomer` when inbound slots are full; false if nobody may be evicted. */
  evictFor: (newcomer: string) => boolean
  /** While stopping, nobody is admitted. */
  work: Pick<BackgroundWork, 'stopping'>
  reputation?: Pick<Reputation, 'credit' | 'penalize'> | undefined
  /** Charges what a peer did at the handshake (src/peers/enforcer.ts). */
  enforcer?: Pick<Enforcer, 'charge'> | undefined
  addressBook?: Pick<AddressBook, 'add' | 'succeeded' | 'failed' | 'markWrongChain'> | undefined
  log: Logger
}

export class Admission {
  readonly #init: AdmissionInit
  readonly #rejections = new Map<string, number>()
  #rejectedInbound = 0

  constructor(init: AdmissionInit) {
    this.#init = init
  }

  /** Inbound peers refused at the handshake by this node (limits, reputation, wrong chain, bad handshake). */
  get rejectedInbound(): number {
    return this.#rejectedInbound
  }

  /** Refused handshakes by PAW error code ("0x02"), since start (a copy). */
  rejectionsByCode(): Record<string, number> {
    return Object.fromEntries(this.#rejections)
  }

  /** After a valid inbound handshake: an error refuses the peer, undefined holds it a slot. */
  admitInbound(connection: Connection, _remote: Handshake): PawError | undefined {
    const { registry, gate, settings } = this.#init
    const { maxInbound, maxPeers } = settings.limits
    if (this.#init.work.stopping) return new PeerLimitReachedError('node is shutting down')
    const peerId = connection.remotePeer.toString()
    const ban = gate.banOf(peerId, ipOf(connection.remoteAddr))
    if (ban !== undefined)
      return new ReputationRejectionError(`banned until ${new Date(ban.until).toISOString()}: ${ban.reason}`)
    if (gate.isShunned(peerId))
      return new ReputationRejectionError('reputation below the disconnect threshold')
    const inbound = registry.count('inbound')
    if (inbound >= maxInbound) {
      // Full: a newcomer may take the slot of the inbound peer the eviction rules pick.
      if (!this.#init.evictFor(peerId))
        return new PeerLimitReachedError(`inbound limit of ${maxInbound} reached`)
    } else if (inbound + registry.count('outbound') >= maxPeers) {
      return new PeerLimitReachedError(`peer limit of ${maxPeers} reached`)
    }
    // Hold the slot now: the answer is still being written when the next handshake arrives.
    const record = registry.record(connection.remotePeer)
    record.reserved = true
    record.direction = 'inbound'
    return undefined
  }

  completed(connection: Connection, remote: Handshake): void {
    const { registry, addressBook } = this.#init
    const record = registry.record(connection.remotePeer)
    record.reserved = false
    record.connection = connection
    record.direction = connection.direction
    record.chainId = remote.chainId
    record.lastError = undefined
    record.failures = 0
    record.connectedAt = Date.now()
    record.traffic.touch()
    this.#init.reputation?.credit(record.peerId.toString())
    if (connection.direction === 'outbound') addressBook?.succeeded(record.peerId.toString())
    learnAddress(addressBook, this.#init.settings.chainId, record)
    registry.setState(record, 'connected')
    this.#init.waiters.settle(connection.id, { info: registry.info(record) })
  }

  /** The handshake failed or timed out; the connection is being closed. */
  failed(connection: Connection, error: PawError): void {
    const { registry, addressBook, reputation, enforcer } = this.#init
    const record = registry.record(connection.remotePeer)
    const peerId = record.peerId.toString()
    record.reserved = false
    record.lastError = describeError(error)
    // Refused by this node (limits, bad handshake, timeout), not a peer that hung up.
    if (connection.direction === 'inbound' && error.wireCode !== ErrorCode.NetworkError)
      this.#rejectedInbound++
    const code = codeText(error)
    this.#rejections.set(code, (this.#rejections.get(code) ?? 0) + 1)
    const action = actionForCode(error.wireCode)
    if (action?.addressBook === 'wrong-chain') {
      // Not for our chain: neither its address nor its identity is dialled again for 24 h,
      // and the address book never offers it again.
      this.#init.gate.blockWrongChain(connection)
      addressBook?.markWrongChain(peerId)
    } else if (action?.addressBook === 'retry-later' && connection.direction === 'outbound') {
      addressBook?.failed(peerId)
    }
    this.#init.log.warn('handshake failed', { peer: peerId, error: record.lastError })
    if (action?.penalty !== undefined) {
      // A failed connection is routine (scanners, timeouts) and already logged just above:
      // it only costs its small penalty. Anything else is an offence, charged and acted on.
      if (enforcer === undefined || action.penalty === 'connectionFailed')
        reputation?.penalize(peerId, action.penalty)
      else enforcer.charge(peerId, action.penalty, error, 'handshake')
    }
    // A connection already closed has been marked disconnected on its close event; only an
    // open one goes through Disconnecting, and only if it is the peer's current connection.
    const current = record.connection === undefined || record.connection === connection
    if (connection.status === 'open' && current && record.state !== 'connected') {
      record.connection = connection
      registry.setState(record, 'disconnecting', error)
    }
    this.#init.waiters.settle(connection.id, { error })
  }
}
