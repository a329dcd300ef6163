/**
 * The address book (issue 7 item 2): every peer address this node has heard of, what
 * happened when it dialled them, and which to dial next. Modelled on Bitcoin Core's
 * addrman, kept simple:
 *
 * - Bounded, and bounded per network group (src/peers/netgroup.ts): one /16 or /32 holds
 *   at most `maxPerGroup` entries, so 1,000 addresses announced from one provider's block
 *   occupy only that group's share and cannot push out everyone else. A full group takes
 *   a new address only in place of a "terrible" one (failing for a week, or unseen for a
 *   month); otherwise the newcomer is dropped. Incumbents that worked win, as in addrman:
 *   flooding costs the attacker, not us.
 * - Selection for outbound dials picks a group first, uniformly, then an entry in it by
 *   quality, and never more than `maxOutboundPerGroup` outbound peers in one group: an
 *   attacker with many addresses in few groups gets few of our outbound slots.
 * - Keyed by peer ID (libp2p dials a peer, and the handshake proves its ID), one address
 *   per peer: a newer announcement moves it, except that hearsay (`exchange`) does not
 *   move an address that worked the last time we dialled it, so a peer cannot redirect
 *   an honest peer's ID to a dead address.
 * - Addresses of another chain are never dialled: refused when announced with another
 *   chain ID, and kept but never selected once a handshake found the wrong chain (so the
 *   exchange does not bring them straight back).
 *
 * Times are ms since the epoch; `now` is injectable everywhere for tests. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { ipFamily } from '../wire/ip.ts'
import { type AddressBookDocument, fromStored, isRecord, toStored } from './address-book-document.ts'
import {
  type AddressAnnouncement,
  type AddressEntry,
  compareWorst,
  isTerrible,
  type SharedAddress,
  validPeerId,
  validPort,
} from './address-entry.ts'
import { type SelectOptions, sampleForPeerList, selectForDial } from './address-selection.ts'
import type { JsonStore } from './json-store.ts'
import { netgroup } from './netgroup.ts'

/**
 * - `added`: a new entry, with room for it;
 * - `updated`: an entry for this peer ID existed and was refreshed (or moved);
 * - `replaced`: a new entry took the place of an evicted one;
 * - `dropped-group-full` / `dropped-book-full`: no room, and no entry bad enough to evict;
 * - `refused`: never to be stored (our own ID, bad port or IP, another chain), or hearsay
 *   that would move an address that works.
 */
export type AddOutcome =
  | 'added'
  | 'updated'
  | 'replaced'
  | 'dropped-group-full'
  | 'dropped-book-full'
  | 'refused'

/** What `open` found in the store. */
export interface AddressBookLoadReport {
  loaded: number
  /** Entries that failed validation, were duplicates, or did not fit the bounds. */
  ignoredEntries: number
  /** Why the whole document was ignored, if it was. */
  ignoredDocument: 'other-chain' | 'unknown-version' | 'malformed' | undefined
}

export interface AddressBookInit {
  self: string
  chainId: string
  maxEntries?: number
  maxPerGroup?: number
  now?: () => number
  store?: JsonStore<AddressBookDocument>
}

export const DEFAULT_MAX_ENTRIES = 4096
export const DEFAULT_MAX_PER_GROUP = 64

/** Weight of a new RTT sample: one slow ping should not reorder the book. */
const RTT_SMOOTHING = 0.2

export class AddressBook {
  readonly self: string
  readonly chainId: string
  readonly maxEntries: number
  readonly maxPerGroup: number
  readonly #entries = new Map<string, AddressEntry>()
  /** group → peer IDs in it; a group with no entries is deleted. */
  readonly #groups = new Map<string, Set<string>>()
  readonly #groupOf = new Map<string, string>()
  readonly #now: () => number
  readonly #store: JsonStore<AddressBookDocument> | undefined
  #loadReport: AddressBookLoadReport = { loaded: 0, ignoredEntries: 0, ignoredDocument: undefined }

  constructor(init: AddressBookInit) {
    const maxEntries = init.maxEntries ?? DEFAULT_MAX_ENTRIES
    const maxPerGroup = init.maxPerGroup ?? DEFAULT_MAX_PER_GROUP
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('maxEntries must be an integer >= 1')
    if (!Number.isInteger(maxPerGroup) || maxPerGroup < 1) {
      throw new RangeError('maxPerGroup must be an integer >= 1')
    }
    this.self = init.self
    this.chainId = init.chainId
    this.maxEntries = maxEntries
    this.maxPerGroup = maxPerGroup
    this.#now = init.now ?? Date.now
    this.#store = init.store
  }

  /**
   * A book filled from `init.store`. Entries that fail validation are skipped (counted in
   * loadReport); a document of another chain (the home switched chains), another version,
   * or another shape is ignored whole. A store that cannot be read (a corrupt file) throws:
   * the caller decides whether to start with an empty book.
   */
  static async open(
    init: AddressBookInit & { store: JsonStore<AddressBookDocument> },
    options: AbortOptions = {},
  ): Promise<AddressBook> {
    const book = new AddressBook(init)
    book.#load(await init.store.load(options))
    return book
  }

