/**
 * 000 discoverPeers() and seed crawling (004 §2, DECISIONS.md "Peer exchange"): a node
 * fills its address book from its peers' `/paw/peers/1` answers, and from seed nodes while
 * it has too few addresses to reach min_outbound. Browser-safe.
 *
 * - Every new outbound peer is asked once (within the 10 s rule) while the book holds
 *   fewer than WANT_ADDRESSES entries: peer exchange between ordinary nodes. Inbound peers
 *   are not asked on connecting: whoever dials us chooses to, so an attacker with many
 *   connections could otherwise fill the book with its own list (Bitcoin sends getaddr to
 *   outbound peers only, for this reason); and a node under inbound churn opens no
 *   stream per newcomer. They are still asked by tick() and discoverPeers().
 * - Seeds are dialled by address (004 §2.2 lists host:port, no identity), asked, and
 *   disconnected: a seed in seed mode disconnects us itself. A seed that cannot be reached
 *   is retried with backoff min(2^n s, 600 s) and logged at INFO: never fatal, and a node
 *   whose DNS seeds do not resolve keeps running on what else it knows.
 * - While outbound is below min_outbound and the address book has no candidate to dial,
 *   each maintenance pass asks the connected peers that may be asked again (10 s rule),
 *   and only if they know nobody new, a seed (again after SEED_RECRAWL_MS).
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerInfo } from '../api/peers.ts'
import type { DiscoveryStats } from '../api/stats.ts'
import type { Logger } from '../logging.ts'
import type { PeerList } from '../wire/peer-list.ts'
import { parsePeerAddress } from './address.ts'
import type { AddressBook } from './address-book.ts'
import type { AddressSource } from './address-entry.ts'
import { reconnectDelayMs } from './backoff.ts'

/** Peer exchange runs while the book holds fewer addresses than this. */
export const WANT_ADDRESSES = 1_000
/** A seed that answered is asked again no sooner than this (the 10 s rule, with margin), and only while still short. */
export const SEED_RECRAWL_MS = 11_000

/** What discovery needs of the node. */
export interface DiscoveryPeers {
  connectToPeer(address: Multiaddr, options?: AbortOptions): Promise<PeerInfo>
  connectedPeers(): PeerInfo[]
  disconnectPeer(peerId: string): void
  /** Outbound peers connected, handshaking or being dialled; and the goal. */
  outbound(): number
  minOutbound(): number
  /** Whether the address book can offer a peer to dial now. */
  hasCandidates(): boolean
}

export interface DiscoveryInit {
  book: AddressBook
  peers: DiscoveryPeers
  getPeers(peerId: string, options?: AbortOptions): Promise<PeerList>
  mayAsk(peerId: string): boolean
  seeds: readonly string[]
  log: Logger
  now?: () => number
}

interface SeedState {
  text: string
  address: Multiaddr
  failures: number
  nextAt: number
  crawling: boolean
}

export type { DiscoveryStats }

export class Discovery {
  readonly #init: DiscoveryInit
  readonly #log: Logger
  readonly #now: () => number
  readonly #seeds: SeedState[]
  /** Peer IDs of seeds we connected to for a crawl: disconnected once asked. */
  readonly #seedPeers = new Set<string>()
  readonly #stats: DiscoveryStats = { seedDials: 0, seedFailures: 0, listsReceived: 0, addressesAdded: 0 }

