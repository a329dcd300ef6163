/**
 * The mempool (issue 4): pending transactions, bounded in count and bytes, each sender's
 * kept as an unbroken run of nonces from its tip nonce, ranked by fee per byte
 * (fee-order.ts) for eviction and for the miner's selection.
 *
 * There is no queue for future nonces: a transaction must be its sender's next (tip nonce +
 * pending count) or it is refused with BAD_NONCE. A future-nonce queue needs its own bounds,
 * expiry and promotion rules, and lets anyone park transactions that may never become valid;
 * refusing them keeps the pool bounded and simple, and honest wallets send nonces in order.
 * There is no replace-by-fee either: a second transaction for a pending nonce is BAD_NONCE.
 */
import { toHex } from '../../wire/bytes.ts'
import { describeAmount } from '../amount.ts'
import { ChainError, ChainErrorCode, type ChainErrorCodeValue, isChainError } from '../errors.ts'
import type { AddResult, Address, Block, Transaction, TransactionPool } from '../types.ts'
import { compareEntries, type MempoolEntry, RankedEntries } from './fee-order.ts'
import { createMempoolOptions, type MempoolInit, type MempoolOptions, pendingView } from './options.ts'
import { type SelectLimits, selectForBlock } from './select.ts'

export type { AddResult } from '../types.ts'

/** What a new tip or a reorg did to the pool, for logs and gossip. */
export interface TipChange {
  /** Pending transactions the new blocks included. */
  included: string[]
  /** Transactions of disconnected blocks back in the pool. */
  restored: string[]
  /** Pending or restored transactions now invalid (e.g. the nonce spent by another), dropped. */
  dropped: string[]
  /** Evicted because restored transactions overfilled the pool. */
  evicted: string[]
}

export interface MempoolStats {
  added: number
  /** Refused by `add`, by error code (metrics are labelled by code, never by message). */
  rejected: Partial<Record<ChainErrorCodeValue, number>>
  evicted: number
  droppedInvalid: number
  included: number
  restored: number
}

