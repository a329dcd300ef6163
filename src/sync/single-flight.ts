/**
 * One sync at a time: a call while one runs joins it rather than starting a second over the
 * same peers and heights. The run follows the signal of the call that started it; a call
 * that joined stops waiting when its own signal aborts (the run goes on). Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { raceSignal } from './abort.ts'

export class SingleFlight<T> {
  #running: Promise<T> | undefined

  /** Starts `start` unless a run is under way, and resolves with the run's outcome. */
  run(start: (options: AbortOptions) => Promise<T>, options: AbortOptions = {}): Promise<T> {
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason)
    if (this.#running !== undefined) return raceSignal(this.#running, options)
    const running = start(options).finally(() => {
      this.#running = undefined
    })
    this.#running = running
    return running
  }
}
