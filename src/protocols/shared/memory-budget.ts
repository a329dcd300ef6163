/**
 * The memory budget of the node's /paw/* streams (issue 15; docs/configuration.md
 * "Memory budget"), after go-libp2p's resource manager: bytes are reserved from a scope
 * before they are held, and a reservation the scope cannot grant is refused, never made
 * anyway. Two scopes: each peer (`peerBytes`) and the whole node (`nodeBytes`).
 *
 * What is reserved: every frame a stream decodes, from its header (before its body is
 * buffered) until the reader takes the next one; every frame written, until it is
 * written; the blocks of a `blocks` answer, as they are read from the store, until the
 * answer is written. Streams hold at most one frame each beyond that (framing.md "Frame
 * limits", "Reading one frame at a time"), so these reservations are what a peer can make
 * the node hold on its streams.
 *
 * A refusal at the node's limit first looks for the peer holding the most: if it holds
 * more than twice what the asker would after the reservation, its holdings are revoked,
 * largest first, until the new one fits (each revocation resets the stream that held it),
 * and it is reported (`onRevoke`) to be charged. An honest peer reading its answers holds little
 * and briefly; a peer that makes the node hold the most when memory runs out is the one
 * that goes. Browser-safe.
 */
import type { MemoryBudgetStats } from '../../api/stats.ts'
import { ResourceLimitExceededError } from '../../errors.ts'

export interface MemoryBudgetLimits {
  /** Bytes all peers together may make the node hold. */
  nodeBytes: number
  /** Bytes one peer may make the node hold. */
  peerBytes: number
}

/** 24 MiB: two full `blocks` answers in flight (2 × 8 MiB) and room for smaller frames. */
export const DEFAULT_PEER_BUDGET_BYTES = 24 * 1024 * 1024
/** 256 MiB: ten peers at their limit, far more than honest traffic holds at once. */
export const DEFAULT_NODE_BUDGET_BYTES = 256 * 1024 * 1024

/** Bytes held until released. Releasing twice is harmless. */
export interface Reservation {
  readonly peerId: string
  /** Bytes held now (resize changes it). */
  readonly bytes: number
  /** What holds it, for logs ("blocks answer", "decode /paw/mempool/1"). */
  readonly purpose: string
  readonly released: boolean
  release(): void
  /**
   * Sets what the reservation holds to `bytes`: less always succeeds; more only within
   * both budgets (nothing is taken from other peers for it). False if refused; the
   * reservation is then unchanged.
   */
  resize(bytes: number): boolean
}

export interface ReserveOptions {
  /** Resets what holds the memory, so it can be taken back at the node's limit. */
  revoke?: (error: ResourceLimitExceededError) => void
}

export type { MemoryBudgetStats }

class Held implements Reservation {
  readonly peerId: string
  bytes: number
  readonly purpose: string
  readonly revoke: ReserveOptions['revoke']
  #budget: MemoryBudget | undefined

  constructor(budget: MemoryBudget, peerId: string, bytes: number, purpose: string, options: ReserveOptions) {
    this.#budget = budget
    this.peerId = peerId
    this.bytes = bytes
    this.purpose = purpose
    this.revoke = options.revoke
  }

  get released(): boolean {
    return this.#budget === undefined
  }

  release(): void {
    const budget = this.#budget
    if (budget === undefined) return
    this.#budget = undefined
    budget.returned(this)
  }

  resize(bytes: number): boolean {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`cannot hold ${bytes} bytes`)
    const budget = this.#budget
    if (budget === undefined) return false
    return budget.resized(this, bytes)
  }
}

export class MemoryBudget {
  readonly limits: MemoryBudgetLimits
  readonly #byPeer = new Map<string, { bytes: number; held: Set<Held> }>()
  readonly #onRevoke: (peerId: string, bytes: number) => void
  #used = 0
  #peak = 0
  readonly #refused = { peer: 0, node: 0 }
  readonly #revoked = { reservations: 0, bytes: 0 }

