/**
 * The dials of a maintenance pass (004 §3.2 "maintained automatically", §3.3): persistent
 * peers whose backoff has run out, and known peers until outbound reaches min_outbound,
 * from the address book (random across netgroups, at most 2 outbound per group, preferring
 * reachable, stable, low-latency peers) where there is one, else from libp2p's peer store
 * (src/peers/dial-policy.ts). Browser-safe.
 */
import type { AbortOptions, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Settings } from '../config/settings.ts'
import type { Logger } from '../logging.ts'
import { parsePeerAddress, peerIdOf } from './address.ts'
import type { AddressBook } from './address-book.ts'
import { type DialState, knownPeersToDial, outboundRoom, persistentPeersToDial } from './dial-policy.ts'
import type { Dialler } from './dialler.ts'
import { netgroup } from './netgroup.ts'
import { entryAddress, ipOf } from './peer-addresses.ts'
import type { PeerGate } from './peer-gate.ts'
import type { PeerRegistry } from './peer-registry.ts'
import { addressKey } from './redial-block.ts'

export interface OutboundMaintenanceInit {
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore'>
  settings: Pick<Settings, 'bootstrap' | 'seedMode' | 'limits' | 'dialQueueSize'>
  registry: Pick<PeerRegistry, 'records' | 'get'>
  dialler: Pick<Dialler, 'connectToPeer' | 'pending' | 'activeOutbound'>
  gate: Pick<PeerGate, 'isBlocked'>
  addressBook?: Pick<AddressBook, 'select'> | undefined
  log: Logger
}

type Why = 'persistent peer' | 'min-outbound'

export class OutboundMaintenance {
  readonly #init: OutboundMaintenanceInit
  /** Dialable parts (addressKey) of the bootstrap addresses, parsed once. */
  readonly #bootstrapKeys: ReadonlySet<string>
  /** One search for outbound peers at a time, so two passes do not pick the same peers. */
  #filling = false

  constructor(init: OutboundMaintenanceInit) {
    this.#init = init
    this.#bootstrapKeys = new Set(
      init.settings.bootstrap.map((text) => addressKey(parsePeerAddress(text).toString())),
    )
  }

  /** Starts this pass's dials; each settles when its dial and handshake have (never rejects). */
  dial(now: number = Date.now(), options: AbortOptions = {}): Promise<void>[] {
    const work: Promise<void>[] = []
    for (const address of persistentPeersToDial(this.#dialState(), now)) {
      work.push(this.#dial(address, 'persistent peer', options))
    }
    if (this.#filling) {
      this.#init.log.debug('outbound fill still running')
    } else {
      this.#filling = true
      work.push(
        this.#fill(now, options).finally(() => {
          this.#filling = false
        }),
      )
    }
    return work
  }

  /** Whether the address book can offer an outbound candidate now (discovery asks seeds when not). */
  hasCandidates(now: number = Date.now()): boolean {
    const book = this.#init.addressBook
    return book !== undefined && this.#fromAddressBook(book, 1, now).length > 0
  }

  /** Dials known peers in parallel until outbound reaches min_outbound. */
  async #fill(now: number, options: AbortOptions): Promise<void> {
    const { settings, addressBook, libp2p, log } = this.#init
    // A seed answers and disconnects; it keeps no outbound peers of its own.
    if (settings.seedMode) return
    const room = outboundRoom(this.#dialState())
    if (room <= 0) return
    const chosen =
      addressBook === undefined
        ? knownPeersToDial(this.#dialState(), await libp2p.peerStore.all(), room, now)
        : this.#fromAddressBook(addressBook, room, now)
    log.debug('outbound fill', { room, chosen: chosen.length })
    await Promise.allSettled(chosen.map((address) => this.#dial(address, 'min-outbound', options)))
  }

  #dial(address: Multiaddr, why: Why, options: AbortOptions): Promise<void> {
    return this.#init.dialler.connectToPeer(address, options).then(
      () => undefined,
      (error: unknown) => {
        const id = peerIdOf(address)
        const record = id === undefined ? undefined : this.#init.registry.get(id)
        const fields = {
          address: address.toString(),
          error: (error as Error).message,
          ...(record === undefined ? {} : { retryInMs: Math.max(0, record.nextDialAt - Date.now()) }),
        }
        // 004 §7.2: bootstrap and persistent peers are the operator's business (INFO); other
        // candidates failing is routine (DEBUG).
        if (why === 'persistent peer' || this.#bootstrapKeys.has(addressKey(address.toString())))
          this.#init.log.info(`${why} unreachable`, fields)
        else this.#init.log.debug(`${why} dial failed`, fields)
      },
    )
  }

  /** Outbound candidates from the address book: not connected, not dialling, not blocked. */
  #fromAddressBook(book: Pick<AddressBook, 'select'>, room: number, now: number): Multiaddr[] {
    const exclude = new Set<string>(this.#init.dialler.pending)
    const outboundGroups = new Map<string, number>()
    for (const [id, record] of this.#init.registry.records) {
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
      .filter((address) => !this.#init.gate.isBlocked(address, peerIdOf(address)))
  }

  #dialState(): DialState {
    const { libp2p, settings, registry, dialler, gate } = this.#init
    return {
      self: libp2p.peerId,
      records: registry.records,
      pendingDials: dialler.pending,
      outbound: dialler.activeOutbound(),
      minOutbound: settings.limits.minOutbound,
      dialQueueSize: settings.dialQueueSize,
      isBlocked: (address, peerId) => gate.isBlocked(address, peerId),
    }
  }
}
