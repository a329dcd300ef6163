/**
 * Persistent bans (000 "Reputation System", issue 7 item 3): the operator's `ban` command
 * and peers whose reputation fell too far are refused for a while, across restarts. A ban
 * has a reason and an end; an expired ban is no ban and is pruned. A ban that carries the
 * peer's IP also refuses that IP, since a banned operator can mint a new peer id for free
 * but not a new address as easily. The operator can also ban an IP or a whole subnet, as
 * Bitcoin Core's `setban` does (src/peers/ip-subnet.ts). Saved as one JSON document through a
 * JsonStore, so the same class serves node homes (atomic file) and browsers (memory).
 * Browser-safe.
 */

import type { AbortOptions } from '@libp2p/interface'
import type { IpBan } from '../api/node.ts'
import type { Ban, BanListDocument, BanSource, StoredBan } from '../api/stores.ts'
import { formatDuration, parseDuration } from './ban-duration.ts'
import { IP_FORMS, normalizeIp, parseSubnet, type Subnet } from './ip-subnet.ts'
import type { JsonStore } from './json-store.ts'

export type { Ban, BanListDocument, BanSource, IpBan, StoredBan }
/** Also here, where src/cli/format.ts has always taken them. */
export { formatDuration, parseDuration }

/**
 * The document as saved. Version 2 adds `ipBans` and is written only while there are some, so
 * a node that never banned an address keeps a file older nodes read; an older node refuses a
 * version 2 file rather than drop its IP bans on its next save.
 * (BanListDocument in src/api/stores.ts still names version 1 only.)
 */
interface BanListFile {
  version: 1 | 2
  bans: StoredBan[]
  ipBans?: StoredIpBan[]
}

interface StoredIpBan {
  ip: string
  reason: string
  createdAt: number
  until: number
  source: BanSource
}

