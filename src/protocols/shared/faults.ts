/**
 * Faults a peer commits on /paw/mempool/1, each with its wire code and what it costs the
 * peer (protocols/mempool.md "Stream rules"). A PeerFault is thrown inside a stream's flow
 * and caught where the stream is run: logged at WARN, charged, counted, the stream reset.
 * Errors that are not PeerFaults (a reset stream, a timeout, our own bug) charge nobody.
 */
import {
  ErrorCode,
  hasErrorCode,
  InvalidMessageFormatError,
  type PawError,
  RateLimitedError,
  UnexpectedMessageError,
} from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import { ERROR_ACTIONS, type PenaltyReason, type Reputation } from '../../peers/reputation.ts'
import type { RefusalReason } from '../mempool/stats.ts'

export class PeerFault extends Error {
  readonly error: PawError
  /** The local penalty; undefined where it was charged already (0x09: the rate limiter's). */
  readonly penalty: PenaltyReason | undefined
  readonly refusal: RefusalReason

  constructor(error: PawError, penalty: PenaltyReason | undefined, refusal: RefusalReason) {
    super(error.message, { cause: error })
    this.error = error
    this.penalty = penalty
    this.refusal = refusal
  }
}

/** 0x0A: well-formed, but not allowed at this point or not matching our request. */
export function unexpectedFault(error: UnexpectedMessageError | string): PeerFault {
  const cause = typeof error === 'string' ? new UnexpectedMessageError(error) : error
  return new PeerFault(cause, ERROR_ACTIONS.UnexpectedMessage.penalty, 'unexpectedMessage')
}

/** 0x05: a malformed frame or payload, or a frame type the protocol does not define. */
export function invalidFault(error: InvalidMessageFormatError | string): PeerFault {
  const cause = typeof error === 'string' ? new InvalidMessageFormatError(error) : error
  return new PeerFault(cause, ERROR_ACTIONS.InvalidMessageFormat.penalty, 'invalidMessage')
}

/**
 * 0x09: over a per-peer limit. The limiter's onViolation charges the peer
 * (ERROR_ACTIONS.RateLimited, once per window), so the fault itself charges nothing.
 */
export function rateLimitedFault(message: string): PeerFault {
  return new PeerFault(new RateLimitedError(message), undefined, 'rateLimited')
}

/** Runs a decoder on a peer's payload: its 0x05 becomes the peer's fault. */
export function decodePeerPayload<T>(decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    if (hasErrorCode(error, ErrorCode.InvalidMessageFormat)) throw invalidFault(error)
    throw error
  }
}

/** "0x0a" for logs. */
export function codeText(error: PawError): string {
  return `0x${error.code.toString(16).padStart(2, '0')}`
}

/** Where a protocol's refusals go: its counters, the reputation it charges, its log. */
export interface FaultSink {
  refused: Record<RefusalReason, number>
  reputation: Pick<Reputation, 'penalize'>
  log: Logger
  /** The protocol, for the log line ("blocks message refused"). */
  what: string
}

/**
 * Refuses a peer's fault, the same way on every /paw/* protocol: counted, charged its
 * penalty (none for 0x09, which the rate limiter charges), logged at WARN with the score
 * after the charge.
 */
export function refuseFault(sink: FaultSink, peerId: string, fault: PeerFault): void {
  sink.refused[fault.refusal]++
  const score = fault.penalty === undefined ? undefined : sink.reputation.penalize(peerId, fault.penalty)
  sink.log.warn(`${sink.what} message refused`, {
    peer: peerId,
    code: codeText(fault.error),
    name: fault.error.name,
    error: fault.error.message,
    ...(score === undefined ? {} : { score: Math.round(score) }),
  })
}
