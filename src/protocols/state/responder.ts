/**
 * Answering one /paw/state/1 stream a peer opened (protocols/state.md "Stream rules"): one
 * request, within the `stateRequests` limit, answered with the chain's proof; then nothing
 * but the asker's close. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { StateStats } from '../../api/stats.ts'
import { NetworkError } from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import { type PeerRateLimiter, STATE_TRANSACTION_COST } from '../../peers/rate-limits.ts'
import type { StateProver } from '../../ports/chain.ts'
import type { Frame } from '../../wire/frame.ts'
import {
  decodeGetAccount,
  decodeGetTransactionStatus,
  encodeAccount,
  encodeTransactionStatus,
} from '../../wire/state.ts'
import {
  decodePeerPayload,
  invalidFault,
  type PeerFault,
  rateLimitedFault,
  unexpectedFault,
} from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { toError } from '../shared/protocol-streams.ts'
import { nextMessage } from '../shared/reader.ts'
import { StateFrameType } from './constants.ts'
import { ANSWERED_LIMITS } from './limits.ts'

/** What answering needs: the chain's prover, the limit, the counters, and where faults go. */
export interface Answering {
  prover: StateProver
  limiter: Pick<PeerRateLimiter, 'allow'>
  /** Counted as each answer is written. */
  served: StateStats['served']
  /** How long the chain may take to prove. */
  timeoutMs: number
  log: Logger
  /** Refuses a frame skipped while reading (0x05: charged, reading goes on). */
  refuse: (fault: PeerFault) => void
}

/**
 * Reads the request on `channel` (accepting REQUEST_LIMITS), answers it and closes our side,
 * then waits for the asker's close.
 * @throws PeerFault (0x05 malformed or an address the chain does not have; 0x09 over the
 *   limit; 0x0A a frame after the request; 0x04 from the channel), NetworkError (the chain
 *   could not answer: logged at WARN, nobody charged; the stream failed)
 */
export async function answerRequest(
  channel: FrameChannel,
  peerId: string,
  answering: Answering,
): Promise<void> {
  const request = await nextMessage(channel, answering.refuse)
  if (request === undefined) {
    await channel.close()
    return
  }
  // Lock-step, one request per stream: any frame from now on is not accepted (0x0A).
  channel.setLimits(ANSWERED_LIMITS)
  const asksAccount = request.type === StateFrameType.GetAccount
  const cost = asksAccount ? 1 : STATE_TRANSACTION_COST
  if (!answering.limiter.allow(peerId, 'stateRequests', cost)) {
    throw rateLimitedFault(`${request.type} beyond the stateRequests limit: not answered`)
  }
  if (asksAccount) await answerAccount(channel, peerId, request, answering)
  else await answerTransaction(channel, peerId, request, answering)
  await channel.close()
  const more = await nextMessage(channel, answering.refuse)
  if (more !== undefined)
    throw unexpectedFault(`a ${more.type} frame after the answer: one request per stream`)
}

async function answerAccount(
  channel: FrameChannel,
  peerId: string,
  request: Frame,
  answering: Answering,
): Promise<void> {
  const payload = request.payload
  const { block, address } = decodePeerPayload(() => decodeGetAccount(payload))
  const proof = await prove(peerId, 'get_account', answering, (options) =>
    answering.prover.proveAccount(block, address, options),
  )
  if (proof === undefined) {
    throw invalidFault(`get_account: ${address.length} bytes are not an address of this chain`)
  }
  await channel.write(StateFrameType.Account, encodeAccount({ ...proof, block }))
  answering.served.accounts++
}

async function answerTransaction(
  channel: FrameChannel,
  peerId: string,
  request: Frame,
  answering: Answering,
): Promise<void> {
  const payload = request.payload
  const transaction = decodePeerPayload(() => decodeGetTransactionStatus(payload))
  const proof = await prove(peerId, 'get_transaction_status', answering, (options) =>
    answering.prover.proveTransaction(transaction, options),
  )
  await channel.write(StateFrameType.TransactionStatus, encodeTransactionStatus({ ...proof, transaction }))
  answering.served.transactions++
}

/** The chain's answer within the timeout; its failure is ours, not the peer's (logged, not charged). */
async function prove<T>(
  peerId: string,
  what: string,
  answering: Answering,
  proving: (options: AbortOptions) => Promise<T>,
): Promise<T> {
  try {
    return await proving({ signal: AbortSignal.timeout(answering.timeoutMs) })
  } catch (error) {
    const cause = toError(error)
    answering.log.warn(`state: the chain could not answer ${what}`, { peer: peerId, error: cause.message })
    throw new NetworkError(`the chain could not answer ${what}: ${cause.message}`, { cause })
  }
}