  /** @throws RangeError for limits that are not positive integers, or a peer limit over the node's */
  constructor(
    limits: MemoryBudgetLimits = {
      nodeBytes: DEFAULT_NODE_BUDGET_BYTES,
      peerBytes: DEFAULT_PEER_BUDGET_BYTES,
    },
    init: { onRevoke?: (peerId: string, bytes: number) => void } = {},
  ) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`memory budget ${name} must be a positive integer, got ${value}`)
      }
    }
    if (limits.peerBytes > limits.nodeBytes) {
      throw new RangeError(
        `the peer budget (${limits.peerBytes}) exceeds the node budget (${limits.nodeBytes})`,
      )
    }
    this.limits = { ...limits }
    this.#onRevoke = init.onRevoke ?? (() => {})
  }

  /** Bytes `peerId` holds now. */
  usage(peerId: string): number {
    return this.#byPeer.get(peerId)?.bytes ?? 0
  }

  get usedBytes(): number {
    return this.#used
  }

  /**
   * Reserves `bytes` for `peerId`, or refuses: over the peer's budget (scope 'peer'), or
   * over the node's once the peer holding the most has given back what it could
   * (scope 'node').
   */
  reserve(
    peerId: string,
    bytes: number,
    purpose: string,
    options: ReserveOptions = {},
  ): Reservation | ResourceLimitExceededError {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`cannot reserve ${bytes} bytes`)
    const mine = this.usage(peerId)
    if (mine + bytes > this.limits.peerBytes) {
      this.#refused.peer++
      return new ResourceLimitExceededError(
        `${purpose}: the peer would hold ${mine + bytes} bytes, over its budget of ${this.limits.peerBytes}`,
        'peer',
      )
    }
    if (this.#used + bytes > this.limits.nodeBytes) this.#makeRoom(peerId, mine + bytes)
    if (this.#used + bytes > this.limits.nodeBytes) {
      this.#refused.node++
      return new ResourceLimitExceededError(
        `${purpose}: the node would hold ${this.#used + bytes} bytes, over its budget of ${this.limits.nodeBytes}`,
        'node',
      )
    }
    const held = new Held(this, peerId, bytes, purpose, options)
    let entry = this.#byPeer.get(peerId)
    if (entry === undefined) {
      entry = { bytes: 0, held: new Set() }
      this.#byPeer.set(peerId, entry)
    }
    entry.bytes += bytes
    entry.held.add(held)
    this.#used += bytes
    this.#peak = Math.max(this.#peak, this.#used)
    return held
  }

  /** Called by a reservation's release(). */
  returned(held: Held): void {
    const entry = this.#byPeer.get(held.peerId)
    if (entry === undefined || !entry.held.delete(held)) return
    entry.bytes -= held.bytes
    this.#used -= held.bytes
    if (entry.held.size === 0) this.#byPeer.delete(held.peerId)
  }

  /** Called by a reservation's resize(): applies the change if it fits. */
  resized(held: Held, bytes: number): boolean {
    const entry = this.#byPeer.get(held.peerId)
    if (entry === undefined || !entry.held.has(held)) return false
    const delta = bytes - held.bytes
    if (
      delta > 0 &&
      (entry.bytes + delta > this.limits.peerBytes || this.#used + delta > this.limits.nodeBytes)
    ) {
      this.#refused[entry.bytes + delta > this.limits.peerBytes ? 'peer' : 'node']++
      return false
    }
    held.bytes = bytes
    entry.bytes += delta
    this.#used += delta
    this.#peak = Math.max(this.#peak, this.#used)
    return true
  }

  /**
   * At the node's limit: takes back what the peer holding the most holds, if it holds more
   * than twice what the asker would (so peers holding alike do not take from each other in
   * turn), one holder at a time, largest first: every reservation that shares a `revoke`
   * (the blocks of one answer) goes with it, since revoking resets the stream that holds them.
   */
  #makeRoom(asker: string, askerWouldHold: number): void {
    let hog: string | undefined
    let most = 2 * askerWouldHold
    for (const [peerId, entry] of this.#byPeer) {
      if (peerId !== asker && entry.bytes > most) {
        hog = peerId
        most = entry.bytes
      }
    }
    if (hog === undefined) return
    const entry = this.#byPeer.get(hog)
    if (entry === undefined) return
    const byHolder = new Map<NonNullable<Held['revoke']>, Held[]>()
    for (const held of entry.held) {
      if (held.revoke === undefined) continue
      byHolder.set(held.revoke, [...(byHolder.get(held.revoke) ?? []), held])
    }
    const holders = [...byHolder].sort(
      ([, a], [, b]) => b.reduce((sum, h) => sum + h.bytes, 0) - a.reduce((sum, h) => sum + h.bytes, 0),
    )
    const needed = askerWouldHold - this.usage(asker)
    let freed = 0
    for (const [revoke, group] of holders) {
      const bytes = group.reduce((sum, held) => sum + held.bytes, 0)
      for (const held of group) held.release()
      freed += bytes
      this.#revoked.reservations += group.length
      this.#revoked.bytes += bytes
      revoke(
        new ResourceLimitExceededError(
          `${group[0]?.purpose}: ${bytes} bytes taken back: the node's memory budget is exhausted and this peer held the most`,
          'node',
        ),
      )
      if (this.#used + needed <= this.limits.nodeBytes) break
    }
    if (freed > 0) this.#onRevoke(hog, freed)
  }

  stats(): MemoryBudgetStats {
    const top = [...this.#byPeer]
      .map(([peerId, entry]) => ({ peerId, bytes: entry.bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 5)
    return {
      nodeLimitBytes: this.limits.nodeBytes,
      peerLimitBytes: this.limits.peerBytes,
      usedBytes: this.#used,
      peakBytes: this.#peak,
      peers: this.#byPeer.size,
      top,
      refused: { ...this.#refused },
      revoked: { ...this.#revoked },
    }
  }
}

/**
 * Several reservations for one piece of work (the blocks of one answer, say), made as its
 * parts come and released together. Without a budget it grants everything.
 */
export class Holdings {
  readonly #budget: MemoryBudget | undefined
  readonly #peerId: string
  readonly #purpose: string
  readonly #options: ReserveOptions
  readonly #held: Reservation[] = []
  /** The last refusal, if a reservation was refused. */
  refusal: ResourceLimitExceededError | undefined

  constructor(
    budget: MemoryBudget | undefined,
    peerId: string,
    purpose: string,
    options: ReserveOptions = {},
  ) {
    this.#budget = budget
    this.#peerId = peerId
    this.#purpose = purpose
    this.#options = options
  }

  /**
   * Reserves `estimate` bytes before `load` allocates anything, then holds exactly the
   * length of what it returned: 'refused' (and `refusal` set) if the budget refuses
   * either, undefined if `load` found nothing. Keeps the allocation behind the reservation
   * where the size is only known once loaded (a block read from the store).
   */
  async hold<T extends { length: number }>(
    estimate: number,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined | 'refused'> {
    if (this.#budget === undefined) return load()
    const reservation = this.#budget.reserve(this.#peerId, estimate, this.#purpose, this.#options)
    if (reservation instanceof ResourceLimitExceededError) {
      this.refusal = reservation
      return 'refused'
    }
    let value: T | undefined
    try {
      value = await load()
    } catch (error) {
      reservation.release()
      throw error
    }
    if (value === undefined) {
      reservation.release()
      return undefined
    }
    if (!reservation.resize(value.length)) {
      reservation.release()
      this.refusal = new ResourceLimitExceededError(
        `${this.#purpose}: ${value.length} bytes do not fit the budget left`,
        'peer',
      )
      return 'refused'
    }
    this.#held.push(reservation)
    return value
  }

  /** Reserves `bytes` more; false (and `refusal` set) if the budget refuses. */
  reserve(bytes: number): boolean {
    if (this.#budget === undefined) return true
    const reservation = this.#budget.reserve(this.#peerId, bytes, this.#purpose, this.#options)
    if (reservation instanceof ResourceLimitExceededError) {
      this.refusal = reservation
      return false
    }
    this.#held.push(reservation)
    return true
  }

  release(): void {
    for (const reservation of this.#held.splice(0)) reservation.release()
  }
}
