/**
 * Admitting the transactions one sync fetches. The inventory is in fee order, not nonce
 * order, so a sender's later nonce can arrive before its predecessor (in the same answer or
 * a later one) and be refused for its nonce. So, within an answer, each sender's
 * transactions are admitted in nonce order; one refused without being invalid (a nonce
 * gap, a full pool) is kept and tried again whenever a later answer admits something,
 * until the sync ends. Only transactions that are invalid (charged by `admit`) are
 * remembered as rejected, never fetched again.
 *
 * Held at most: the deferred transactions of one inventory (≤ 4096 × ~0.3 KiB decoded).
 */
import type { Transaction } from '../../chain/types.ts'
import { toHex } from '../../wire/bytes.ts'
import type { MempoolContext } from './context.ts'
import type { FoundTransaction } from './matching.ts'

/** `found` with each sender's transactions in nonce order, in the positions that sender held. */
export function nonceOrdered(found: readonly FoundTransaction[]): FoundTransaction[] {
  const bySender = new Map<string, FoundTransaction[]>()
  for (const entry of found) {
    const sender = toHex(entry.transaction.from)
    let list = bySender.get(sender)
    if (list === undefined) {
      list = []
      bySender.set(sender, list)
    }
    list.push(entry)
  }
  for (const list of bySender.values()) {
    list.sort((a, b) =>
      a.transaction.nonce < b.transaction.nonce ? -1 : a.transaction.nonce > b.transaction.nonce ? 1 : 0,
    )
  }
  const next = new Map<string, number>()
  return found.map((entry) => {
    const sender = toHex(entry.transaction.from)
    const index = next.get(sender) ?? 0
    next.set(sender, index + 1)
    return (bySender.get(sender) as FoundTransaction[])[index] as FoundTransaction
  })
}

export class SyncAdmission {
  readonly #context: MempoolContext
  readonly #peerId: string
  #deferred: FoundTransaction[] = []
  admitted = 0
  invalid = 0

  constructor(context: MempoolContext, peerId: string) {
    this.#context = context
    this.#peerId = peerId
  }

  /** Admits one answer's transactions, then retries the deferred ones if that helped. */
  add(found: readonly FoundTransaction[]): void {
    const before = this.admitted
    for (const entry of nonceOrdered(found)) {
      if (!this.#try(entry)) this.#deferred.push(entry)
    }
    if (this.admitted > before) this.#retry()
  }

  /** Transactions still refused when the sync ends (dropped: gossip may bring them later). */
  get deferred(): number {
    return this.#deferred.length
  }

  #retry(): void {
    for (;;) {
      const before = this.admitted
      const waiting = this.#deferred
      this.#deferred = []
      for (const entry of nonceOrdered(waiting)) {
        if (!this.#try(entry)) this.#deferred.push(entry)
      }
      if (this.admitted === before || this.#deferred.length === 0) return
    }
  }

  /** True when done with (admitted, rejected, or held already); false to try again later. */
  #try({ transaction, id }: { transaction: Transaction; id: string }): boolean {
    const { pool, admit } = this.#context.init
    if (pool === undefined || pool.has(id)) return true
    const result = admit([transaction], this.#peerId)
    if (result.admitted > 0) {
      this.admitted++
      this.#context.stats.transactionsAdmitted++
      return true
    }
    if (result.invalid > 0) {
      this.invalid++
      this.#context.rejected.add(id)
      return true
    }
    return false
  }
}
