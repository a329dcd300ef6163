/**
 * The announcing side of MEMPOOL_SYNC (protocols/mempool.md "Who opens"): we open the
 * stream, send our inventory (the 4096 best-paying pending hashes, highest fee first) as its
 * first frame, and answer the peer's `get_transactions` until it closes.
 *
 * A node whose mempool is empty opens no stream: an inventory of count 0 is valid but tells
 * the peer nothing, and would cost it a stream and a token of its inventory limit.
 */
import type { AbortOptions, Connection } from '@libp2p/interface'
import { fromHex } from '../../wire/bytes.ts'
import { FrameType } from '../../wire/constants.ts'
import { encodeMempoolHashes, MAX_MEMPOOL_HASHES } from '../../wire/mempool.ts'
import { abortOnSignal } from '../shared/abort.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import type { MempoolContext } from './context.ts'
import { SERVING_LIMITS } from './limits.ts'
import { serveRequests } from './responder.ts'

/** The inventory to announce, or undefined when there is nothing to announce. */
export function inventory(context: MempoolContext): Uint8Array | undefined {
  const pool = context.chain?.pool
  if (pool === undefined) return undefined
  const ids = pool.bestIds(MAX_MEMPOOL_HASHES)
  if (ids.length === 0) return undefined
  return encodeMempoolHashes(ids.map((id) => fromHex(id)))
}

/**
 * Sends `payload` as the first frame of a new stream and serves the peer's requests; the
 * signal, if it aborts, resets the stream.
 */
export async function announce(
  context: MempoolContext,
  connection: Connection,
  peerId: string,
  payload: Uint8Array,
  onOpen: (channel: FrameChannel) => void,
  options: AbortOptions = {},
): Promise<void> {
  const channel = await context.open(connection, SERVING_LIMITS, options)
  onOpen(channel)
  const stopListening = abortOnSignal(channel.stream, options.signal)
  try {
    await channel.write(FrameType.MempoolHashes, payload)
    context.stats.inventoriesSent++
    await serveRequests(context, channel, peerId)
  } finally {
    stopListening()
  }
}