export class Mempool implements TransactionPool {
  readonly #options: MempoolOptions
  readonly #byId = new Map<string, MempoolEntry>()
  /** Each sender's entries by nonce, consecutive, the first at the sender's tip nonce. */
  readonly #bySender = new Map<string, MempoolEntry[]>()
  readonly #ranked = new RankedEntries()
  #bytes = 0
  #seq = 0
  readonly #stats: MempoolStats = {
    added: 0,
    rejected: {},
    evicted: 0,
    droppedInvalid: 0,
    included: 0,
    restored: 0,
  }

  constructor(init: MempoolInit) {
    this.#options = createMempoolOptions(init)
  }

  get size(): number {
    return this.#byId.size
  }

  get bytes(): number {
    return this.#bytes
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  get(id: string): Transaction | undefined {
    return this.#byId.get(id)?.tx
  }

  /** Every pending entry, senders in arrival order of their first, each sender's by nonce. */
  *pending(): IterableIterator<MempoolEntry> {
    for (const chain of this.#bySender.values()) yield* chain
  }

  bestIds(max: number): string[] {
    const ids: string[] = []
    for (let index = 0; index < Math.min(max, this.#ranked.length); index++) {
      ids.push((this.#ranked.at(index) as MempoolEntry).id)
    }
    return ids
  }

  pendingForSender(address: Address): Transaction[] {
    return (this.#bySender.get(toHex(address)) ?? []).map((entry) => entry.tx)
  }

  stats(): MempoolStats {
    return { ...this.#stats, rejected: { ...this.#stats.rejected } }
  }

  /**
   * Admits a transaction, evicting lower-paying ones if the pool is full. Throws a
   * ChainError: DUPLICATE_TRANSACTION, BAD_NONCE, MEMPOOL_FULL or whatever `validate` throws.
   */
  add(tx: Transaction): AddResult {
    try {
      return this.#add(tx)
    } catch (err) {
      if (isChainError(err)) this.#stats.rejected[err.code] = (this.#stats.rejected[err.code] ?? 0) + 1
      throw err
    }
  }

  /** Transactions for a new block: see selectForBlock. */
  select(limits: SelectLimits = {}): Transaction[] {
    return selectForBlock(this.#bySender.values(), limits)
  }

  /**
   * The best tip moved forward by `block` (call it after the chain's state is at the block).
   * Drops the block's transactions and re-validates the rest of their senders', which a
   * different transaction with the same nonce has made invalid. Other senders' cannot be
   * affected: a block only credits them (see PendingView).
   */
  onBlockConnected(block: Block): TipChange {
    const change: TipChange = { included: [], restored: [], dropped: [], evicted: [] }
    const included = this.#includedIds([block], (sender) => this.#bySender.has(sender))
    this.#ranked.batch(() => {
      for (const sender of this.#senders([block])) {
        const chain = this.#bySender.get(sender)
        if (chain !== undefined) this.#rebuildSender(sender, chain, included, change)
      }
    })
    return change
  }

  /**
   * The best chain switched branches (call it after the chain's state is at the new tip).
   * Transactions of the disconnected blocks, except their coinbases, come back unless the
   * connected blocks include them; every account whose state the switch can have changed
   * has its pending run re-validated, so a transaction spent differently on the new branch
   * is dropped. The order of the blocks in either list does not matter.
   */
  onReorg(reorg: { disconnected: readonly Block[]; connected: readonly Block[] }): TipChange {
    const change: TipChange = { included: [], restored: [], dropped: [], evicted: [] }
    const included = this.#includedIds(reorg.connected)
    const returning = new Map<string, MempoolEntry[]>()
    for (const block of reorg.disconnected) {
      for (const tx of block.transactions.slice(1)) {
        const id = this.#options.txId(tx)
        if (included.has(id) || this.#byId.has(id)) continue
        const entry = this.#entry(id, tx)
        const list = returning.get(entry.sender)
        if (list === undefined) returning.set(entry.sender, [entry])
        else list.push(entry)
      }
    }
    // Lost credits lower balances: recipients of the disconnected blocks (coinbases too) are
    // affected, as are the senders on both branches.
    const affected = new Set([...this.#senders(reorg.disconnected), ...this.#senders(reorg.connected)])
    for (const block of reorg.disconnected) for (const tx of block.transactions) affected.add(toHex(tx.to))
    for (const sender of affected) {
      const pending = this.#bySender.get(sender) ?? []
      const restored = returning.get(sender) ?? []
      if (pending.length === 0 && restored.length === 0) continue
      const candidates = [...restored, ...pending].sort((a, b) =>
        a.tx.nonce < b.tx.nonce ? -1 : a.tx.nonce > b.tx.nonce ? 1 : a.seq - b.seq,
      )
      this.#rebuildSender(sender, candidates, included, change, new Set(restored))
    }
    // Restored transactions may overfill the pool: shed the worst, as `add` would have.
    for (;;) {
      const worst = this.#ranked.worst()
      if (
        worst === undefined ||
        (this.size <= this.#options.maxCount && this.#bytes <= this.#options.maxBytes)
      ) {
        break
      }
      change.evicted.push(...this.#evictFrom(worst))
    }
    this.#stats.evicted += change.evicted.length
    return change
  }

  #add(tx: Transaction): AddResult {
    const id = this.#options.txId(tx)
    if (this.#byId.has(id)) {
      throw new ChainError(ChainErrorCode.DuplicateTransaction, `transaction ${id} is already pending`)
    }
    const entry = this.#entry(id, tx)
    if (entry.size > this.#options.maxBytes) {
      throw new ChainError(ChainErrorCode.MempoolFull, `transaction ${id} is larger than the whole mempool`)
    }
    const chain = this.#bySender.get(entry.sender) ?? []
    const last = chain.at(-1)
    if (last !== undefined && tx.nonce !== last.tx.nonce + 1n) {
      throw new ChainError(
        ChainErrorCode.BadNonce,
        `nonce ${tx.nonce} is not the sender's next pending nonce ${last.tx.nonce + 1n}`,
      )
    }
    // Validity before room: an invalid transaction is refused as invalid (its sender's
    // fault, which reputation can act on), not as MEMPOOL_FULL (nobody's).
    this.#options.validate(tx, pendingView(chain.map((pending) => pending.tx)))
    const doomed = this.#planRoom(entry)
    const evicted: string[] = []
    for (const victim of doomed) {
      if (this.#byId.has(victim.id)) evicted.push(...this.#evictFrom(victim))
    }
    this.#stats.evicted += evicted.length
    this.#insert(entry)
    this.#stats.added++
    return { id, evicted }
  }

  #entry(id: string, tx: Transaction): MempoolEntry {
    return {
      id,
      tx,
      sender: toHex(tx.from),
      size: this.#options.txSize(tx),
      seq: this.#seq++,
      receivedAt: this.#options.now(),
    }
  }

  /**
   * The victims that make room for `entry`: the worst-ranked first, each with its sender's
   * later nonces (invalid without it). Throws MEMPOOL_FULL, changing nothing, if any of
   * them ranks at or above `entry` (it pays less than what it would displace) or is one of
   * `entry`'s own sender's (it would lose its own lower nonce).
   */
  #planRoom(entry: MempoolEntry): MempoolEntry[] {
    const needCount = this.size + 1 - this.#options.maxCount
    const needBytes = this.#bytes + entry.size - this.#options.maxBytes
    const doomed = new Set<MempoolEntry>()
    let freedCount = 0
    let freedBytes = 0
    for (let index = this.#ranked.length - 1; freedCount < needCount || freedBytes < needBytes; index--) {
      const victim = this.#ranked.at(index)
      // Unreachable while entry.size ≤ maxBytes and maxCount ≥ 1: emptying the pool suffices.
      if (victim === undefined) throw this.#full(entry)
      if (doomed.has(victim)) continue
      if (victim.sender === entry.sender) throw this.#full(entry)
      const chain = this.#bySender.get(victim.sender) as MempoolEntry[]
      for (const dependent of chain.slice(chain.indexOf(victim))) {
        if (doomed.has(dependent)) continue
        if (compareEntries(entry, dependent) >= 0) throw this.#full(entry)
        doomed.add(dependent)
        freedCount++
        freedBytes += dependent.size
      }
    }
    return [...doomed]
  }

  #full(entry: MempoolEntry): ChainError {
    return new ChainError(
      ChainErrorCode.MempoolFull,
      `mempool full: transaction ${entry.id} (fee ${describeAmount(entry.tx.fee)} for ${entry.size} bytes) pays too little to displace others`,
    )
  }

  /** Removes `victim` and its sender's later nonces; returns their ids. */
  #evictFrom(victim: MempoolEntry): string[] {
    const chain = this.#bySender.get(victim.sender) as MempoolEntry[]
    const removed = chain.splice(chain.indexOf(victim))
    if (chain.length === 0) this.#bySender.delete(victim.sender)
    for (const entry of removed) this.#forget(entry)
    return removed.map((entry) => entry.id)
  }

  #insert(entry: MempoolEntry): void {
    this.#byId.set(entry.id, entry)
    this.#ranked.insert(entry)
    this.#bytes += entry.size
    const chain = this.#bySender.get(entry.sender)
    if (chain === undefined) this.#bySender.set(entry.sender, [entry])
    else chain.push(entry)
  }

  #forget(entry: MempoolEntry): void {
    this.#byId.delete(entry.id)
    this.#ranked.remove(entry)
    this.#bytes -= entry.size
  }

  /**
   * Replaces `sender`'s pending run by the candidates (nonce-ordered) that survive: those
   * in `included` leave as mined, then each must extend the run without a gap and pass
   * `validate` against the run before it. `restored` marks candidates not yet in the pool.
   */
  #rebuildSender(
    sender: string,
    candidates: readonly MempoolEntry[],
    included: ReadonlySet<string>,
    change: TipChange,
    restored: ReadonlySet<MempoolEntry> = new Set(),
  ): void {
    for (const entry of this.#bySender.get(sender) ?? []) this.#forget(entry)
    this.#bySender.delete(sender)
    const kept: Transaction[] = []
    for (const entry of candidates) {
      const isRestored = restored.has(entry)
      if (included.has(entry.id)) {
        change.included.push(entry.id)
        this.#stats.included++
        continue
      }
      const last = kept.at(-1)
      if (last === undefined || entry.tx.nonce === last.nonce + 1n) {
        try {
          this.#options.validate(entry.tx, pendingView(kept))
          kept.push(entry.tx)
          this.#insert(entry)
          if (isRestored) {
            change.restored.push(entry.id)
            this.#stats.restored++
          }
          continue
        } catch (err) {
          if (!isChainError(err)) throw err
        }
      }
      change.dropped.push(entry.id)
      this.#stats.droppedInvalid++
    }
  }

  /** Ids of the non-coinbase transactions of `blocks` (only of senders `relevant` keeps: hashing costs). */
  #includedIds(blocks: readonly Block[], relevant: (sender: string) => boolean = () => true): Set<string> {
    const ids = new Set<string>()
    for (const block of blocks) {
      for (const tx of block.transactions.slice(1)) {
        if (relevant(toHex(tx.from))) ids.add(this.#options.txId(tx))
      }
    }
    return ids
  }

  /** Senders of the non-coinbase transactions of `blocks`, as chain keys. */
  #senders(blocks: readonly Block[]): Set<string> {
    const senders = new Set<string>()
    for (const block of blocks) for (const tx of block.transactions.slice(1)) senders.add(toHex(tx.from))
    return senders
  }
}