  get loadReport(): AddressBookLoadReport {
    return { ...this.#loadReport }
  }

  get size(): number {
    return this.#entries.size
  }

  /** Records an announced address; see AddOutcome. */
  add(address: AddressAnnouncement, now: number = this.#now()): AddOutcome {
    if (!this.#acceptable(address)) return 'refused'
    const group = netgroup(address.ip)
    const existing = this.#entries.get(address.peerId)
    if (existing !== undefined) return this.#update(existing, address, group, now)
    const entry: AddressEntry = {
      peerId: address.peerId,
      ip: address.ip,
      port: address.port,
      chainId: address.chainId,
      source: address.source,
      firstSeen: now,
      lastSeen: now,
      lastAttempt: undefined,
      lastSuccess: undefined,
      failures: 0,
      rttMs: undefined,
      connectedMs: 0,
      wrongChain: false,
    }
    return this.#insert(entry, group, now)
  }

  /** The handshake found the peer on another chain: keep it, so it is known, but never select it. */
  markWrongChain(peerId: string): void {
    const entry = this.#entries.get(peerId)
    if (entry !== undefined) entry.wrongChain = true
  }

  attempted(peerId: string, now: number = this.#now()): void {
    const entry = this.#entries.get(peerId)
    if (entry !== undefined) entry.lastAttempt = now
  }

  /**
   * A dial (handshake included) succeeded: failures reset. A completed handshake proves
   * the chain, so a wrong-chain mark is lifted (the peer switched chains).
   */
  succeeded(peerId: string, now: number = this.#now(), measured: { rttMs?: number } = {}): void {
    const entry = this.#entries.get(peerId)
    if (entry === undefined) return
    entry.lastSuccess = now
    entry.lastSeen = Math.max(entry.lastSeen, now)
    entry.failures = 0
    entry.wrongChain = false
    entry.chainId = this.chainId
    if (measured.rttMs !== undefined) this.rtt(peerId, measured.rttMs)
  }

  /** A dial failed: one more failure, and the backoff counts from now. */
  failed(peerId: string, now: number = this.#now()): void {
    const entry = this.#entries.get(peerId)
    if (entry === undefined) return
    entry.failures += 1
    entry.lastAttempt = now
  }

  /** A round-trip measurement, smoothed. Ignores non-finite or negative values (a broken ping). */
  rtt(peerId: string, ms: number): void {
    const entry = this.#entries.get(peerId)
    if (entry === undefined || !Number.isFinite(ms) || ms < 0) return
    entry.rttMs = entry.rttMs === undefined ? ms : entry.rttMs + RTT_SMOOTHING * (ms - entry.rttMs)
  }

  /** Adds `ms` to the time the peer has been connected. */
  connectedFor(peerId: string, ms: number): void {
    const entry = this.#entries.get(peerId)
    if (entry === undefined || !Number.isFinite(ms) || ms <= 0) return
    entry.connectedMs += ms
  }

  remove(peerId: string): boolean {
    const group = this.#groupOf.get(peerId)
    if (group === undefined) return false
    this.#entries.delete(peerId)
    this.#groupOf.delete(peerId)
    const members = this.#groups.get(group)
    members?.delete(peerId)
    if (members?.size === 0) this.#groups.delete(group)
    return true
  }

  /** A copy of the entry. */
  get(peerId: string): AddressEntry | undefined {
    const entry = this.#entries.get(peerId)
    return entry === undefined ? undefined : { ...entry }
  }

  /** Copies of all entries. */
  entries(): AddressEntry[] {
    return [...this.#entries.values()].map((entry) => ({ ...entry }))
  }

  /** Entries per network group. */
  groups(): Map<string, number> {
    return new Map([...this.#groups].map(([group, members]) => [group, members.size]))
  }

  /**

  /** Up to `count` peers to dial (src/peers/address-selection.ts selectForDial). */
  select(count: number, options: SelectOptions = {}): AddressEntry[] {
    return selectForDial(this.#groups, this.#entries, count, { ...options, now: options.now ?? this.#now() })
  }

  /** What `/paw/peers/1` answers (src/peers/address-selection.ts sampleForPeerList). */
  forPeerList(
    exclude: ReadonlySet<string>,
    max?: number,
    random?: () => number,
    now: number = this.#now(),
  ): SharedAddress[] {
    return sampleForPeerList(this.#entries.values(), exclude, now, max, random)
  }
  /** Writes the whole book to the store. @throws if the book has no store */
  async save(options: AbortOptions = {}): Promise<void> {
    if (this.#store === undefined) throw new Error('this address book has no store')
    await this.#store.save(this.toDocument(), options)
  }

  toDocument(): AddressBookDocument {
    return { version: 1, chainId: this.chainId, entries: [...this.#entries.values()].map(toStored) }
  }

  #acceptable(address: AddressAnnouncement): boolean {
    return (
      address.peerId !== this.self &&
      validPeerId(address.peerId) &&
      validPort(address.port) &&
      typeof address.ip === 'string' &&
      ipFamily(address.ip) !== undefined &&
      (address.chainId === undefined || address.chainId === this.chainId)
    )
  }

  #update(entry: AddressEntry, address: AddressAnnouncement, group: string, now: number): AddOutcome {
    if (entry.ip === address.ip && entry.port === address.port) {
      entry.lastSeen = Math.max(entry.lastSeen, now)
      if (address.chainId !== undefined) entry.chainId = address.chainId
      return 'updated'
    }
    const works = entry.lastSuccess !== undefined && entry.failures === 0
    if (address.source === 'exchange' && works) return 'refused'
    const oldGroup = this.#groupOf.get(entry.peerId) as string
    let outcome: AddOutcome = 'updated'
    if (group !== oldGroup && (this.#groups.get(group)?.size ?? 0) >= this.maxPerGroup) {
      const worst = this.#worstIn(group)
      if (worst === undefined || !isTerrible(worst, now)) return 'dropped-group-full'
      this.remove(worst.peerId)
      outcome = 'replaced'
    }
    // What we knew was about the old address; the new one starts afresh.
    const moved: AddressEntry = {
      ...entry,
      chainId: address.chainId ?? entry.chainId,
      ip: address.ip,
      port: address.port,
      lastSeen: Math.max(entry.lastSeen, now),
      lastAttempt: undefined,
      lastSuccess: undefined,
      failures: 0,
      rttMs: undefined,
      connectedMs: 0,
    }
    this.remove(entry.peerId)
    this.#put(moved, group)
    return outcome
  }

  /** Inserts a new entry within the bounds, evicting if the rules allow. */
  #insert(entry: AddressEntry, group: string, now: number): AddOutcome {
    const inGroup = this.#groups.get(group)?.size ?? 0
    if (inGroup >= this.maxPerGroup) {
      const worst = this.#worstIn(group)
      if (worst === undefined || !isTerrible(worst, now)) return 'dropped-group-full'
      this.remove(worst.peerId)
      this.#put(entry, group)
      return 'replaced'
    }
    if (this.#entries.size < this.maxEntries) {
      this.#put(entry, group)
      return 'added'
    }
    // Full: take room from the largest group, unless this entry's group is as large (then
    // adding would only make the book less even): it may then replace a terrible entry of
    // its own group, as when its group is full.
    const largest = this.#largestGroup()
    const largestSize = this.#groups.get(largest)?.size ?? 0
    const victimGroup = largestSize > inGroup ? largest : group
    const worst = this.#worstIn(victimGroup)
    if (worst === undefined || (victimGroup === group && !isTerrible(worst, now))) return 'dropped-book-full'
    this.remove(worst.peerId)
    this.#put(entry, group)
    return 'replaced'
  }

  #put(entry: AddressEntry, group: string): void {
    this.#entries.set(entry.peerId, entry)
    this.#groupOf.set(entry.peerId, group)
    let members = this.#groups.get(group)
    if (members === undefined) {
      members = new Set()
      this.#groups.set(group, members)
    }
    members.add(entry.peerId)
  }

  /** The group with the most entries; ties to the first in order, so the choice is stable. */
  #largestGroup(): string {
    let largest = ''
    let size = -1
    for (const [group, members] of this.#groups) {
      if (members.size > size) {
        largest = group
        size = members.size
      }
    }
    return largest
  }

  /** The group's entry to evict first (compareWorst). */
  #worstIn(group: string): AddressEntry | undefined {
    let worst: AddressEntry | undefined
    for (const peerId of this.#groups.get(group) ?? []) {
      const entry = this.#entries.get(peerId) as AddressEntry
      if (worst === undefined || compareWorst(entry, worst) < 0) worst = entry
    }
    return worst
  }

  #load(document: unknown): void {
    const report: AddressBookLoadReport = { loaded: 0, ignoredEntries: 0, ignoredDocument: undefined }
    this.#loadReport = report
    if (document === undefined) return
    if (!isRecord(document) || !Array.isArray(document.entries) || typeof document.chainId !== 'string') {
      report.ignoredDocument = 'malformed'
      return
    }
    if (document.version !== 1) {
      report.ignoredDocument = 'unknown-version'
      return
    }
    if (document.chainId !== this.chainId) {
      report.ignoredDocument = 'other-chain'
      return
    }
    for (const stored of document.entries) {
      const entry = fromStored(stored)
      // A document saved under larger bounds (or edited) must not overfill the book: what
      // does not fit is ignored, not made room for, so loading never evicts.
      const group = entry !== undefined && this.#acceptable(entry) ? netgroup(entry.ip) : undefined
      if (
        entry === undefined ||
        group === undefined ||
        this.#entries.has(entry.peerId) ||
        (this.#groups.get(group)?.size ?? 0) >= this.maxPerGroup ||
        this.#entries.size >= this.maxEntries
      ) {
        report.ignoredEntries++
      } else {
        this.#put(entry, group)
        report.loaded++
      }
    }
  }
}
