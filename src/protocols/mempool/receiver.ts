/**
 * The receiving side of MEMPOOL_SYNC (protocols/mempool.md "Fetching"): the peer opened the
 * stream and sent its inventory. We fetch the hashes we neither hold, nor are fetching
 * elsewhere, nor have rejected, in inventory order, at most 256 per `get_transactions`,
 * one request at a time; check each answer against its request; admit what it brings; then
 * close. A light node (no mempool) closes at once.
 */
import { NetworkError, UnexpectedMessageError } from '../../errors.ts'
import { toHex } from '../../wire/bytes.ts'
import { FrameType } from '../../wire/constants.ts'
import {
  decodeTransactions,
  encodeGetTransactions,
  MAX_TRANSACTIONS_PER_REQUEST,
} from '../../wire/mempool.ts'
import { decodePeerPayload, unexpectedFault } from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { nextMessage } from '../shared/reader.ts'
import { SyncAdmission } from './admission.ts'
import type { MempoolContext } from './context.ts'
import { type MatchedAnswer, matchAnswer } from './matching.ts'
import type { MempoolChain } from './types.ts'

/**
 * Reads the answer to `requested` on `channel` and checks it, the transactions' ids as
 * `chain` gives them.
 * @throws PeerFault (0x0A: another frame, or an answer that does not match; 0x05: a
 *   malformed payload); NetworkError if the peer closes first
 */
export async function readAnswer(
  context: MempoolContext,
  chain: MempoolChain,
  channel: FrameChannel,
  peerId: string,
  requested: readonly Uint8Array[],
): Promise<MatchedAnswer> {
  const frame = await nextMessage(channel, (fault) => context.refuse(peerId, fault))
  if (frame === undefined) throw new NetworkError('the peer closed the stream without answering')
  if (frame.type !== FrameType.Transactions) {
    throw unexpectedFault(
      frame.type === FrameType.MempoolHashes
        ? 'mempool_hashes is allowed only as the first frame of a stream its sender opened'
        : 'get_transactions while our own request waits for its answer',
    )
  }
  const payload = frame.payload
  const transactionBytes = chain.shape.transactionBytes
  const answer = decodePeerPayload(() => decodeTransactions(payload, transactionBytes))
  try {
    return matchAnswer(requested, answer, chain)
  } catch (error) {
    if (error instanceof UnexpectedMessageError) throw unexpectedFault(error)
    throw error
  }
}

/** The next request of a sync: up to 256 wanted hashes from `position` on. */
function nextBatch(
  context: MempoolContext,
  inventory: readonly Uint8Array[],
  start: number,
): { hashes: Uint8Array[]; ids: string[]; next: number } {
  const pool = context.chain?.pool
  const hashes: Uint8Array[] = []
  const ids: string[] = []
  let position = start
  while (position < inventory.length && hashes.length < MAX_TRANSACTIONS_PER_REQUEST) {
    const hash = inventory[position++] as Uint8Array
    const id = toHex(hash)
    if (pool?.has(id) || context.inFlight.has(id) || context.rejected.has(id)) continue
    hashes.push(hash)
    ids.push(id)
  }
  return { hashes, ids, next: position }
}

/** Fetches what `inventory` offers that we lack, then closes our side of the stream. */
export async function receiveInventory(
  context: MempoolContext,
  channel: FrameChannel,
  peerId: string,
  inventory: readonly Uint8Array[],
): Promise<void> {
  const side = context.chain
  if (side?.pool === undefined) {
    await channel.close()
    return
  }
  // From here we ask and the peer answers: one answer per request, none unasked.
  channel.setLimits(side.limits.requesting)
  const admission = new SyncAdmission(context, peerId)
  let requests = 0
  let fetched = 0
  let notFound = 0
  let position = 0
  for (;;) {
    // Wanted is decided per request, so what gossip brought meanwhile is not fetched again.
    const batch = nextBatch(context, inventory, position)
    position = batch.next
    if (batch.hashes.length === 0) break
    for (const id of batch.ids) context.inFlight.add(id)
    try {
      channel.expectOne(side.limits.answer(batch.hashes.length))
      await channel.write(FrameType.GetTransactions, encodeGetTransactions(batch.hashes))
      requests++
      context.stats.requestsSent++
      const answer = await readAnswer(context, side.port, channel, peerId, batch.hashes)
      fetched += answer.found.length
      notFound += answer.notFound.length
      context.stats.transactionsFetched += answer.found.length
      admission.add(answer.found)
    } finally {
      for (const id of batch.ids) context.inFlight.delete(id)
    }
  }
  await channel.close()
  context.init.log.debug('mempool sync received', {
    peer: peerId,
    announced: inventory.length,
    requests,
    fetched,
    notFound,
    admitted: admission.admitted,
    invalid: admission.invalid,
    dropped: admission.deferred,
  })
}
