/**
 * Runs tasks one after another: a task starts only when the previous one settled, so the
 * checks and the writes of one never interleave with another's (store commits, adding
 * blocks or headers to a chain).
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task)
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  /** Settles when every task queued so far has settled. */
  idle(): Promise<void> {
    return this.#tail
  }
}
