import type { Connection } from '@libp2p/interface'
import { NetworkError } from '../errors.ts'

/**
 * Closes a connection gracefully, aborting it if that fails. Never rejects: under churn
 * `close()` can reject (StreamStateError), and an unhandled rejection ends the process.
 */
export async function closeConnection(connection: Connection, timeoutMs = 2_000): Promise<void> {
  if (connection.status !== 'open') return
  try {
    await connection.close({ signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    connection.abort(error instanceof Error ? error : new NetworkError(String(error)))
  }
}
