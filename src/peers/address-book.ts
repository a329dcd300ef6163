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
import { MAX_PEER_ID_LENGTH, MAX_PEERS_PER_RESPONSE } from '../wire/constants.ts'
import { ipFamily } from '../wire/ip.ts'
import { reconnectDelayMs } from './backoff.ts'
import type { JsonStore } from './json-store.ts'
import { isLocalNetgroup, netgroup } from './netgroup.ts'

export const ADDRESS_SOURCES = ['seed', 'bootstrap', 'exchange', 'inbound', 'manual'] as const
/** Where we first heard of an address. `exchange` is hearsay from another peer's `/paw/peers/1` answer. */
export type AddressSource = (typeof ADDRESS_SOURCES)[number]

export interface AddressEntry {
  peerId: string
  ip: string
  port: number
  /** The peer's chain ID where known (from its handshake); undefined if only heard of. */
  chainId: string | undefined
  source: AddressSource
  firstSeen: number
  /** Last announced, or last connected. */
  lastSeen: number
  lastAttempt: number | undefined
  lastSuccess: number | undefined
  /** Failed dials since the last success: drives the backoff. */
  failures: number
  /** Smoothed round-trip time. */
  rttMs: number | undefined
  /** Total time connected: how stable the peer has been. */
  connectedMs: number
  /** A handshake found it on another chain (markWrongChain): never selected. */
  wrongChain: boolean
}

/** What `add` is told. `chainId` only where known first-hand (a handshake). */
export interface AddressAnnouncement {
  peerId: string
  ip: string
  port: number
  chainId?: string | undefined
  source: AddressSource
}

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

/** An entry as saved: JSON drops undefined, so those fields are optional. */
export interface StoredAddressEntry {
  peerId: string
  ip: string
  port: number
  chainId?: string
  source: AddressSource
  firstSeen: number
  lastSeen: number
  lastAttempt?: number
  lastSuccess?: number
  failures: number
  rttMs?: number
  connectedMs: number
  wrongChain?: boolean
}

export interface AddressBookDocument {
  version: 1
  chainId: string
  entries: StoredAddressEntry[]
}

/** What `open` found in the store. */
export interface AddressBookLoadReport {
  loaded: number
  /** Entries that failed validation, were duplicates, or did not fit the bounds. */
  ignoredEntries: number
  /** Why the whole document was ignored, if it was. */
  ignoredDocument: 'other-chain' | 'unknown-version' | 'malformed' | undefined
}

export interface SelectOptions {
  /** Peer IDs connected or being dialled. */
  exclude?: ReadonlySet<string>
  /** Network groups of the current outbound peers, with how many in each. */
  outboundGroups?: ReadonlyMap<string, number>
  maxOutboundPerGroup?: number
  now?: number
  /** In [0, 1). */
  random?: () => number
}

