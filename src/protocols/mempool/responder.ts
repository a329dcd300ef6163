/**
 * The answering side (protocols/mempool.md "Answering", "TRANSACTION_REQUEST alone"): every
 * `get_transactions` gets exactly one `transactions` frame, the transactions found in
 * request order, then the hashes not found. One request at a time: the next is read only
 * after the answer to this one is written, so at most one answer is held in memory.
 */
import type { TransactionPoolPort } from '../../ports/transaction-pool.ts'
import { toHex } from '../../wire/bytes.ts'
import { FrameType } from '../../wire/constants.ts'
import type { Frame } from '../../wire/frame.ts'
import { decodeGetTransactions, encodeTransactions } from '../../wire/mempool.ts'
import { decodePeerPayload, rateLimitedFault, unexpectedFault } from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { nextMessage } from '../shared/reader.ts'
import type { MempoolContext } from './context.ts'

/**
 * The `transactions` payload answering `hashes` from `pool` (its encodings as they are,
 * each `transactionBytes`: the chain's), and how many were found.
 */
export function answerRequest(
  pool: Pick<TransactionPoolPort, 'encoded'>,
  hashes: readonly Uint8Array[],
  transactionBytes: number,
): { payload: Uint8Array; found: number } {
  const transactions: Uint8Array[] = []
  const notFound: Uint8Array[] = []
  for (const hash of hashes) {
    const encoded = pool.encoded(toHex(hash))
    if (encoded === undefined) notFound.push(hash)
    else transactions.push(encoded)
  }
  return {
    payload: encodeTransactions({ transactions, notFound }, transactionBytes),
    found: transactions.length,
  }
}

/** Why a frame other than `get_transactions` is not allowed where requests are answered. */
function misplaced(type: string): string {
  return type === FrameType.MempoolHashes
    ? 'mempool_hashes is allowed only as the first frame of a stream its sender opened'
    : 'a transactions frame that answers no get_transactions of ours'
}

/**
 * Answers the peer's `get_transactions` frames on `channel` (`first` already read, if
 * any) until the peer closes its side, then closes ours.
 * @throws PeerFault for a misplaced frame (0x0A), a malformed request (0x05), a request
 *   over the peer's rate limit (0x09, not answered); NetworkError
 */
export async function serveRequests(
  context: MempoolContext,
  channel: FrameChannel,
  peerId: string,
  first?: Frame,
): Promise<void> {
  const { limiter } = context.init
  const side = context.chain
  let frame = first
  for (;;) {
    frame ??= await nextMessage(channel, (fault) => context.refuse(peerId, fault))
    if (frame === undefined) break
    if (frame.type !== FrameType.GetTransactions) throw unexpectedFault(misplaced(frame.type))
    if (!limiter.allow(peerId, 'mempoolRequests')) {
      throw rateLimitedFault('get_transactions beyond the mempoolRequests limit: not answered')
    }
    const payload = frame.payload
    const hashes = decodePeerPayload(() => decodeGetTransactions(payload))
    if (side?.pool === undefined) break // a light node holds no transactions and serves none
    const answer = answerRequest(side.pool, hashes, side.port.shape.transactionBytes)
    await channel.write(FrameType.Transactions, answer.payload)
    context.stats.requestsServed++
    context.stats.transactionsServed += answer.found
    frame = undefined
  }
  await channel.close()
}
