/** Closing a libp2p connection without leaving it half-closed or rejecting. Browser-safe. */
import type { Connection } from '@libp2p/interface'
import { NetworkError } from '../errors.ts'

/**
 * Closes a connection gracefully, aborting it if that fails or takes longer than
 * `timeoutMs`. Never rejects: under churn `close()` can reject (StreamStateError), and an
 * unhandled rejection ends the process.
 *
 * A connection already 'closing' is not left to its fate: a graceful close started
 * elsewhere (libp2p's own, without our timeout) waits on the remote, and across a cut link
 * the remote never answers, so the connection would stay half-closed for TCP's own
 * timeout (many minutes), its peer neither connected nor free to be redialled.
 */
export async function closeConnection(connection: Connection, timeoutMs = 2_000): Promise<void> {
  if (connection.status === 'closed') return
  if (connection.status !== 'open') {
    await closedWithin(connection, timeoutMs)
    if ((connection.status as string) !== 'closed')
      connection.abort(new NetworkError(`close did not finish in ${timeoutMs} ms`))
    return
  }
  try {
    await connection.close({ signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    connection.abort(error instanceof Error ? error : new NetworkError(String(error)))
  }
}

/** Resolves when the connection emits 'close', or after `timeoutMs`. */
function closedWithin(connection: Connection, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      connection.removeEventListener('close', done)
      resolve()
    }
    const timer = setTimeout(done, timeoutMs)
    connection.addEventListener('close', done)
  })
}
