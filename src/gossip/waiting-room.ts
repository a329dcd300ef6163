/**
 * Transactions that arrived before their sender's previous nonce (gossip takes different
 * paths, so nonce n + 1 can overtake n). The mempool keeps no future nonces
 * (src/chain/mempool), and gossipsub would drop the later copy of a message it has seen,
 * so such a transaction is parked here, still unanswered to gossipsub, until its
 * predecessor is admitted or a short wait expires (then it is Ignored). Bounded in total
 * and per sender, so it cannot be used to park junk. Browser-safe.
 */
import type { Transaction } from '../chain/types.ts'
import { toHex } from '../wire/bytes.ts'

/** How long a transaction waits for its predecessor: under gossipsub's 3 s gossip window. */
export const PARK_MS = 2_500
export const MAX_PARKED = 1_024
export const MAX_PARKED_PER_SENDER = 16

interface Parked<T> {
  transaction: Transaction
  tag: T
  timer: ReturnType<typeof setTimeout>
}

export class TransactionWaitingRoom<T> {
  /** By sender, then by nonce. */
  readonly #bySender = new Map<string, Map<bigint, Parked<T>>>()
  #count = 0
  readonly #onExpire: (tag: T) => void
  readonly #parkMs: number

  constructor(init: { onExpire: (tag: T) => void; parkMs?: number }) {
    this.#onExpire = init.onExpire
    this.#parkMs = init.parkMs ?? PARK_MS
  }

  get size(): number {
    return this.#count
  }

  /** Parks `transaction`; false if there is no room (or its nonce is already parked). */
  park(transaction: Transaction, tag: T): boolean {
    const sender = toHex(transaction.from)
    let byNonce = this.#bySender.get(sender)
    if (this.#count >= MAX_PARKED || (byNonce?.size ?? 0) >= MAX_PARKED_PER_SENDER) return false
    if (byNonce?.has(transaction.nonce) === true) return false
    if (byNonce === undefined) {
      byNonce = new Map()
      this.#bySender.set(sender, byNonce)
    }
    const nonce = transaction.nonce
    const timer = setTimeout(() => {
      if (this.#remove(sender, nonce) !== undefined) this.#onExpire(tag)
    }, this.#parkMs)
    byNonce.set(nonce, { transaction, tag, timer })
    this.#count++
    return true
  }

  /** Takes out the parked transaction that follows `admitted` (same sender, next nonce). */
  takeNext(admitted: Transaction): Array<{ transaction: Transaction; tag: T }> {
    const parked = this.#remove(toHex(admitted.from), admitted.nonce + 1n)
    return parked === undefined ? [] : [{ transaction: parked.transaction, tag: parked.tag }]
  }

  /** Forgets everything without reporting (shutdown). */
  clear(): void {
    for (const byNonce of this.#bySender.values())
      for (const parked of byNonce.values()) clearTimeout(parked.timer)
    this.#bySender.clear()
    this.#count = 0
  }

  #remove(sender: string, nonce: bigint): Parked<T> | undefined {
    const byNonce = this.#bySender.get(sender)
    const parked = byNonce?.get(nonce)
    if (byNonce === undefined || parked === undefined) return undefined
    clearTimeout(parked.timer)
    byNonce.delete(nonce)
    if (byNonce.size === 0) this.#bySender.delete(sender)
    this.#count--
    return parked
  }
}
