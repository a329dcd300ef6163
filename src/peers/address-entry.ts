/**
 * An address book entry and how the book judges one (src/peers/address-book.ts): the
 * dial backoff, "terrible" (worth no space), the quality that weights selection, and the
 * eviction order. Pure functions of an entry and a time. Browser-safe.
 */
import type { AddressSource } from '../api/stores.ts'
import { MAX_PEER_ID_LENGTH } from '../wire/constants.ts'
import { reconnectDelayMs } from './backoff.ts'

export type { AddressSource }

/** Every AddressSource (a saved entry's must be one): a Record's keys, so that one left out fails to compile. */
export const ADDRESS_SOURCES = Object.keys({
  seed: true,
  bootstrap: true,
  exchange: true,
  inbound: true,
  manual: true,
} satisfies Record<AddressSource, true>) as readonly AddressSource[]

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

/** A `/paw/peers/1` entry. */
export interface SharedAddress {
  peerId: string
  ip: string
  port: number
}

const HOUR_MS = 60 * 60_000
const DAY_MS = 24 * HOUR_MS
/** Failing this many times, with no success for TERRIBLE_NO_SUCCESS_MS, makes an entry terrible. */
const TERRIBLE_FAILURES = 3
const TERRIBLE_NO_SUCCESS_MS = 7 * DAY_MS
/** Not announced or connected for this long makes an entry terrible. */
const TERRIBLE_UNSEEN_MS = 30 * DAY_MS
/** Just dialled: give the dial its chance before judging the entry (addrman does the same). */
const GRACE_AFTER_ATTEMPT_MS = 60_000

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

/** A peer ID as announced: base58/base36 text within the wire bound. */
export function validPeerId(peerId: unknown): boolean {
  return typeof peerId === 'string' && peerId.length <= MAX_PEER_ID_LENGTH && PEER_ID_TEXT.test(peerId)
}

export function validPort(port: unknown): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}
