/**
 * Persistent bans (000 "Reputation System", issue 7 item 3): the operator's `ban` command
 * and peers whose reputation fell too far are refused for a while, across restarts. A ban
 * has a reason and an end; an expired ban is no ban and is pruned. A ban that carries the
 * peer's IP also refuses that IP, since a banned operator can mint a new peer id for free
 * but not a new address as easily. Saved as one JSON document through a JsonStore, so the
 * same class serves node homes (atomic file) and browsers (memory). Browser-safe.
 */

import type { AbortOptions } from '@libp2p/interface'
import type { Ban, BanListDocument, BanSource, StoredBan } from '../api/stores.ts'
import { ipFamily } from '../wire/ip.ts'
import type { JsonStore } from './json-store.ts'

export type { Ban, BanListDocument, BanSource, StoredBan }

export interface BanOptions {
  durationMs: number
  reason: string
  ip?: string | undefined
  source: BanSource
}

/** Bitcoin Core's default bantime (-bantime=86400): long enough to outlast a misbehaving peer's session, short enough that a mistaken automatic ban heals by itself. */
export const DEFAULT_BAN_MS = 24 * 60 * 60_000
/** The longest ban: an operator who wants a peer gone for longer can renew it; a bound keeps a typo (`1000w`) or a tampered file from banning forever. */
export const MAX_BAN_MS = 365 * 24 * 60 * 60_000

const SOURCES: ReadonlySet<string> = new Set<BanSource>(['operator', 'reputation'])
/** Bounds what a (possibly hand-edited) file can make us hold in memory per entry. */
const MAX_TEXT_LENGTH = 1_000

export class BanList {
  readonly #store: JsonStore<BanListDocument>
  readonly #now: () => number
  /** By peer id: one ban per peer, the longest asked for. */
  readonly #bans = new Map<string, Ban>()
  #ignoredOnLoad = 0
  /** The last save in the queue: saves run one at a time, each writing the state of its turn. */
  #saving: Promise<void> = Promise.resolve()

  private constructor(store: JsonStore<BanListDocument>, now: () => number) {
    this.#store = store
    this.#now = now
  }

