/**
 * Faults a peer commits on a /paw/* stream, each with its wire code and the offence it is
 * charged as (OFFENCES in src/peers/reputation.ts; protocols/errors.md "What each code
 * costs"). A PeerFault is thrown inside a stream's flow and caught where the stream is
 * run: counted, charged through the enforcer (which logs it at WARN and disconnects or
 * bans where the offence says so), the stream reset. Errors that are not PeerFaults (a
 * reset stream, our own shutdown, the node's memory budget) charge nobody.
 */
import type { RefusedCounts } from '../../api/stats.ts'
import {
  codeText,
  ErrorCode,
  hasErrorCode,
  InvalidMessageFormatError,
  isPawError,
  NetworkError,
  type PawError,
  RateLimitedError,
  UnexpectedMessageError,
} from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import type { Enforcer } from '../../peers/enforcer.ts'
import type { OffenceName } from '../../peers/offences.ts'

export type { RefusedCounts }

export type RefusalReason = keyof RefusedCounts

export function newRefusedCounts(): RefusedCounts {
  return {
    rateLimited: 0,
    unexpectedMessage: 0,
    invalidMessage: 0,
    messageTooLarge: 0,
    slowReader: 0,
    overBudget: 0,
    notHandshaken: 0,
  }
}

/**
 * A peer's fault inside a stream's flow: the PawError it stands for (`error`, what a caller
 * outside the protocol is given) and what it costs the peer.
 */
export class PeerFault extends Error {
  readonly code = 'ERR_PEER_FAULT'
  override readonly name = 'PeerFault'
  readonly error: PawError
  /** The offence charged; undefined where it was charged already (0x09: the rate limiter's). */
  readonly offence: OffenceName | undefined
  readonly refusal: RefusalReason
  /** Set once refused (counted and charged): a fault seen twice is charged once. */
  refused = false

  constructor(error: PawError, offence: OffenceName | undefined, refusal: RefusalReason) {
    super(error.message, { cause: error })
    this.error = error
    this.offence = offence
    this.refusal = refusal
  }
}

/** 0x0A: well-formed, but not allowed at this point or not matching our request. */
export function unexpectedFault(error: UnexpectedMessageError | string): PeerFault {
  const cause = typeof error === 'string' ? new UnexpectedMessageError(error) : error
  return new PeerFault(cause, 'unexpectedMessage', 'unexpectedMessage')
}

/** 0x05: a malformed frame or payload, or a frame type the protocol does not define. */
export function invalidFault(error: InvalidMessageFormatError | string): PeerFault {
  const cause = typeof error === 'string' ? new InvalidMessageFormatError(error) : error
  return new PeerFault(cause, 'invalidMessage', 'invalidMessage')
}

/** 0x04: a frame over its type's limit, refused from its header (framing.md "Frame limits"). */
export function tooLargeFault(error: PawError): PeerFault {
  return new PeerFault(error, 'messageTooLarge', 'messageTooLarge')
}

/** 0x0B: an answer the peer did not read within the write timeout. */
export function slowReaderFault(error: PawError): PeerFault {
  return new PeerFault(error, 'slowReader', 'slowReader')
}

/**
 * 0x09: over a per-peer limit. The limiter's onViolation charges the peer
 * (OFFENCES.rateLimited, once per window), so the fault itself charges nothing.
 */
export function rateLimitedFault(message: string): PeerFault {
  return new PeerFault(new RateLimitedError(message), undefined, 'rateLimited')
}

/**
 * The fault a skipped frame's error stands for (0x05 or 0x0A, framing.md "Frame limits"),
 * or undefined for an error that is not a skipped frame.
 */
export function faultOfSkipped(item: unknown): PeerFault | undefined {
  if (!isPawError(item)) return undefined
  if (item.wireCode === ErrorCode.UnexpectedMessage) return unexpectedFault(item as UnexpectedMessageError)
  if (item.wireCode === ErrorCode.InvalidMessageFormat) return invalidFault(item as InvalidMessageFormatError)
  return undefined
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

/** Where a protocol's refusals go: its counters, the enforcer that charges, its log. */
export interface FaultSink {
  refused: RefusedCounts
  enforcer: Pick<Enforcer, 'charge'>
  log: Logger
  /** The protocol, for the log line ("blocks: peer charged for …"). */
  what: string
}

/**
 * Refuses a peer's fault, the same way on every /paw/* protocol: counted, and charged as
 * its offence by the enforcer (which logs it at WARN with the score after the charge, and
 * disconnects or bans where the offence calls for it). 0x09, charged by the rate limiter,
 * is logged here. A fault already refused (the channel reports one as it happens, and the
 * reader meets it again) is not counted or charged twice.
 */
export function refuseFault(sink: FaultSink, peerId: string, fault: PeerFault): void {
  if (fault.refused) return
  fault.refused = true
  sink.refused[fault.refusal]++
  if (fault.offence !== undefined) {
    sink.enforcer.charge(peerId, fault.offence, fault.error, sink.what)
    return
  }
  sink.log.warn(`${sink.what} message refused`, {
    peer: peerId,
    code: codeText(fault.error),
    name: fault.error.name,
    error: fault.error.message,
  })
}

/**
 * Ends a stream that failed, the same way on every /paw/* protocol: a peer's fault is
 * refused (counted, charged), a refusal of the memory budget is counted and logged at
 * INFO (nobody is charged: the peer's own offence, if any, is charged where it happened),
 * anything else (a reset, a timeout of the network, our shutdown) is logged at `level`.
 * The stream is aborted in every case.
 */
export function endFailedStream(
  sink: FaultSink,
  stream: { abort(error: Error): void } | undefined,
  peerId: string,
  error: unknown,
  level: 'debug' | 'info' = 'debug',
): void {
  if (error instanceof PeerFault) {
    refuseFault(sink, peerId, error)
    stream?.abort(error.error)
    return
  }
  const cause = error instanceof Error ? error : new NetworkError(String(error))
  if (hasErrorCode(error, ErrorCode.ResourceLimitExceeded)) {
    sink.refused.overBudget++
    sink.log.info(`${sink.what}: refused, memory budget`, { peer: peerId, error: cause.message })
  } else {
    sink.log[level](`${sink.what} stream failed`, { peer: peerId, error: cause.message })
  }
  stream?.abort(cause)
}