/** A `/paw/peers/1` entry. */
export interface SharedAddress {
  peerId: string
  ip: string
  port: number
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
export const DEFAULT_MAX_OUTBOUND_PER_GROUP = 2

const HOUR_MS = 60 * 60_000
const DAY_MS = 24 * HOUR_MS
/** Failing this many times, with no success for TERRIBLE_NO_SUCCESS_MS, makes an entry terrible. */
const TERRIBLE_FAILURES = 3
const TERRIBLE_NO_SUCCESS_MS = 7 * DAY_MS
/** Not announced or connected for this long makes an entry terrible. */
const TERRIBLE_UNSEEN_MS = 30 * DAY_MS
/** Just dialled: give the dial its chance before judging the entry (addrman does the same). */
const GRACE_AFTER_ATTEMPT_MS = 60_000
/** /paw/peers/1 shares entries that worked, or were heard of this recently. */
const SHARE_UNSEEN_MS = 3 * HOUR_MS
/** Weight of a new RTT sample: one slow ping should not reorder the book. */
const RTT_SMOOTHING = 0.2

const PEER_ID_TEXT = /^[A-Za-z0-9]+$/

/**
 * The dial backoff after `failures` failures: min(2^failures s, 600 s), the reconnect
 * backoff without its jitter (random 0.5 is the midpoint: factor 1). Selection is random
 * already, so jitter would add nothing here.
 */
export function addressBackoffMs(failures: number): number {
  return reconnectDelayMs(failures, 0.5)
}

/** Whether the entry is still backing off at `now`. */
export function inBackoff(entry: AddressEntry, now: number): boolean {
  return entry.lastAttempt !== undefined && entry.lastAttempt + addressBackoffMs(entry.failures) > now
}

/**
 * Whether an entry is worth no space: on another chain, unseen for 30 days, or failing
 * (3 failures and no success for 7 days). Never within a minute of a dial.
 */
export function isTerrible(entry: AddressEntry, now: number): boolean {
  if (entry.wrongChain) return true
  if (entry.lastAttempt !== undefined && now - entry.lastAttempt < GRACE_AFTER_ATTEMPT_MS) return false
  if (now - entry.lastSeen > TERRIBLE_UNSEEN_MS) return true
  return (
    entry.failures >= TERRIBLE_FAILURES &&
    (entry.lastSuccess === undefined || now - entry.lastSuccess > TERRIBLE_NO_SUCCESS_MS)
  )
}

/**
 * How much selection prefers an entry (relative; > 0): reachable (it worked before) ×4,
 * stable (up to ×3 for a day connected), fast (×2 under 50 ms down to ×0.25 over ~1 s),
 * and ×0.66 per failure (up to 8, as addrman), so a flaky address is tried less but still
 * tried.
 */
export function addressQuality(entry: AddressEntry): number {
  const reachable = entry.lastSuccess !== undefined ? 4 : 1
  const stable = 1 + 2 * Math.min(entry.connectedMs / DAY_MS, 1)
  const fast = entry.rttMs === undefined ? 1 : clamp(300 / (entry.rttMs + 100), 0.25, 2)
  const flaky = 0.66 ** Math.min(entry.failures, 8)
  return reachable * stable * fast * flaky
}

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
  static async open(init: AddressBookInit & { store: JsonStore<AddressBookDocument> }): Promise<AddressBook> {
    const book = new AddressBook(init)
    book.#load(await init.store.load())
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
   * Up to `count` peers to dial: a group chosen uniformly among the groups with a
   * candidate, then an entry in it weighted by addressQuality, repeated. Skips excluded,
   * wrong-chain and backing-off entries, and never lets a group's outbound peers (those in
   * `outboundGroups` plus those picked here) exceed `maxOutboundPerGroup`. Deterministic for
   * a given book and `random`.
   */
  select(count: number, options: SelectOptions = {}): AddressEntry[] {
    const exclude = options.exclude ?? new Set<string>()
    const outbound = options.outboundGroups ?? new Map<string, number>()
    const maxPerGroup = options.maxOutboundPerGroup ?? DEFAULT_MAX_OUTBOUND_PER_GROUP
    const now = options.now ?? this.#now()
    const random = options.random ?? Math.random
    const used = new Map<string, number>()
    const candidates = new Map<string, AddressEntry[]>()
    const capOf = (group: string): number => (isLocalNetgroup(group) ? Number.POSITIVE_INFINITY : maxPerGroup)
    for (const [group, members] of this.#groups) {
      const taken = outbound.get(group) ?? 0
      if (taken >= capOf(group)) continue
      used.set(group, taken)
      const eligible: AddressEntry[] = []
      for (const peerId of members) {
        const entry = this.#entries.get(peerId) as AddressEntry
        if (exclude.has(peerId) || entry.wrongChain || inBackoff(entry, now)) continue
        eligible.push(entry)
      }
      if (eligible.length > 0) candidates.set(group, eligible)
    }
    const picked: AddressEntry[] = []
    const groups = [...candidates.keys()]
    while (picked.length < count && groups.length > 0) {
      const at = randomIndex(groups.length, random)
      const group = groups[at] as string
      const eligible = candidates.get(group) as AddressEntry[]
      const entryAt = weightedIndex(eligible, random)
      picked.push({ ...(eligible[entryAt] as AddressEntry) })
      eligible.splice(entryAt, 1)
      const taken = (used.get(group) ?? 0) + 1
      used.set(group, taken)
      if (taken >= capOf(group) || eligible.length === 0) groups.splice(at, 1)
    }
    return picked
  }

  /**
   * What `/paw/peers/1` answers: a random sample of up to `max` entries that are not
   * terrible and have worked, or were heard of in the last 3 hours. Entries we never
   * reached and have not heard of lately may be stale, and passing them on would spread them.
   */
  forPeerList(
    exclude: ReadonlySet<string>,
    max: number = MAX_PEERS_PER_RESPONSE,
    random: () => number = Math.random,
    now: number = this.#now(),
  ): SharedAddress[] {
    const pool: AddressEntry[] = []
    for (const entry of this.#entries.values()) {
      if (exclude.has(entry.peerId) || isTerrible(entry, now)) continue
      if (entry.lastSuccess !== undefined || now - entry.lastSeen <= SHARE_UNSEEN_MS) pool.push(entry)
    }
    const take = Math.max(0, Math.min(Math.floor(max), pool.length))
    // A partial Fisher–Yates shuffle: the first `take` places get a uniform sample.
    for (let i = 0; i < take; i++) {
      const j = i + randomIndex(pool.length - i, random)
      const swap = pool[i] as AddressEntry
      pool[i] = pool[j] as AddressEntry
      pool[j] = swap
    }
    return pool.slice(0, take).map(({ peerId, ip, port }) => ({ peerId, ip, port }))
  }