  /**
   * Loads the bans saved in `store`, dropping expired ones and skipping invalid entries
   * (counted in ignoredOnLoad) so one bad line does not cost the operator every other ban.
   * @throws if the store cannot be read or holds a document of another version (refused
   * rather than overwritten, which would lose a newer node's bans)
   */
  static async open(
    init: { store: JsonStore<BanListDocument>; now?: () => number },
    options: AbortOptions = {},
  ): Promise<BanList> {
    const list = new BanList(init.store, init.now ?? Date.now)
    const document: unknown = await init.store.load(options)
    if (document === undefined) return list
    if (!isRecord(document) || document.version !== 1 || !Array.isArray(document.bans)) {
      throw new TypeError('the ban list is not a version 1 document ({ "version": 1, "bans": [...] })')
    }
    const now = list.#now()
    for (const entry of document.bans) {
      const ban = banFromStored(entry)
      if (ban === undefined) {
        list.#ignoredOnLoad += 1
      } else if (ban.until > now && (list.#bans.get(ban.peerId)?.until ?? -Infinity) < ban.until) {
        list.#bans.set(ban.peerId, ban)
      }
    }
    return list
  }

  /** How many entries of the loaded document failed validation and were skipped. */
  get ignoredOnLoad(): number {
    return this.#ignoredOnLoad
  }

  /**
   * Bans `peerId` for `durationMs` from now and saves. An active ban that lasts longer is
   * kept as it is (a short automatic ban must not cut an operator's long one short); a
   * shorter one is replaced by this one. Resolves, with the ban in force, after the save.
   * The signal is looked at before anything changes: a ban in force is always saved.
   * @throws RangeError for a duration outside (0, MAX_BAN_MS]; TypeError for invalid IP
   * text; the signal's reason if it was aborted
   */
  async ban(peerId: string, options: BanOptions & AbortOptions): Promise<Ban> {
    options.signal?.throwIfAborted()
    const { durationMs, reason, source } = options
    if (!(durationMs > 0 && durationMs <= MAX_BAN_MS)) {
      throw new RangeError(`a ban lasts more than 0 ms and at most ${formatDuration(MAX_BAN_MS)}`)
    }
    let ip: string | undefined
    if (options.ip !== undefined) {
      ip = normalizeIp(options.ip)
      if (ip === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(options.ip)}`)
    }
    const now = this.#now()
    const existing = this.isBanned(peerId)
    let ban: Ban
    if (existing !== undefined && existing.until >= now + durationMs) {
      // Kept, but learning the peer's IP still tightens it.
      ban = existing.ip === undefined && ip !== undefined ? Object.freeze({ ...existing, ip }) : existing
    } else {
      ban = Object.freeze({
        peerId,
        ip: ip ?? existing?.ip,
        reason,
        createdAt: now,
        until: now + durationMs,
        source,
      })
    }
    this.#bans.set(peerId, ban)
    await this.save()
    return ban
  }

  /** Lifts the ban on `peerId`; true if there was an active one. Resolves after the save. */
  async unban(peerId: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    if (this.isBanned(peerId) === undefined) return false
    this.#bans.delete(peerId)
    await this.save()
    return true
  }

  /** The active ban on `peerId`, if any. */
  isBanned(peerId: string): Ban | undefined {
    const ban = this.#bans.get(peerId)
    if (ban === undefined) return undefined
    if (ban.until > this.#now()) return ban
    this.#bans.delete(peerId)
    return undefined
  }

  /** The active ban (the longest, if several) carrying this IP, compared normalised (`::ffff:1.2.3.4` is `1.2.3.4`). */
  isIpBanned(ip: string): Ban | undefined {
    const normalized = normalizeIp(ip)
    if (normalized === undefined) return undefined
    const now = this.#now()
    let found: Ban | undefined
    for (const ban of this.#bans.values()) {
      if (ban.ip === normalized && ban.until > now && (found === undefined || ban.until > found.until))
        found = ban
    }
    return found
  }

  /** The active bans, soonest-expiring first. */
  list(): Ban[] {
    this.prune()
    return [...this.#bans.values()].sort((a, b) => a.until - b.until || compareText(a.peerId, b.peerId))
  }

  /**
   * Drops expired bans from memory; returns how many. Does not save: an expired entry left
   * on disk is dropped at the next load anyway, and the next ban or unban writes the pruned list.
   */
  prune(): number {
    const now = this.#now()
    let pruned = 0
    for (const [peerId, ban] of this.#bans) {
      if (ban.until <= now) {
        this.#bans.delete(peerId)
        pruned += 1
      }
    }
    return pruned
  }

  /**
   * Writes the active bans. Saves are serialised, and each writes the state at its turn,
   * so the last save to resolve has written the latest state. A failed save rejects its
   * caller only; the next one still runs.
   */
  save(options: AbortOptions = {}): Promise<void> {
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason)
    const next = this.#saving.catch(() => undefined).then(() => this.#store.save(this.#document(), options))
    this.#saving = next
    return next
  }

  #document(): BanListDocument {
    return {
      version: 1,
      bans: this.list().map((ban) => ({
        peerId: ban.peerId,
        ip: ban.ip ?? null,
        reason: ban.reason,
        createdAt: ban.createdAt,
        until: ban.until,
        source: ban.source,
      })),
    }
  }
}

/** A ban from a stored entry, or undefined if the entry is not a valid one. */
function banFromStored(entry: unknown): Ban | undefined {
  if (!isRecord(entry)) return undefined
  const { peerId, ip, reason, createdAt, until, source } = entry
  if (typeof peerId !== 'string' || peerId === '' || peerId.length > MAX_TEXT_LENGTH) return undefined
  if (typeof reason !== 'string' || reason.length > MAX_TEXT_LENGTH) return undefined
  if (typeof source !== 'string' || !SOURCES.has(source)) return undefined
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return undefined
  if (typeof until !== 'number' || !(until > createdAt && until - createdAt <= MAX_BAN_MS)) return undefined
  let normalized: string | undefined
  if (ip !== null && ip !== undefined) {
    normalized = typeof ip === 'string' ? normalizeIp(ip) : undefined
    if (normalized === undefined) return undefined
  }
  return Object.freeze({ peerId, ip: normalized, reason, createdAt, until, source: source as BanSource })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The one text of an IP address, so a ban matches however the address was written:
 * IPv4 as is (ip.ts already refuses leading zeros), IPv4-mapped IPv6 as its IPv4, other
 * IPv6 in RFC 5952 form (lower case, no leading zeros, the longest run of zero groups as `::`).
 * Undefined for text that is not an IP address.
 */
export function normalizeIp(text: string): string | undefined {
  const family = ipFamily(text)
  if (family === 4) return text
  if (family === undefined) return undefined
  const groups = ipv6Groups(text)
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = [groups[6] as number, groups[7] as number]
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
  }
  // The longest run of two or more zero groups (the first, on a tie) becomes `::`.
  let bestStart = -1
  let bestLength = 1
  for (let start = 0; start < 8; ) {
    let end = start
    while (end < 8 && groups[end] === 0) end += 1
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start]
    start = end === start ? start + 1 : end
  }
  const hex = groups.map((group) => group.toString(16))
  if (bestStart === -1) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/** The eight 16-bit groups of IPv6 text that isIPv6 accepted. */
function ipv6Groups(text: string): number[] {
  const toGroups = (half: string): number[] => {
    if (half === '') return []
    return half.split(':').flatMap((part) => {
      if (!part.includes('.')) return [Number.parseInt(part, 16)]
      const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number]
      return [(a << 8) | b, (c << 8) | d]
    })
  }
  const [head = '', tail] = text.split('::')
  const headGroups = toGroups(head)
  if (tail === undefined) return headGroups
  const tailGroups = toGroups(tail)
  return [
    ...headGroups,
    ...new Array<number>(8 - headGroups.length - tailGroups.length).fill(0),
    ...tailGroups,
  ]
}

const UNIT_MS = {
  w: 7 * 24 * 60 * 60_000,
  d: 24 * 60 * 60_000,
  h: 60 * 60_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const
type DurationUnit = keyof typeof UNIT_MS
const DURATION_PART = /(\d+)(ms|[wdhms])/y

/**
 * A duration as the CLI takes it: `30s`, `10m`, `2h`, `7d`, `1w` (also `500ms`, and
 * combinations such as `1d 3h`, which is what formatDuration prints), or plain digits
 * meaning milliseconds.
 * @throws TypeError naming the accepted forms
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  const invalid = () =>
    new TypeError(
      `invalid duration ${JSON.stringify(text)}: expected a number with a unit (30s, 10m, 2h, 7d, 1w, or combined as 1d 3h) or plain milliseconds`,
    )
  let total: number
  if (/^\d+$/.test(trimmed)) {
    total = Number(trimmed)
  } else {
    const compact = trimmed.replace(/\s+/g, '')
    // Spaces only between parts: "1 d" is refused, "1d 3h" accepted.
    if (compact === '' || /\d\s+[a-z]/.test(trimmed)) throw invalid()
    total = 0
    DURATION_PART.lastIndex = 0
    while (DURATION_PART.lastIndex < compact.length) {
      const match = DURATION_PART.exec(compact)
      if (match === null) throw invalid()
      total += Number(match[1]) * UNIT_MS[match[2] as DurationUnit]
    }
  }
  if (!Number.isSafeInteger(total)) throw new TypeError(`duration ${JSON.stringify(text)} is too long`)
  return total
}

/**
 * A duration for people: its largest unit and, if not zero, the next one down, truncated
 * ("2h", "1d 3h", "45s"). Units as parseDuration reads them, so the text parses back (to
 * at most the original).
 * @throws RangeError for a negative or non-finite duration
 */
export function formatDuration(ms: number): string {
  if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`not a duration: ${ms}`)
  let rest = Math.floor(ms)
  const units = Object.keys(UNIT_MS) as DurationUnit[]
  const parts: string[] = []
  for (const unit of units) {
    const count = Math.floor(rest / UNIT_MS[unit])
    rest -= count * UNIT_MS[unit]
    if (parts.length === 1) {
      if (count > 0) parts.push(`${count}${unit}`)
      break
    }
    if (count > 0) parts.push(`${count}${unit}`)
  }
  return parts.length === 0 ? '0s' : parts.join(' ')
}
