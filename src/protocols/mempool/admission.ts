/**
 * Admitting the transactions one sync fetches, through the pool port. The inventory is in
 * fee order, and the chain may refuse a transaction for now that it takes later (the
 * reference chain: a sender's later nonce before its predecessor, in the same answer or a
 * later one). So one refused for now is kept and offered again whenever a later answer
 * admits something, until the sync ends. Only invalid ones are remembered as rejected, never
 * fetched again, and charged to the peer that listed them (src/peers/offences.ts
 * 'fetchedTransaction': whatever the chain, the network charges).
 *
 * Held at most: the refused encodings of one inventory (at most 4096 transactions).
 */
import { verdictAction } from '../../peers/offences.ts'
import type { FetchedTransaction } from '../../ports/transaction-pool.ts'
import type { MempoolContext } from './context.ts'

export class SyncAdmission {
  readonly #context: MempoolContext
  readonly #peerId: string
  #deferred: FetchedTransaction[] = []
  admitted = 0
  invalid = 0

  constructor(context: MempoolContext, peerId: string) {
    this.#context = context
    this.#peerId = peerId
  }

  /** Admits one answer's transactions, then offers the deferred ones again if that helped. */
  add(found: readonly FetchedTransaction[]): void {
    const admitted = this.#offer(found)
    if (admitted === 0) return
    for (;;) {
      const waiting = this.#deferred
      this.#deferred = []
      if (waiting.length === 0 || this.#offer(waiting) === 0) return
    }
  }

  /** Transactions still refused when the sync ends (dropped: gossip may bring them later). */
  get deferred(): number {
    return this.#deferred.length
  }

  /** Offers `entries` to the pool (those it holds already are done); returns how many it took. */
  #offer(entries: readonly FetchedTransaction[]): number {
    const pool = this.#context.chain?.pool
    if (pool === undefined) return 0
    const fresh = entries.filter((entry) => !pool.has(entry.id))
    if (fresh.length === 0) return 0
    const outcomes = pool.admitFetched(fresh, this.#peerId)
    let admitted = 0
    for (const entry of fresh) {
      const outcome = outcomes.get(entry.id) ?? 'refused'
      if (outcome === 'admitted') {
        admitted++
        this.#context.stats.transactionsAdmitted++
        this.#context.init.onAdmitted?.({ id: entry.id, encoded: entry.encoded, from: this.#peerId })
      } else if (outcome === 'invalid') {
        this.invalid++
        this.#context.rejected.add(entry.id)
        this.#charge(entry.id)
      } else {
        this.#deferred.push(entry)
      }
    }
    this.admitted += admitted
    return admitted
  }

  #charge(id: string): void {
    const { offence } = verdictAction('fetchedTransaction', 'invalid')
    if (offence === undefined) return
    this.#context.init.enforcer.charge(
      this.#peerId,
      offence,
      `listed transaction ${id}, which the chain judged invalid`,
      'mempool sync',
    )
  }
}
