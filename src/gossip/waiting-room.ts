/**
 * Transactions that arrived before the one they wait for (gossip takes different paths,
 * so a later transaction can overtake its predecessor: on the reference chain, a sender's
 * nonce n + 1 before n). The pool says so (`early`, src/ports/chain.ts GossipedTransaction)
 * and names what the transaction waits for and the origin it counts against; gossipsub
 * would drop a later copy of a message it has seen, so such a transaction is parked here,
 * still unanswered to gossipsub, until a transaction that `provides` what it waits for is
 * admitted or a short wait expires (then it is Ignored). Keys are the pool's own strings:
 * nothing here knows what they mean. Bounded in total, per origin and per key, so it cannot
 * be used to park junk (protocols/gossip.md "The transaction waiting room"). Browser-safe.
 */

/** How long a transaction waits for its predecessor: under gossipsub's 3 s gossip window. */
export const PARK_MS = 2_500
export const MAX_PARKED = 1_024
/** Most parked at once for one origin (the pool's `group`: a sender on the reference chain). */
export const MAX_PARKED_PER_SENDER = 16

interface Parked<T> {
  group: string
  data: Uint8Array
  tag: T
  timer: ReturnType<typeof setTimeout>
}

export class WaitingRoom<T> {
  /** By what each waits for: one each, the first to arrive (a rival for the same slot is refused). */
  readonly #byKey = new Map<string, Parked<T>>()
  readonly #perGroup = new Map<string, number>()
  readonly #onExpire: (tag: T) => void
  readonly #parkMs: number

  constructor(init: { onExpire: (tag: T) => void; parkMs?: number }) {
    this.#onExpire = init.onExpire
    this.#parkMs = init.parkMs ?? PARK_MS
  }

  get size(): number {
    return this.#byKey.size
  }

  /**
   * Parks `data` until a transaction providing `key` is admitted; false if there is no
   * room, or something already waits for `key`.
   */
  park(key: string, group: string, tag: T, data: Uint8Array): boolean {
    if (this.#byKey.size >= MAX_PARKED || (this.#perGroup.get(group) ?? 0) >= MAX_PARKED_PER_SENDER)
      return false
    if (this.#byKey.has(key)) return false
    const timer = setTimeout(() => {
      if (this.#remove(key) !== undefined) this.#onExpire(tag)
    }, this.#parkMs)
    this.#byKey.set(key, { group, data, tag, timer })
    this.#perGroup.set(group, (this.#perGroup.get(group) ?? 0) + 1)
    return true
  }

  /** Takes out what waits for `provided` (what an admitted transaction provides). */
  takeWaitingFor(provided: string): Array<{ data: Uint8Array; tag: T }> {
    const parked = this.#remove(provided)
    return parked === undefined ? [] : [{ data: parked.data, tag: parked.tag }]
  }

  /** Forgets everything without reporting (shutdown). */
  clear(): void {
    for (const parked of this.#byKey.values()) clearTimeout(parked.timer)
    this.#byKey.clear()
    this.#perGroup.clear()
  }

  #remove(key: string): Parked<T> | undefined {
    const parked = this.#byKey.get(key)
    if (parked === undefined) return undefined
    clearTimeout(parked.timer)
    this.#byKey.delete(key)
    const left = (this.#perGroup.get(parked.group) ?? 1) - 1
    if (left === 0) this.#perGroup.delete(parked.group)
    else this.#perGroup.set(parked.group, left)
    return parked
  }
}
