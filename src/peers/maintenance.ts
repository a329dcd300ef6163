/**
 * 000 managePeerConnections: the periodic maintenance pass. It forgets stale records, runs
 * the keep-alive (src/peers/keep-alive.ts), saves the address book now and then, prunes
 * expired bans and blocks, and starts the pass's dials (src/peers/outbound-maintenance.ts).
 * A pass only starts work and resolves when that work has settled; the periodic loop never
 * waits for it, so a peer slow to answer its ping delays nothing else. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Settings } from '../config/settings.ts'
import type { Logger } from '../logging.ts'
import type { AddressBook } from './address-book.ts'
import type { BackgroundWork } from './background-work.ts'
import type { KeepAlive } from './keep-alive.ts'
import type { OutboundMaintenance } from './outbound-maintenance.ts'
import type { PeerGate } from './peer-gate.ts'
import type { PeerRegistry } from './peer-registry.ts'

/** How often the address book is written to its store while running (and at stop). */
export const ADDRESS_BOOK_SAVE_MS = 30_000

export interface MaintenanceInit {
  settings: Pick<Settings, 'maintenanceIntervalMs'>
  registry: Pick<PeerRegistry, 'records' | 'forget'>
  keepAlive: Pick<KeepAlive, 'check'>
  outbound: Pick<OutboundMaintenance, 'dial'>
  gate: Pick<PeerGate, 'prune'>
  work: Pick<BackgroundWork, 'stopping' | 'track'>
  addressBook?: Pick<AddressBook, 'save'> | undefined
  log: Logger
}

export class Maintenance {
  readonly #init: MaintenanceInit
  #timer: ReturnType<typeof setInterval> | undefined
  #addressBookSavedAt = 0

  constructor(init: MaintenanceInit) {
    this.#init = init
  }

  /** Runs a pass now and every interval until stop(). */
  start(): void {
    clearInterval(this.#timer)
    this.#timer = setInterval(() => void this.run(), this.#init.settings.maintenanceIntervalMs)
    void this.run()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** One pass; resolves when the work it started has settled (at once while stopping). */
  async run(options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    const { work } = this.#init
    if (work.stopping) return
    await Promise.allSettled(this.#pass(Date.now(), options).map((piece) => work.track(piece)))
  }

  /** Writes the address book to its store; a failure is logged, never fatal. */
  async saveAddressBook(options: AbortOptions = {}): Promise<void> {
    const book = this.#init.addressBook
    if (book === undefined) return
    this.#addressBookSavedAt = Date.now()
    try {
      await book.save(options)
    } catch (error) {
      this.#init.log.warn('address book not saved', { error: (error as Error).message })
    }
  }

  #pass(now: number, options: AbortOptions): Promise<unknown>[] {
    const { registry, keepAlive, gate, outbound, addressBook } = this.#init
    const work: Promise<unknown>[] = []
    gate.prune(now)
    registry.forget(now)
    for (const record of registry.records.values()) {
      const due = keepAlive.check(record, now, options)
      if (due !== undefined) work.push(due)
    }
    if (addressBook !== undefined && now - this.#addressBookSavedAt >= ADDRESS_BOOK_SAVE_MS) {
      work.push(this.saveAddressBook())
    }
    work.push(...outbound.dial(now, options))
    return work
  }
}