  /** Writes the whole book to the store. @throws if the book has no store */
  async save(): Promise<void> {
    if (this.#store === undefined) throw new Error('this address book has no store')
    await this.#store.save(this.toDocument())
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

/**
 * Orders entries worst first: wrong chain, then never reached, then most failures, then
 * least recently seen; the peer ID breaks ties so eviction is deterministic.
 */
export function compareWorst(a: AddressEntry, b: AddressEntry): number {
  if (a.wrongChain !== b.wrongChain) return a.wrongChain ? -1 : 1
  const aReached = a.lastSuccess !== undefined
  const bReached = b.lastSuccess !== undefined
  if (aReached !== bReached) return aReached ? 1 : -1
  if (a.failures !== b.failures) return b.failures - a.failures
  if (a.lastSeen !== b.lastSeen) return a.lastSeen - b.lastSeen
  return a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0
}

function toStored(entry: AddressEntry): StoredAddressEntry {
  const stored: StoredAddressEntry = {
    peerId: entry.peerId,
    ip: entry.ip,
    port: entry.port,
    source: entry.source,
    firstSeen: entry.firstSeen,
    lastSeen: entry.lastSeen,
    failures: entry.failures,
    connectedMs: entry.connectedMs,
  }
  if (entry.chainId !== undefined) stored.chainId = entry.chainId
  if (entry.lastAttempt !== undefined) stored.lastAttempt = entry.lastAttempt
  if (entry.lastSuccess !== undefined) stored.lastSuccess = entry.lastSuccess
  if (entry.rttMs !== undefined) stored.rttMs = entry.rttMs
  if (entry.wrongChain) stored.wrongChain = true
  return stored
}

/** A stored entry checked field by field (the file may be old, edited or damaged); undefined if any is wrong. */
function fromStored(value: unknown): AddressEntry | undefined {
  if (!isRecord(value)) return undefined
  const { peerId, ip, port, chainId, source, firstSeen, lastSeen, lastAttempt, lastSuccess } = value
  const { failures, rttMs, connectedMs, wrongChain } = value
  if (
    typeof peerId !== 'string' ||
    typeof ip !== 'string' ||
    typeof port !== 'number' ||
    !(chainId === undefined || typeof chainId === 'string') ||
    !ADDRESS_SOURCES.includes(source as AddressSource) ||
    !isTime(firstSeen) ||
    !isTime(lastSeen) ||
    !(lastAttempt === undefined || isTime(lastAttempt)) ||
    !(lastSuccess === undefined || isTime(lastSuccess)) ||
    !(typeof failures === 'number' && Number.isSafeInteger(failures) && failures >= 0) ||
    !(rttMs === undefined || isNonNegative(rttMs)) ||
    !isNonNegative(connectedMs) ||
    !(wrongChain === undefined || typeof wrongChain === 'boolean')
  ) {
    return undefined
  }
  return {
    peerId,
    ip,
    port,
    chainId,
    source: source as AddressSource,
    firstSeen,
    lastSeen,
    lastAttempt,
    lastSuccess,
    failures,
    rttMs,
    connectedMs,
    wrongChain: wrongChain ?? false,
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function validPeerId(peerId: unknown): boolean {
  return typeof peerId === 'string' && peerId.length <= MAX_PEER_ID_LENGTH && PEER_ID_TEXT.test(peerId)
}

function validPort(port: unknown): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

/** An index in [0, length) from random() in [0, 1); robust to a random() that returns 1. */
function randomIndex(length: number, random: () => number): number {
  return Math.min(length - 1, Math.max(0, Math.floor(random() * length)))
}

/** An index into `entries` with probability proportional to addressQuality. */
function weightedIndex(entries: readonly AddressEntry[], random: () => number): number {
  const weights = entries.map(addressQuality)
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  let point = random() * total
  for (let i = 0; i < weights.length; i++) {
    point -= weights[i] as number
    if (point < 0) return i
  }
  return entries.length - 1
}
