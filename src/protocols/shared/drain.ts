/**
 * Waiting on a libp2p v3 stream's write side. Waits for the stream's events, not
 * `onDrain()`, which in @libp2p/utils 7.4.1 resolves at once after the first drain.
 */
import type { Stream } from '@libp2p/interface'
import { NetworkError } from '../../errors.ts'

type EventSource = Pick<Stream, 'addEventListener' | 'removeEventListener'>

/**
 * Resolves on the first `event` after which `done()` holds; rejects with `closedMessage` if
 * the stream closes (or is aborted) first.
 */
function until(stream: EventSource, event: 'drain' | 'idle', done: () => boolean, closedMessage: string) {
  return new Promise<void>((resolve, reject) => {
    const onEvent = (): void => {
      if (!done()) return
      cleanup()
      resolve()
    }
    const onClose = (): void => {
      cleanup()
      reject(new NetworkError(closedMessage))
    }
    const cleanup = (): void => {
      stream.removeEventListener(event, onEvent)
      stream.removeEventListener('close', onClose)
    }
    stream.addEventListener(event, onEvent)
    stream.addEventListener('close', onClose)
  })
}

/**
 * Resolves once the stream's write buffer is empty: every byte handed to send() has gone
 * to the muxer, which takes only what the peer's window allows. Until then the bytes are
 * still held by this node (and counted against the peer's memory budget). Rejects if the
 * stream closes first.
 */
export function flushed(stream: EventSource & Pick<Stream, 'writeBufferLength'>): Promise<void> {
  if (stream.writeBufferLength === 0) return Promise.resolve()
  return until(
    stream,
    'idle',
    () => stream.writeBufferLength === 0,
    'stream closed while its last bytes were queued',
  )
}

/** Resolves on the stream's 'drain' event; rejects if it closes (or is aborted) first. */
export function drained(stream: EventSource): Promise<void> {
  return until(stream, 'drain', () => true, 'stream closed while waiting to write')
}
