/**
 * Whether the peer manager runs, the signal stop() aborts, and the work it started in the
 * background (pings, dials, closes) that stop() waits for before closing connections
 * (004 §5.2: stop dialling, then close). Browser-safe.
 */
import { NetworkError } from '../errors.ts'

export class BackgroundWork {
  #stopping = false
  #shutdown = new AbortController()
  readonly #inflight = new Set<Promise<unknown>>()

  /** True from end() to the next begin(): no new work is started, no peer admitted. */
  get stopping(): boolean {
    return this.#stopping
  }

  /** Aborted by end(): cuts short dials and pings in flight so shutdown is prompt. */
  get signal(): AbortSignal {
    return this.#shutdown.signal
  }

  /** How many tracked pieces of work have not settled. */
  get size(): number {
    return this.#inflight.size
  }

  begin(): void {
    this.#stopping = false
    this.#shutdown = new AbortController()
  }

  end(reason: Error = new NetworkError('node is shutting down')): void {
    this.#stopping = true
    this.#shutdown.abort(reason)
  }

  /** Keeps `work` until it settles, for settled(). */
  track<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work)
    const done = (): void => {
      this.#inflight.delete(work)
    }
    work.then(done, done)
    return work
  }

  /** Resolves when the work tracked so far has settled (work tracked later is not waited for). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inflight])
  }
}
