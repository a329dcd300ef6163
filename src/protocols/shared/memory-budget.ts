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
 * more than the asker would after the reservation, its reservations are revoked, largest
 * first, until the new one fits (each revocation resets the stream that held it), and it
 * is reported (`onRevoke`) to be charged. An honest peer reading its answers holds little
 * and briefly; a peer that makes the node hold the most when memory runs out is the one
 * that goes. Browser-safe.
 */
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
  readonly bytes: number
  /** What holds it, for logs ("blocks answer", "decode /paw/mempool/1"). */
  readonly purpose: string
  readonly released: boolean
  release(): void
}

export interface ReserveOptions {
  /** Resets what holds the memory, so it can be taken back at the node's limit. */
  revoke?: (error: ResourceLimitExceededError) => void
}

export interface MemoryBudgetStats {
  nodeLimitBytes: number
  peerLimitBytes: number
  /** Bytes reserved now, in all. */
  usedBytes: number
  /** The most reserved at once since start. */
  peakBytes: number
  /** Peers holding reservations now. */
  peers: number
  /** The peers holding the most now (at most 5), largest first. */
  top: Array<{ peerId: string; bytes: number }>
  /** Reservations refused since start, by the scope that refused them. */
  refused: { peer: number; node: number }
  /** Reservations taken back from the peer holding the most, and the bytes they held. */
  revoked: { reservations: number; bytes: number }
}

class Held implements Reservation {
  readonly peerId: string
  readonly bytes: number
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

  /**
   * At the node's limit: takes back the revocable reservations of the peer holding the
   * most, largest first, if it holds more than the asker would (`askerWouldHold`).
   */
  #makeRoom(asker: string, askerWouldHold: number): void {
    let hog: string | undefined
    let most = askerWouldHold
    for (const [peerId, entry] of this.#byPeer) {
      if (peerId !== asker && entry.bytes > most) {
        hog = peerId
        most = entry.bytes
      }
    }
    if (hog === undefined) return
    const entry = this.#byPeer.get(hog)
    if (entry === undefined) return
    const revocable = [...entry.held]
      .filter((held) => held.revoke !== undefined)
      .sort((a, b) => b.bytes - a.bytes)
    let freed = 0
    for (const held of revocable) {
      held.release()
      freed += held.bytes
      this.#revoked.reservations++
      this.#revoked.bytes += held.bytes
      held.revoke?.(
        new ResourceLimitExceededError(
          `${held.purpose}: taken back (${held.bytes} bytes): the node's memory budget is exhausted and this peer held the most`,
          'node',
        ),
      )
      if (this.#used + (askerWouldHold - this.usage(asker)) <= this.limits.nodeBytes) break
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