interface HeldIpBan {
  ban: IpBan
  subnet: Subnet
}

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
  /** By the IP or subnet's text (Subnet.text): one ban per range, the longest asked for. */
  readonly #ipBans = new Map<string, HeldIpBan>()
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
    const ipBans = isRecord(document) && document.version === 2 ? document.ipBans : []
    if (
      !isRecord(document) ||
      (document.version !== 1 && document.version !== 2) ||
      !Array.isArray(document.bans) ||
      !Array.isArray(ipBans)
    ) {
      throw new TypeError(
        'the ban list is not a version 1 or 2 document ({ "version": 1, "bans": [...] }, { "version": 2, "bans": [...], "ipBans": [...] })',
      )
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
    for (const entry of ipBans) {
      const held = ipBanFromStored(entry)
      if (held === undefined) {
        list.#ignoredOnLoad += 1
      } else if (
        held.ban.until > now &&
        (list.#ipBans.get(held.ban.ip)?.ban.until ?? -Infinity) < held.ban.until
      ) {
        list.#ipBans.set(held.ban.ip, held)
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
    checkDuration(durationMs)
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

  /**
   * Bans an IP or a subnet (IP_FORMS) for `durationMs` from now and saves, keeping a longer
   * active ban of the same range as ban() does. In force before the save resolves.
   * @throws RangeError for a duration outside (0, MAX_BAN_MS]; TypeError for text that is
   * neither an IP nor a subnet; the signal's reason if it was aborted
   */
  async banIp(ip: string, options: Omit<BanOptions, 'ip'> & AbortOptions): Promise<IpBan> {
    options.signal?.throwIfAborted()
    const { durationMs, reason, source } = options
    checkDuration(durationMs)
    const subnet = parseSubnet(ip)
    if (subnet === undefined)
      throw new TypeError(`not an IP or subnet: ${JSON.stringify(ip)} (expected ${IP_FORMS})`)
    const now = this.#now()
    const existing = this.#activeIpBan(subnet.text)
    let held: HeldIpBan
    if (existing !== undefined && existing.ban.until >= now + durationMs) {
      held = existing
    } else {
      const ban: IpBan = Object.freeze({
        ip: subnet.text,
        reason,
        createdAt: now,
        until: now + durationMs,
        source,
      })
      held = { ban, subnet }
    }
    this.#ipBans.set(subnet.text, held)
    await this.save()
    return held.ban
  }

  /** Lifts the ban on exactly this IP or subnet (any text of it); true if there was an active one. Resolves after the save. */
  async unbanIp(ip: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const text = parseSubnet(ip)?.text
    if (text === undefined || this.#activeIpBan(text) === undefined) return false
    this.#ipBans.delete(text)
    await this.save()
    return true
  }

  /** The active IP and subnet bans, soonest-expiring first. */
  ipBans(): IpBan[] {
    this.prune()
    return [...this.#ipBans.values()]
      .map((held) => held.ban)
      .sort((a, b) => a.until - b.until || compareText(a.ip, b.ip))
  }

  #activeIpBan(text: string): HeldIpBan | undefined {
    const held = this.#ipBans.get(text)
    if (held === undefined || held.ban.until > this.#now()) return held
    this.#ipBans.delete(text)
    return undefined
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

  /**
   * The active ban (the longest, if several) that refuses this IP: a peer ban carrying it, or
   * an IP or subnet ban containing it. Compared normalised (`::ffff:1.2.3.4` is `1.2.3.4`).
   * The connection gater asks this of every socket, on dial and inbound.
   */
  isIpBanned(ip: string): Ban | IpBan | undefined {
    const normalized = normalizeIp(ip)
    if (normalized === undefined) return undefined
    const now = this.#now()
    let found: Ban | IpBan | undefined
    const consider = (ban: Ban | IpBan): void => {
      if (ban.until > now && (found === undefined || ban.until > found.until)) found = ban
    }
    for (const ban of this.#bans.values()) if (ban.ip === normalized) consider(ban)
    for (const { ban, subnet } of this.#ipBans.values()) if (subnet.contains(normalized)) consider(ban)
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
    for (const [text, { ban }] of this.#ipBans) {
      if (ban.until <= now) {
        this.#ipBans.delete(text)
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
    // A version 2 file where BanListDocument still says 1 (see BanListFile).
    const save = () => this.#store.save(this.#document() as unknown as BanListDocument, options)
    const next = this.#saving.catch(() => undefined).then(save)
    this.#saving = next
    return next
  }

  #document(): BanListFile {
    const bans = this.list().map((ban) => ({
      peerId: ban.peerId,
      ip: ban.ip ?? null,
      reason: ban.reason,
      createdAt: ban.createdAt,
      until: ban.until,
      source: ban.source,
    }))
    const ipBans = this.ipBans().map(({ ip, reason, createdAt, until, source }) => ({
      ip,
      reason,
      createdAt,
      until,
      source,
    }))
    return ipBans.length === 0 ? { version: 1, bans } : { version: 2, bans, ipBans }
  }
}

function checkDuration(durationMs: number): void {
  if (!(durationMs > 0 && durationMs <= MAX_BAN_MS)) {
    throw new RangeError(`a ban lasts more than 0 ms and at most ${formatDuration(MAX_BAN_MS)}`)
  }
}

/** What a stored ban of either kind must hold, checked; undefined if it does not. */
function checkedCommon(entry: Record<string, unknown>): Omit<IpBan, 'ip'> | undefined {
  const { reason, createdAt, until, source } = entry
  if (typeof reason !== 'string' || reason.length > MAX_TEXT_LENGTH) return undefined
  if (typeof source !== 'string' || !SOURCES.has(source)) return undefined
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return undefined
  if (typeof until !== 'number' || !(until > createdAt && until - createdAt <= MAX_BAN_MS)) return undefined
  return { reason, createdAt, until, source: source as BanSource }
}

/** An IP ban from a stored entry, or undefined if the entry is not a valid one. */
function ipBanFromStored(entry: unknown): HeldIpBan | undefined {
  if (!isRecord(entry) || typeof entry.ip !== 'string' || entry.ip.length > MAX_TEXT_LENGTH) return undefined
  const common = checkedCommon(entry)
  const subnet = parseSubnet(entry.ip)
  if (common === undefined || subnet === undefined) return undefined
  return { ban: Object.freeze({ ip: subnet.text, ...common }), subnet }
}

/** A ban from a stored entry, or undefined if the entry is not a valid one. */
function banFromStored(entry: unknown): Ban | undefined {
  if (!isRecord(entry)) return undefined
  const { peerId, ip } = entry
  if (typeof peerId !== 'string' || peerId === '' || peerId.length > MAX_TEXT_LENGTH) return undefined
  const common = checkedCommon(entry)
  if (common === undefined) return undefined
  let normalized: string | undefined
  if (ip !== null && ip !== undefined) {
    normalized = typeof ip === 'string' ? normalizeIp(ip) : undefined
    if (normalized === undefined) return undefined
  }
  return Object.freeze({ peerId, ip: normalized, ...common })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
