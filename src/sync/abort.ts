/**
 * Waiting under an AbortSignal (the libp2p convention: every async method takes
 * `options?: AbortOptions`, and an aborted one rejects with the signal's reason).
 * Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, options: AbortOptions = {}): Promise<void> {
  return raceSignal(new Promise<void>((resolve) => setTimeout(resolve, ms)), options)
}

/** `promise`'s outcome, or the signal's reason if it aborts first (`promise` runs on). */
export function raceSignal<T>(promise: Promise<T>, options: AbortOptions = {}): Promise<T> {
  const { signal } = options
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
