/**
 * Which heights to ask which peer for, during a sync (issue 6 "requests ranges from several
 * peers in parallel … retries a failed range on another peer with a budget"). Pure
 * bookkeeping, no I/O, so every rule is unit-tested: the sync loop asks `next(peer)` for
 * work, reports `completed` or `failed`, and applies what `takeReady` hands back, always in
 * height order. Browser-safe.
 *
 * - Heights are cut into chunks of `chunkSize`; a peer with fewer than `perPeer` chunks in
 *   flight gets the lowest chunk nobody is fetching, never one that peer already failed.
 *   Each chunk handed out is reported back by the Range object `next` returned.
 * - A peer that answers with fewer items than asked (the responder trims to its bounds)
 *   completes what it sent; the rest goes back as a new chunk.
 * - A failed chunk goes back to the queue for another peer; after `maxAttempts` failures it
 *   is exhausted and the sync stops (the caller reports it; nothing is skipped).
 * - Results wait until every lower height is in, so `takeReady` returns a contiguous run.
 */
import { SyncError, SyncErrorCode } from './errors.ts'

export interface Range {
  start: number
  count: number
}

interface Chunk extends Range {
  attempts: number
  /** Peers that failed it: it is not given to them again. */
  failedBy: Set<string>
}

/** A range failed its budget of attempts: the sync cannot complete from these peers. */
export class SyncExhaustedError extends SyncError {
  override readonly name = 'SyncExhaustedError'
  readonly range: Range

  constructor(range: Range, attempts: number) {
    super(
      SyncErrorCode.Exhausted,
      `heights ${range.start}..${range.start + range.count - 1} failed ${attempts} times`,
    )
    this.range = range
  }
}

export class RangeScheduler<T> {
  readonly #chunkSize: number
  readonly #maxAttempts: number
  /** Chunks nobody is fetching, lowest start first. */
  #queue: Chunk[] = []
  /** Chunks being fetched, by peer, keyed by the Range handed out for each. */
  readonly #inFlight = new Map<string, Map<Range, Chunk>>()
  readonly #perPeer: number
  /** Items received, by height, waiting for the heights below them. */
  readonly #received = new Map<number, T>()
  /** The next height takeReady hands back. */
  #nextHeight: number
  #end: number
  #exhausted: SyncExhaustedError | undefined

  /** Heights `from`..`to` inclusive; `perPeer` chunks in flight per peer at most (default 1). */
  constructor(init: { from: number; to: number; chunkSize: number; maxAttempts: number; perPeer?: number }) {
    const perPeer = init.perPeer ?? 1
    if (!(init.chunkSize >= 1) || !(init.maxAttempts >= 1) || !(perPeer >= 1))
      throw new RangeError('chunkSize, maxAttempts and perPeer must be >= 1')
    this.#chunkSize = init.chunkSize
    this.#perPeer = perPeer
    this.#maxAttempts = init.maxAttempts
    this.#nextHeight = init.from
    this.#end = init.from - 1
    this.extendTo(init.to)
  }

  /** The last height the sync aims for. */
  get target(): number {
    return this.#end
  }

  /** Raises the target (a peer showed more work): the new heights are queued. */
  extendTo(to: number): void {
    for (let start = this.#end + 1; start <= to; start += this.#chunkSize) {
      this.#insert({
        start,
        count: Math.min(this.#chunkSize, to - start + 1),
        attempts: 0,
        failedBy: new Set(),
      })
    }
    this.#end = Math.max(this.#end, to)
  }

  /** Work for `peer`, or undefined (nothing left it may take, or it has perPeer in flight). */
  next(peer: string): Range | undefined {
    this.#throwIfExhausted()
    const mine = this.#inFlight.get(peer) ?? new Map<Range, Chunk>()
    if (mine.size >= this.#perPeer) return undefined
    const index = this.#queue.findIndex((chunk) => !chunk.failedBy.has(peer))
    if (index < 0) return undefined
    const [chunk] = this.#queue.splice(index, 1) as [Chunk]
    const range: Range = { start: chunk.start, count: chunk.count }
    mine.set(range, chunk)
    this.#inFlight.set(peer, mine)
    return range
  }

  /**
   * `peer` answered `range` (as `next` returned it) with `items` (heights start, start + 1,
   * …). Fewer than asked is a trimmed answer: the rest is queued again, without counting an
   * attempt. None at all is a failure (the peer has nothing for heights it claimed).
   */
  completed(peer: string, range: Range, items: readonly T[]): void {
    const chunk = this.#take(peer, range)
    if (items.length > chunk.count)
      throw new RangeError(`${items.length} items for a range of ${chunk.count}`)
    if (items.length === 0) {
      this.#fail(peer, chunk)
      return
    }
    for (const [offset, item] of items.entries()) this.#received.set(chunk.start + offset, item)
    if (items.length < chunk.count) {
      this.#insert({
        start: chunk.start + items.length,
        count: chunk.count - items.length,
        attempts: chunk.attempts,
        failedBy: chunk.failedBy,
      })
    }
  }

  /**
   * `peer` failed `range`. Blamed (bad data): another peer gets it, never this one again.
   * Not blamed (a timeout, a reset, the peer's load): it goes back to the queue for anyone,
   * this peer included. Either way it costs an attempt of the budget.
   */
  failed(peer: string, range: Range, options: { blame?: boolean } = {}): void {
    this.#fail(peer, this.#take(peer, range), options.blame ?? true)
  }

  /** Items from the next expected height on, as far as they are contiguous. */
  takeReady(): T[] {
    const ready: T[] = []
    for (
      let item = this.#received.get(this.#nextHeight);
      item !== undefined;
      item = this.#received.get(this.#nextHeight)
    ) {
      this.#received.delete(this.#nextHeight)
      ready.push(item)
      this.#nextHeight++
    }
    return ready
  }

  /** The next height takeReady will return (everything below it has been handed back). */
  get nextHeight(): number {
    return this.#nextHeight
  }

  /** Every height up to the target handed back. */
  get done(): boolean {
    return this.#nextHeight > this.#end
  }

  /** Set once a range has failed maxAttempts times: the sync cannot complete from these peers. */
  get exhausted(): SyncExhaustedError | undefined {
    return this.#exhausted
  }

  /** Peers fetching now. */
  get busyPeers(): string[] {
    return [...this.#inFlight.keys()]
  }

  #take(peer: string, range: Range): Chunk {
    const mine = this.#inFlight.get(peer)
    const chunk = mine?.get(range)
    if (mine === undefined || chunk === undefined)
      throw new RangeError(`${peer} has no range ${range.start}+${range.count} in flight`)
    mine.delete(range)
    if (mine.size === 0) this.#inFlight.delete(peer)
    return chunk
  }

  #fail(peer: string, chunk: Chunk, blame = true): void {
    chunk.attempts++
    if (blame) chunk.failedBy.add(peer)
    if (chunk.attempts >= this.#maxAttempts) {
      this.#exhausted ??= new SyncExhaustedError(chunk, chunk.attempts)
      return
    }
    this.#insert(chunk)
  }

  #insert(chunk: Chunk): void {
    const at = this.#queue.findIndex((queued) => queued.start > chunk.start)
    if (at < 0) this.#queue.push(chunk)
    else this.#queue.splice(at, 0, chunk)
  }

  #throwIfExhausted(): void {
    if (this.#exhausted !== undefined) throw this.#exhausted
  }
}