  constructor(init: DiscoveryInit) {
    this.#init = init
    this.#log = init.log
    this.#now = init.now ?? Date.now
    this.#seeds = init.seeds.map((text) => ({
      text,
      address: parsePeerAddress(text),
      failures: 0,
      nextAt: 0,
      crawling: false,
    }))
  }

  stats(): DiscoveryStats {
    return { ...this.#stats }
  }

  /** A peer completed its handshake: ask it for peers if we dialled it and the book wants more. */
  async onConnected(info: PeerInfo, options: AbortOptions = {}): Promise<number> {
    if (info.direction !== 'outbound') return 0
    // The handshake event comes before the dial that made it resolves: let a seed crawl
    // claim its peer first (#crawl asks a seed itself, then disconnects it).
    await new Promise((resolve) => setTimeout(resolve, 0))
    options.signal?.throwIfAborted()
    if (this.#seedPeers.has(info.peerId)) return 0
    if (this.#init.book.size >= WANT_ADDRESSES || !this.#init.mayAsk(info.peerId)) return 0
    return this.#answered(await this.#ask(info.peerId, 'exchange', options), options)
  }

  /**
   * 000 discoverPeers(): asks every connected peer that may be asked now, and the seeds if
   * the book is empty. Resolves with the number of new addresses.
   * @throws the signal's reason if `options.signal` aborts
   */
  async discoverPeers(options: AbortOptions = {}): Promise<number> {
    options.signal?.throwIfAborted()
    const asked = this.#init.peers
      .connectedPeers()
      .filter((info) => this.#init.mayAsk(info.peerId))
      .map((info) => this.#ask(info.peerId, 'exchange', options))
    let added = (await Promise.all(asked)).reduce((sum, n) => sum + n, 0)
    options.signal?.throwIfAborted()
    if (this.#init.book.size === 0) added += await this.#crawlDueSeeds(true, options)
    return this.#answered(added, options)
  }

  /** A maintenance pass: while we cannot reach min_outbound, ask our peers, then a seed. */
  async tick(options: AbortOptions = {}): Promise<number> {
    options.signal?.throwIfAborted()
    const { peers } = this.#init
    if (peers.outbound() >= peers.minOutbound() || peers.hasCandidates()) return 0
    const fromPeers = await Promise.all(
      peers
        .connectedPeers()
        .filter((info) => !this.#seedPeers.has(info.peerId) && this.#init.mayAsk(info.peerId))
        .map((info) => this.#ask(info.peerId, 'exchange', options)),
    )
    const learned = this.#answered(
      fromPeers.reduce((sum, n) => sum + n, 0),
      options,
    )
    return learned > 0 ? learned : this.#answered(await this.#crawlDueSeeds(false, options), options)
  }

  /** `count`, unless the caller gave up meanwhile (an aborted call rejects with the signal's reason). */
  #answered(count: number, options: AbortOptions): number {
    options.signal?.throwIfAborted()
    return count
  }

  async #crawlDueSeeds(all: boolean, options: AbortOptions): Promise<number> {
    const now = this.#now()
    const due = this.#seeds.filter((seed) => !seed.crawling && seed.nextAt <= now)
    // Seeds in their listed order (DNS seeds first, then IP fallbacks): one per pass is
    // enough to learn the network; the next is tried when that one fails.
    const chosen = all ? due : due.slice(0, 1)
    const counts = await Promise.all(chosen.map((seed) => this.#crawl(seed, options)))
    return counts.reduce((sum, n) => sum + n, 0)
  }

  async #crawl(seed: SeedState, options: AbortOptions): Promise<number> {
    seed.crawling = true
    this.#stats.seedDials++
    try {
      const info = await this.#init.peers.connectToPeer(seed.address, options)
      this.#seedPeers.add(info.peerId)
      try {
        const added = this.#init.mayAsk(info.peerId) ? await this.#ask(info.peerId, 'seed', options) : 0
        seed.failures = 0
        seed.nextAt = this.#now() + SEED_RECRAWL_MS
        this.#log.info('seed crawled', { seed: seed.text, peer: info.peerId, added })
        return added
      } finally {
        this.#seedPeers.delete(info.peerId)
        this.#init.peers.disconnectPeer(info.peerId)
      }
    } catch (error) {
      // The caller gave up: not the seed's failure, so no backoff.
      if (options.signal?.aborted === true) return 0
      this.#stats.seedFailures++
      const retryInMs = reconnectDelayMs(seed.failures)
      seed.failures++
      seed.nextAt = this.#now() + retryInMs
      this.#log.info('seed unreachable', { seed: seed.text, error: (error as Error).message, retryInMs })
      return 0
    } finally {
      seed.crawling = false
    }
  }

  /** Asks one peer; adds what it lists. Failures are the peer's to answer for, not ours. */
  async #ask(peerId: string, source: AddressSource, options: AbortOptions = {}): Promise<number> {
    try {
      const list = await this.#init.getPeers(peerId, options)
      this.#stats.listsReceived++
      let added = 0
      for (const peer of list.peers) {
        const outcome = this.#init.book.add({ peerId: peer.id, ip: peer.ip, port: peer.port, source })
        if (outcome === 'added' || outcome === 'replaced') added++
      }
      this.#stats.addressesAdded += added
      this.#log.debug('peer list received', { peer: peerId, listed: list.peers.length, added })
      return added
    } catch (error) {
      this.#log.debug('get_peers failed', { peer: peerId, error: (error as Error).message })
      return 0
    }
  }
}
