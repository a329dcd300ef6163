/**
 * Typed errors for everything a remote peer can cause.
 *
 * Every error has a stable string `code` ('ERR_INVALID_MESSAGE_FORMAT') and `name`
 * ('InvalidMessageFormat'): what callers, logs and metrics test. A PawError also carries
 * its numeric `wireCode`, the PAW wire error code (004 Appendix B, extended from 0x09 in
 * protocols/errors.md): what a `reject` frame carries and what reputation keys on. Use
 * `isPawError()` or `hasErrorCode()`, not `instanceof`: `instanceof` fails when a dApp
 * bundle holds two copies of this package, so every error also carries a `Symbol.for`
 * brand.
 */

/** 004 Appendix B codes 0x01–0x08, and the extensions documented in protocols/errors.md. */
export const ErrorCode = {
  ProtocolVersionMismatch: 0x01,
  ChainIdMismatch: 0x02,
  HandshakeTimeout: 0x03,
  MessageTooLarge: 0x04,
  InvalidMessageFormat: 0x05,
  PeerLimitReached: 0x06,
  ReputationRejection: 0x07,
  NetworkError: 0x08,
  // Extensions (protocols/errors.md).
  RateLimited: 0x09,
  UnexpectedMessage: 0x0a,
  ResourceLimitExceeded: 0x0b,
} as const

export type ErrorCodeName = keyof typeof ErrorCode
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName]

/** The stable string code of each wire code's error class. */
export const ERROR_CODE_STRINGS = {
  ProtocolVersionMismatch: 'ERR_PROTOCOL_VERSION_MISMATCH',
  ChainIdMismatch: 'ERR_CHAIN_ID_MISMATCH',
  HandshakeTimeout: 'ERR_HANDSHAKE_TIMEOUT',
  MessageTooLarge: 'ERR_MESSAGE_TOO_LARGE',
  InvalidMessageFormat: 'ERR_INVALID_MESSAGE_FORMAT',
  PeerLimitReached: 'ERR_PEER_LIMIT_REACHED',
  ReputationRejection: 'ERR_REPUTATION_REJECTION',
  NetworkError: 'ERR_NETWORK',
  RateLimited: 'ERR_RATE_LIMITED',
  UnexpectedMessage: 'ERR_UNEXPECTED_MESSAGE',
  ResourceLimitExceeded: 'ERR_RESOURCE_LIMIT_EXCEEDED',
} as const satisfies Record<ErrorCodeName, `ERR_${string}`>

const codeNames = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name as ErrorCodeName]),
)

/** The name of a wire error code, or undefined for a code this version does not know. */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return codeNames.get(code)
}

/** A wire code as logs show it: "0x0a". */
export function codeText(error: Pick<PawError, 'wireCode'>): string {
  return `0x${error.wireCode.toString(16).padStart(2, '0')}`
}

const PAW_ERROR_BRAND = Symbol.for('paw-node/error')

/** A PawError's own code and name, for a class that is not one wire code's (PeerRejectedError, say). */
export interface PawErrorIdentity {
  code: `ERR_${string}`
  name: string
}

export class PawError extends Error {
  /** Stable string code: what callers test. */
  readonly code: string
  /** The PAW wire code (protocols/errors.md): what a `reject` frame carries. */
  readonly wireCode: ErrorCodeValue
  override readonly name: string
  readonly [PAW_ERROR_BRAND] = true

  /**
   * `identity` names a class that is not simply its wire code's; without it, the code and
   * name are the wire code's (NetworkError for a code this version does not know).
   */
  constructor(
    wireCode: ErrorCodeValue,
    message: string,
    options?: ErrorOptions,
    identity?: PawErrorIdentity,
  ) {
    super(message, options)
    const name = errorCodeName(wireCode) ?? 'NetworkError'
    this.wireCode = wireCode
    this.code = identity?.code ?? ERROR_CODE_STRINGS[name]
    this.name = identity?.name ?? name
  }
}

/** True for any PawError, from any copy of this package. */
export function isPawError(value: unknown): value is PawError {
  return typeof value === 'object' && value !== null && PAW_ERROR_BRAND in value
}

/** True when `value` is a PawError with the given wire code. */
export function hasErrorCode<C extends ErrorCodeValue>(
  value: unknown,
  code: C,
): value is PawError & { wireCode: C } {
  return isPawError(value) && value.wireCode === code
}

export class ProtocolVersionMismatchError extends PawError {
  readonly expected: number
  readonly received: number

  constructor(expected: number, received: number) {
    super(ErrorCode.ProtocolVersionMismatch, `protocol version ${received}, expected ${expected}`)
    this.expected = expected
    this.received = received
  }
}

export class ChainIdMismatchError extends PawError {
  readonly expected: string
  readonly received: string

  constructor(expected: string, received: string) {
    super(
      ErrorCode.ChainIdMismatch,
      `chain ID ${JSON.stringify(received)}, expected ${JSON.stringify(expected)}`,
    )
    this.expected = expected
    this.received = received
  }
}

export class HandshakeTimeoutError extends PawError {
  readonly timeoutMs: number

  constructor(timeoutMs: number) {
    super(ErrorCode.HandshakeTimeout, `handshake not completed within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

export class MessageTooLargeError extends PawError {
  /** The length the peer claimed (or the sender tried to encode). */
  readonly length: number
  readonly limit: number
  /** The frame type whose limit it broke; undefined where L alone was over the stream's limit. */
  readonly frameType: string | undefined

  constructor(length: number, limit: number, frameType?: string) {
    super(
      ErrorCode.MessageTooLarge,
      frameType === undefined
        ? `frame length ${length} exceeds the limit of ${limit} bytes`
        : `${frameType} frame length ${length} exceeds its limit of ${limit} bytes`,
    )
    this.length = length
    this.limit = limit
    this.frameType = frameType
  }
}

export class InvalidMessageFormatError extends PawError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.InvalidMessageFormat, message, options)
  }
}

export class PeerLimitReachedError extends PawError {
  constructor(message = 'peer limit reached') {
    super(ErrorCode.PeerLimitReached, message)
  }
}

export class ReputationRejectionError extends PawError {
  constructor(message = 'rejected by the reputation system') {
    super(ErrorCode.ReputationRejection, message)
  }
}

export class NetworkError extends PawError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.NetworkError, message, options)
  }
}

export class RateLimitedError extends PawError {
  constructor(message: string) {
    super(ErrorCode.RateLimited, message)
  }
}

export class UnexpectedMessageError extends PawError {
  constructor(message: string) {
    super(ErrorCode.UnexpectedMessage, message)
  }
}

/**
 * The node would hold more memory for a peer, or in all, than its budget allows
 * (protocols/errors.md 0x0B): the work is refused, or the stream whose answer the peer does
 * not read is reset.
 */
export class ResourceLimitExceededError extends PawError {
  /** Which budget refused: the peer's own, or the node's. */
  readonly scope: 'peer' | 'node'

  constructor(message: string, scope: 'peer' | 'node') {
    super(ErrorCode.ResourceLimitExceeded, message)
    this.scope = scope
  }
}
