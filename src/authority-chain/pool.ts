/**
 * The pool of pending transfers (src/ports/chain.ts ChainPool): the transactions the next
 * blocks may include, checked against the best tip. With no nonces there is no order to
 * wait for, so nothing is ever `early`; with no fees there is no price to rank by, so the
 * pool is first come, first served: bestIds and propose take the oldest first
 * (docs/authority-chain.md "Pool"). Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { ChainPool, GossipedTransaction, Judgement } from '../ports/chain.ts'
import type { FetchedOutcome, FetchedTransaction } from '../ports/transaction-pool.ts'
import { toHex } from '../wire/bytes.ts'
import { DEFAULT_POOL_CAPACITY } from './constants.ts'
import { decodeTransaction, encodeTransaction } from './encoding.ts'
import { AuthorityCode, invalid, type Refusal, refused } from './errors.ts'
import { checkExpiry, checkTransaction } from './rules.ts'
import type { AuthorityTransaction } from './types.ts'

/** What the pool needs of the chain's best tip. */
export interface PoolView {
  readonly chainId: string
  /** The height of the next block: what a pending transfer must be includable at. */
  nextHeight(): number
  balance(address: string): bigint
  isIncluded(id: string): boolean
}

export interface PendingTransfer {
  /** Transaction id, hex. */
  id: string
  encoded: Uint8Array
  transaction: AuthorityTransaction
}

export type Admitted = Judgement<{ id: Uint8Array; decoded: AuthorityTransaction }>

export class AuthorityPool implements ChainPool<AuthorityTransaction> {
  readonly #view: PoolView
  readonly #capacity: number
  /** In arrival order (a Map keeps insertion order). */
  #entries = new Map<string, PendingTransfer>()
  /** Sender (hex) → the amounts its pending transfers spend. */
  #spent = new Map<string, bigint>()

  constructor(view: PoolView, capacity = DEFAULT_POOL_CAPACITY) {
    this.#view = view
    this.#capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  has(id: string): boolean {
    return this.#entries.has(id)
  }

  encoded(id: string): Uint8Array | undefined {
    return this.#entries.get(id)?.encoded
  }

  get(id: string): AuthorityTransaction | undefined {
    return this.#entries.get(id)?.transaction
  }

  /** Oldest first: with no fees, arrival is the only order (the mempool_hashes inventory). */
  bestIds(max: number): string[] {
    const ids: string[] = []
    for (const id of this.#entries.keys()) {
      if (ids.length >= max) break
      ids.push(id)
    }
    return ids
  }

  /** The pending transfers, oldest first. */
  pending(): IterableIterator<PendingTransfer> {
    return this.#entries.values()
  }

  /** Judges a transaction encoding against the best tip and admits it (submit, gossip, fetch). */
  admit(encoded: Uint8Array): Admitted {
    let tx: AuthorityTransaction
    try {
      tx = decodeTransaction(encoded)
    } catch {
      return invalid(AuthorityCode.Malformed, `not a transaction (${encoded.length} bytes)`)
    }
    const id = sha256(encoded)
    const hex = toHex(id)
    const refusal = this.#judge(tx, hex)
    if (refusal !== undefined) return refusal
    const copy = encoded.slice()
    this.#entries.set(hex, { id: hex, encoded: copy, transaction: tx })
    const from = toHex(tx.from)
    this.#spent.set(from, (this.#spent.get(from) ?? 0n) + tx.amount)
    return { status: 'accepted', value: { id, decoded: tx } }
  }

  /** Nothing is evicted: a full pool refuses (no fees, so no transfer outbids another). */
  admitLocal(
    encoded: Uint8Array,
  ): Judgement<{ id: Uint8Array; decoded: AuthorityTransaction; evicted: string[] }> {
    const judgement = this.admit(encoded)
    return judgement.status === 'accepted'
      ? { status: 'accepted', value: { ...judgement.value, evicted: [] } }
      : judgement
  }

  admitGossiped(encoded: Uint8Array, _from: string): GossipedTransaction<AuthorityTransaction> {
    return this.admit(encoded)
  }

  /** In the order given: without nonces no order is needed, and each is judged by itself. */
  admitFetched(fetched: readonly FetchedTransaction[], _from: string): Map<string, FetchedOutcome> {
    const outcomes = new Map<string, FetchedOutcome>()
    for (const { id, encoded } of fetched) {
      const judgement = this.admit(encoded)
      outcomes.set(
        id,
        judgement.status === 'accepted' ? 'admitted' : judgement.status === 'invalid' ? 'invalid' : 'refused',
      )
    }
    return outcomes
  }

  /**
   * After the best tip moved: `restored` (the transfers of blocks a reorg rolled back) are
   * put back ahead of the rest, then every pending transfer is judged again at the new tip
   * in order, and those no longer includable (included, expired, unaffordable) dropped.
   */
  revalidate(restored: readonly AuthorityTransaction[] = []): void {
    const back = restored.map((transaction): PendingTransfer => {
      const encoded = encodeTransaction(transaction)
      return { id: toHex(sha256(encoded)), encoded, transaction }
    })
    const previous = [...back, ...this.#entries.values()]
    this.#entries = new Map()
    this.#spent = new Map()
    for (const entry of previous) {
      if (this.#entries.has(entry.id) || this.#judge(entry.transaction, entry.id, false) !== undefined)
        continue
      this.#entries.set(entry.id, entry)
      const from = toHex(entry.transaction.from)
      this.#spent.set(from, (this.#spent.get(from) ?? 0n) + entry.transaction.amount)
    }
  }

  /**
   * Provable faults are `invalid`; whatever depends on our tip (a height, an included id, a
   * balance) or on our room is `refused`: another node may hold it rightly.
   */
  #judge(tx: AuthorityTransaction, id: string, checkSignature = true): Refusal | undefined {
    if (this.#entries.has(id)) return refused(AuthorityCode.AlreadyPending, `transaction ${id} is pending`)
    if (checkSignature) {
      const fault = checkTransaction(tx, this.#view.chainId)
      if (fault !== undefined) return fault
    }
    const early = checkExpiry(tx, this.#view.nextHeight())
    if (early !== undefined) return refused(early.code, early.reason)
    if (this.#view.isIncluded(id))
      return refused(AuthorityCode.Replayed, `transaction ${id} is already included`)
    const from = toHex(tx.from)
    if (this.#view.balance(from) - (this.#spent.get(from) ?? 0n) < tx.amount) {
      return refused(AuthorityCode.InsufficientBalance, `${from} cannot afford it with its pending transfers`)
    }
    if (this.#entries.size >= this.#capacity) return refused(AuthorityCode.PoolFull, 'the pool is full')
    return undefined
  }
}
