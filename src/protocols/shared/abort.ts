/**
 * A caller's AbortSignal (AbortOptions, the libp2p convention) applied to the streams a
 * request runs on: an aborted request resets its stream, since a lock-step stream whose
 * answer is not read cannot carry the next request. Browser-safe.
 */
import type { Stream } from '@libp2p/interface'

/**
 * Aborts `stream` with the signal's reason when `signal` aborts (at once if it has);
 * returns what stops listening.
 */
export function abortOnSignal(stream: Pick<Stream, 'abort'>, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => {}
  const onAbort = (): void => stream.abort(reasonOf(signal))
  if (signal.aborted) {
    onAbort()
    return () => {}
  }
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/** The signal's reason as an Error. */
export function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason : new Error(String(reason ?? 'aborted'))
}

/**
 * `promise`, or a rejection with the signal's reason as soon as `signal` aborts (the work
 * itself goes on; the caller makes sure it stops: a queued request checks the signal before
 * it starts).
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(reasonOf(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {})
      reject(reasonOf(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
