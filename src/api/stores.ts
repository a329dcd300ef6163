/**
 * What the peer layer keeps across restarts, as a caller may provide or read it
 * (PawNodeInit.addressBookStore, banStore; PawNode.bans): the store and the documents saved
 * in it. src/peers/ban-list.ts and address-book-document.ts read and check them. Imports
 * nothing internal. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'

/**
 * One JSON document that must survive a restart. Node homes use an atomically replaced file
 * (src/node/atomic-json-file.ts); browsers and tests use memory.
 */
export interface JsonStore<T> {
  /** The saved document, or undefined if nothing was ever saved. @throws if it exists but cannot be read */
  load(options?: AbortOptions): Promise<T | undefined>
  /** Replaces the document; after it resolves, a crash leaves either the old or the new one, whole. */
  save(document: T, options?: AbortOptions): Promise<void>
}

/** Who asked for a ban: shown by the CLI, and lets the operator lift only their own. */
export type BanSource = 'operator' | 'reputation'

export interface Ban {
  readonly peerId: string
  /** The peer's IP when banned (normalised, see normalizeIp), or undefined for a peer-id-only ban. */
  readonly ip: string | undefined
  readonly reason: string
  /** ms epoch when this ban was set (or last extended). */
  readonly createdAt: number
  /** ms epoch when it ends: banned while now < until. */
  readonly until: number
  readonly source: BanSource
}

/** The stored document. `ip` is null on disk where the ban has none (JSON has no undefined). */
export interface BanListDocument {
  version: 1
  bans: StoredBan[]
}

export interface StoredBan {
  peerId: string
  ip: string | null
  reason: string
  createdAt: number
  until: number
  source: BanSource
}

/** Where we first heard of an address. `exchange` is hearsay from another peer's `/paw/peers/1` answer. */
export type AddressSource = 'seed' | 'bootstrap' | 'exchange' | 'inbound' | 'manual'

/** An address book entry as saved: JSON drops undefined, so those fields are optional. */
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

/** The address book as saved (the home's address book file). */
export interface AddressBookDocument {
  version: 1
  chainId: string
  entries: StoredAddressEntry[]
}
