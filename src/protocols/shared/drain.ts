/**
 * Waiting on a libp2p v3 stream's write side. Waits for the stream's events, not
 * `onDrain()`, which in @libp2p/utils 7.4.1 resolves at once after the first drain.
 */
import type { Stream } from '@libp2p/interface'
import { NetworkError } from '../../errors.ts'

/**
 * Resolves once the stream's write buffer is empty: every byte handed to send() has gone
 * to the muxer, which takes only what the peer's window allows. Until then the bytes are
 * still held by this node (and counted against the peer's memory budget). Rejects if the
 * stream closes first.
 */
export function flushed(
  stream: Pick<Stream, 'writeBufferLength' | 'addEventListener' | 'removeEventListener'>,
): Promise<void> {
  if (stream.writeBufferLength === 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onIdle = (): void => {
      if (stream.writeBufferLength > 0) return
      cleanup()
      resolve()
    }
    const onClose = (): void => {
      cleanup()
      reject(new NetworkError('stream closed while its last bytes were queued'))
    }
    const cleanup = (): void => {
      stream.removeEventListener('idle', onIdle)
      stream.removeEventListener('close', onClose)
    }
    stream.addEventListener('idle', onIdle)
    stream.addEventListener('close', onClose)
  })
}

/** Resolves on the stream's 'drain' event; rejects if it closes (or is aborted) first. */
export function drained(stream: Pick<Stream, 'addEventListener' | 'removeEventListener'>): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      cleanup()
      resolve()
    }
    const onClose = (): void => {
      cleanup()
      reject(new NetworkError('stream closed while waiting to write'))
    }
    const cleanup = (): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
    }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
  })
}
