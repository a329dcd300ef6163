/**
 * Choosing from the address book (src/peers/address-book.ts): which peers to dial next,
 * and which addresses to share in a `/paw/peers/1` answer. Pure functions of the book's
 * entries, a time and a random source, so both are deterministic under test. Browser-safe.
 */
import { MAX_PEERS_PER_RESPONSE } from '../wire/constants.ts'
import {
  type AddressEntry,
  addressQuality,
  inBackoff,
  isTerrible,
  type SharedAddress,
} from './address-entry.ts'
import { isLocalNetgroup } from './netgroup.ts'

export const DEFAULT_MAX_OUTBOUND_PER_GROUP = 2

/** /paw/peers/1 shares entries that worked, or were heard of this recently (3 hours). */
const SHARE_UNSEEN_MS = 3 * 60 * 60_000

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

/**
 * Up to `count` peers to dial: a group chosen uniformly among the groups with a
 * candidate, then an entry in it weighted by addressQuality, repeated. Skips excluded,
 * wrong-chain and backing-off entries, and never lets a group's outbound peers (those in
 * `outboundGroups` plus those picked here) exceed `maxOutboundPerGroup`. Deterministic for
 * a given book and `random`. Returns copies.
 */
export function selectForDial(
  groups: ReadonlyMap<string, ReadonlySet<string>>,
  entries: ReadonlyMap<string, AddressEntry>,
  count: number,
  options: SelectOptions & { now: number },
): AddressEntry[] {
  const exclude = options.exclude ?? new Set<string>()
  const outbound = options.outboundGroups ?? new Map<string, number>()
  const maxPerGroup = options.maxOutboundPerGroup ?? DEFAULT_MAX_OUTBOUND_PER_GROUP
  const random = options.random ?? Math.random
  const { now } = options
  const used = new Map<string, number>()
  const candidates = new Map<string, AddressEntry[]>()
  const capOf = (group: string): number => (isLocalNetgroup(group) ? Number.POSITIVE_INFINITY : maxPerGroup)
  for (const [group, members] of groups) {
    const taken = outbound.get(group) ?? 0
    if (taken >= capOf(group)) continue
    used.set(group, taken)
    const eligible: AddressEntry[] = []
    for (const peerId of members) {
      const entry = entries.get(peerId) as AddressEntry
      if (exclude.has(peerId) || entry.wrongChain || inBackoff(entry, now)) continue
      eligible.push(entry)
    }
    if (eligible.length > 0) candidates.set(group, eligible)
  }
  const picked: AddressEntry[] = []
  const open = [...candidates.keys()]
  while (picked.length < count && open.length > 0) {
    const at = randomIndex(open.length, random)
    const group = open[at] as string
    const eligible = candidates.get(group) as AddressEntry[]
    const entryAt = weightedIndex(eligible, random)
    picked.push({ ...(eligible[entryAt] as AddressEntry) })
    eligible.splice(entryAt, 1)
    const taken = (used.get(group) ?? 0) + 1
    used.set(group, taken)
    if (taken >= capOf(group) || eligible.length === 0) open.splice(at, 1)
  }
  return picked
}

/**
 * What `/paw/peers/1` answers: a random sample of up to `max` entries that are not
 * terrible and have worked, or were heard of in the last 3 hours. Entries we never
 * reached and have not heard of lately may be stale, and passing them on would spread them.
 */
export function sampleForPeerList(
  entries: Iterable<AddressEntry>,
  exclude: ReadonlySet<string>,
  now: number,
  max: number = MAX_PEERS_PER_RESPONSE,
  random: () => number = Math.random,
): SharedAddress[] {
  const pool: AddressEntry[] = []
  for (const entry of entries) {
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
