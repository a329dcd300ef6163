/**
 * The order the mempool ranks transactions in: fee per byte, highest first, ties to the
 * earlier arrival.
 *
 * Why per byte and not the absolute fee: a block's scarce resource is its bytes, so a miner
 * earns most by filling them at the best rate, and a pool full in bytes should shed what
 * earns least per byte it occupies. With absolute fees a large transaction paying slightly
 * more would outrank several small ones paying more in total. Every PAW transfer has the
 * same encoded size today, so both orders agree until sizes differ; per byte is the
 * refinement that stays right when they do (Bitcoin Core and Ethereum's pools order alike).
 */
import type { Transaction } from '../types.ts'

export interface MempoolEntry {
  readonly id: string
  readonly tx: Transaction
  /** Hex of `tx.from`: the key of the sender's nonce-ordered chain. */
  readonly sender: string
  readonly size: number
  /** Arrival order, unique: breaks fee-rate ties and makes the ranking total. */
  readonly seq: number
  /** When it entered the pool (the injected clock's ms). */
  readonly receivedAt: number
}

/**
 * Negative if `a` ranks before `b`. fee/size is compared as fee·size' against fee'·size in
 * bigint, so there is no rounding and no precision limit on u64 fees.
 */
export function compareEntries(a: MempoolEntry, b: MempoolEntry): number {
  const left = a.tx.fee * BigInt(b.size)
  const right = b.tx.fee * BigInt(a.size)
  if (left !== right) return left > right ? -1 : 1
  return a.seq - b.seq
}

/**
 * Entries sorted best first, for eviction from the end. A sorted array: insert and remove
 * are a binary search and a splice, i.e. a memmove of at most a few thousand pointers.
 */
export class RankedEntries {
  #entries: MempoolEntry[] = []
  /** Inside `batch`: entries removed but still in the array, taken out in one pass at its end. */
  #removed: Set<MempoolEntry> | undefined

  get length(): number {
    return this.#entries.length - (this.#removed?.size ?? 0)
  }

  /** The entry ranked `index` (not inside `batch`, where removed entries still hold places). */
  at(index: number): MempoolEntry | undefined {
    return this.#entries[index]
  }

  insert(entry: MempoolEntry): void {
    // Removed earlier in this batch: it never left its place (its rank cannot have changed).
    if (this.#removed?.delete(entry) === true) return
    this.#entries.splice(this.#lowerBound(entry), 0, entry)
  }

  remove(entry: MempoolEntry): void {
    if (this.#removed !== undefined) {
      this.#removed.add(entry)
      return
    }
    const index = this.#lowerBound(entry)
    if (this.#entries[index] === entry) this.#entries.splice(index, 1)
  }

  /**
   * Runs `update` with removals deferred to one pass at its end: a block that mines
   * thousands of pending transactions removes them in O(n), not one splice each (O(n²)).
   */
  batch<T>(update: () => T): T {
    if (this.#removed !== undefined) return update()
    const removed = new Set<MempoolEntry>()
    this.#removed = removed
    try {
      return update()
    } finally {
      this.#removed = undefined
      if (removed.size > 0) this.#entries = this.#entries.filter((entry) => !removed.has(entry))
    }
  }

  /** The lowest-ranked entry. */
  worst(): MempoolEntry | undefined {
    return this.#entries.at(-1)
  }

  #lowerBound(entry: MempoolEntry): number {
    let low = 0
    let high = this.#entries.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (compareEntries(this.#entries[middle] as MempoolEntry, entry) < 0) low = middle + 1
      else high = middle
    }
    return low
  }
}

/** A binary heap whose `pop()` returns the item `compare` ranks first. */
export class Heap<T> {
  readonly #items: T[] = []
  readonly #compare: (a: T, b: T) => number

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare
  }

  get size(): number {
    return this.#items.length
  }

  push(item: T): void {
    const items = this.#items
    items.push(item)
    let index = items.length - 1
    while (index > 0) {
      const parent = (index - 1) >>> 1
      if (this.#compare(items[index] as T, items[parent] as T) >= 0) break
      this.#swap(index, parent)
      index = parent
    }
  }

  pop(): T | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    items[0] = last
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      const right = left + 1
      let best = index
      if (left < items.length && this.#compare(items[left] as T, items[best] as T) < 0) best = left
      if (right < items.length && this.#compare(items[right] as T, items[best] as T) < 0) best = right
      if (best === index) return top
      this.#swap(index, best)
      index = best
    }
  }

  #swap(i: number, j: number): void {
    const items = this.#items
    const held = items[i] as T
    items[i] = items[j] as T
    items[j] = held
  }
}
