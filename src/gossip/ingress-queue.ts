/**
 * The node's gossip processing queue (000 "Priority Routing"; DECISIONS.md "Propagation":
 * yamux has no stream priority, so priority lives here). Received messages wait in one of
 * two bounded lanes and one worker runs them, always taking the block lane first: a block
 * that arrives behind thousands of queued transactions is validated and applied next, and
 * waits for at most the one transaction being checked. Browser-safe.
 *
 * Bounds are by count and bytes per lane. A message that does not fit is dropped at once
 * (its `drop` runs, which answers gossipsub with Ignore) and counted: under a transaction
 * flood the node keeps a bounded backlog instead of an unbounded one, and the counters say
 * how much it shed.
 */

import type { IngressLane, LaneStats } from '../api/stats.ts'

export type { IngressLane, LaneStats }

export interface LaneLimits {
  maxItems: number
  maxBytes: number
}

export interface IngressJob {
  lane: IngressLane
  /** Size of the message, for the byte bound. */
  bytes: number
  /** The work: validate and apply. Must not throw (errors are the job's to handle). */
  run: () => Promise<void> | void
  /** Called instead of `run` when the job is dropped (lane full, or the queue closed). */
  drop: (reason: 'full' | 'closed') => void
}

/** Defaults: a block lane for a few maximum-size blocks, a transaction lane of ~8k. */
export const DEFAULT_LANE_LIMITS: Readonly<Record<IngressLane, LaneLimits>> = {
  // Blocks come one per interval; 64 MiB holds six full-size blocks (10 MiB each) waiting.
  blocks: { maxItems: 256, maxBytes: 64 * 1024 * 1024 },
  // ~8 s of the gossip transaction limit; the reference chain's 152-byte transactions make it ~1.2 MiB.
  transactions: { maxItems: 8_192, maxBytes: 8_192 * 256 },
}

/** Work longer than this without yielding would delay receiving the next block. */
const YIELD_AFTER_MS = 1

const yieldToEventLoop: () => Promise<void> =
  typeof globalThis.setImmediate === 'function'
    ? () => new Promise((resolve) => globalThis.setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0))

class Lane {
  readonly limits: LaneLimits
  /** A FIFO as an array with a moving head: no O(n) shift per item. */
  #items: IngressJob[] = []
  #head = 0
  bytes = 0
  processed = 0
  dropped = 0
  highWater = 0

  constructor(limits: LaneLimits) {
    this.limits = limits
  }

  get length(): number {
    return this.#items.length - this.#head
  }

  fits(job: IngressJob): boolean {
    return this.length < this.limits.maxItems && this.bytes + job.bytes <= this.limits.maxBytes
  }

  push(job: IngressJob): void {
    this.#items.push(job)
    this.bytes += job.bytes
    this.highWater = Math.max(this.highWater, this.length)
  }

  shift(): IngressJob | undefined {
    if (this.#head >= this.#items.length) return undefined
    const job = this.#items[this.#head] as IngressJob
    this.#items[this.#head] = undefined as unknown as IngressJob
    this.#head++
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    this.bytes -= job.bytes
    return job
  }

  stats(): LaneStats {
    return {
      queued: this.length,
      queuedBytes: this.bytes,
      processed: this.processed,
      dropped: this.dropped,
      highWater: this.highWater,
    }
  }
}

export class IngressQueue {
  readonly #lanes: Record<IngressLane, Lane>
  #running = false
  #closed = false
  #idle: Promise<void> = Promise.resolve()

  constructor(limits: Partial<Record<IngressLane, LaneLimits>> = {}) {
    this.#lanes = {
      blocks: new Lane(limits.blocks ?? DEFAULT_LANE_LIMITS.blocks),
      transactions: new Lane(limits.transactions ?? DEFAULT_LANE_LIMITS.transactions),
    }
  }

  /** Queues a job; false (after calling its `drop`) if its lane is full or the queue closed. */
  push(job: IngressJob): boolean {
    const lane = this.#lanes[job.lane]
    if (this.#closed) {
      job.drop('closed')
      return false
    }
    if (!lane.fits(job)) {
      lane.dropped++
      job.drop('full')
      return false
    }
    lane.push(job)
    if (!this.#running) {
      this.#running = true
      this.#idle = this.#work()
    }
    return true
  }

  stats(): Record<IngressLane, LaneStats> {
    return { blocks: this.#lanes.blocks.stats(), transactions: this.#lanes.transactions.stats() }
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.#idle
  }

  /** Drops everything queued and refuses new jobs; resolves when the running job finished. */
  async close(): Promise<void> {
    this.#closed = true
    for (const lane of Object.values(this.#lanes)) {
      for (let job = lane.shift(); job !== undefined; job = lane.shift()) job.drop('closed')
    }
    await this.#idle
  }

  #next(): { job: IngressJob; lane: Lane } | undefined {
    for (const lane of [this.#lanes.blocks, this.#lanes.transactions]) {
      const job = lane.shift()
      if (job !== undefined) return { job, lane }
    }
    return undefined
  }

  async #work(): Promise<void> {
    let since = performance.now()
    try {
      for (let next = this.#next(); next !== undefined; next = this.#next()) {
        try {
          await next.job.run()
        } catch {
          // A job handles its own errors; this keeps one bug from stopping the queue.
        }
        next.lane.processed++
        // Let the network deliver what arrived meanwhile (a block, most importantly) so
        // the block lane is looked at again before the next transaction.
        if (performance.now() - since >= YIELD_AFTER_MS) {
          await yieldToEventLoop()
          since = performance.now()
        }
      }
    } finally {
      this.#running = false
    }
  }
}
