import { describe, expect, it } from 'vitest'
import * as errors from '../src/errors.ts'
import {
  codeText,
  ERROR_CODE_STRINGS,
  ErrorCode,
  errorCodeName,
  hasErrorCode,
  isPawError,
} from '../src/errors.ts'
import { CannotServeError } from '../src/protocols/blocks/responder.ts'
import { PeerRejectedError } from '../src/protocols/handshake/handshake.ts'
import { PeerFault } from '../src/protocols/shared/faults.ts'

/** One of each error class in src/errors.ts, src/wire and src/protocols that a remote peer can cause. */
function everyPeerError(): Array<Error & { code: string }> {
  const invalid = new errors.InvalidMessageFormatError('x')
  return [
    new errors.ProtocolVersionMismatchError(1, 2),
    new errors.ChainIdMismatchError('a', 'b'),
    new errors.HandshakeTimeoutError(10_000),
    new errors.MessageTooLargeError(11, 10),
    invalid,
    new errors.PeerLimitReachedError(),
    new errors.ReputationRejectionError(),
    new errors.NetworkError('x'),
    new errors.RateLimitedError('x'),
    new errors.UnexpectedMessageError('x'),
    new errors.ResourceLimitExceededError('x', 'peer'),
    // src/protocols
    new PeerRejectedError(0x07, 'banned'),
    new CannotServeError('a light node holds no blocks'),
    new PeerFault(invalid, 'invalidMessage', 'invalidMessage'),
  ]
}

describe('error codes', () => {
  it('are 004 Appendix B for 0x01..0x08, with its names', () => {
    expect(ErrorCode).toMatchObject({
      ProtocolVersionMismatch: 0x01,
      ChainIdMismatch: 0x02,
      HandshakeTimeout: 0x03,
      MessageTooLarge: 0x04,
      InvalidMessageFormat: 0x05,
      PeerLimitReached: 0x06,
      ReputationRejection: 0x07,
      NetworkError: 0x08,
    })
  })

  it('extensions start at 0x09 and every code is unique', () => {
    const codes = Object.values(ErrorCode)
    expect(new Set(codes).size).toBe(codes.length)
    expect(ErrorCode.RateLimited).toBe(0x09)
    expect(ErrorCode.UnexpectedMessage).toBe(0x0a)
    expect(errorCodeName(0x0a)).toBe('UnexpectedMessage')
    expect(errorCodeName(0x42)).toBeUndefined()
  })

  it('every wire code has its own stable string code', () => {
    expect(Object.keys(ERROR_CODE_STRINGS).sort()).toEqual(Object.keys(ErrorCode).sort())
    const strings = Object.values(ERROR_CODE_STRINGS)
    expect(new Set(strings).size).toBe(strings.length)
  })

  it("every wire code's error class carries its wire code, the code's string code, and its name", () => {
    const made = [
      new errors.ProtocolVersionMismatchError(1, 2),
      new errors.ChainIdMismatchError('a', 'b'),
      new errors.HandshakeTimeoutError(10_000),
      new errors.MessageTooLargeError(11, 10),
      new errors.InvalidMessageFormatError('x'),
      new errors.PeerLimitReachedError(),
      new errors.ReputationRejectionError(),
      new errors.NetworkError('x'),
      new errors.RateLimitedError('x'),
      new errors.UnexpectedMessageError('x'),
      new errors.ResourceLimitExceededError('x', 'peer'),
    ]
    expect(made.map((e) => e.wireCode)).toEqual(Object.values(ErrorCode))
    for (const error of made) {
      const name = errorCodeName(error.wireCode)
      expect(error.name).toBe(name)
      expect(error.code).toBe(ERROR_CODE_STRINGS[name as keyof typeof ERROR_CODE_STRINGS])
      expect(isPawError(error)).toBe(true)
      expect(error).toBeInstanceOf(Error)
    }
    expect(codeText(new errors.UnexpectedMessageError('x'))).toBe('0x0a')
  })

  it('every error a remote peer can cause has a stable code of its own (ERR_…) and a name', () => {
    const all = everyPeerError()
    for (const error of all) {
      expect(error.code, error.constructor.name).toMatch(/^ERR_[A-Z0-9_]+$/)
      expect(error.name, error.constructor.name).toMatch(/^[A-Z][A-Za-z]+$/)
    }
    const codes = all.map((error) => error.code)
    expect(new Set(codes).size, codes.join(', ')).toBe(codes.length)
    const names = all.map((error) => error.name)
    expect(new Set(names).size, names.join(', ')).toBe(names.length)
    // The same class always carries the same code, whatever it was made with.
    expect(new PeerRejectedError(0x02, 'another chain').code).toBe('ERR_PEER_REJECTED')
    expect(new errors.NetworkError('y').code).toBe('ERR_NETWORK')
  })

  it("a peer's reject keeps the peer's wire code, known or not", () => {
    expect(new PeerRejectedError(0x07, 'banned')).toMatchObject({
      code: 'ERR_PEER_REJECTED',
      wireCode: 0x07,
      name: 'PeerRejected',
      reason: 'banned',
    })
    expect(new PeerRejectedError(0x42, 'from a later version').wireCode).toBe(0x42)
    expect(new CannotServeError('x')).toMatchObject({
      code: 'ERR_CANNOT_SERVE',
      wireCode: ErrorCode.NetworkError,
    })
  })

  it('isPawError recognises an error from another copy of the package by its brand', () => {
    const foreign = Object.assign(new Error('from another bundle'), {
      code: 'ERR_INVALID_MESSAGE_FORMAT',
      wireCode: 5,
      [Symbol.for('paw-node/error')]: true,
    })
    expect(isPawError(foreign)).toBe(true)
    expect(hasErrorCode(foreign, ErrorCode.InvalidMessageFormat)).toBe(true)
    expect(isPawError(new Error('plain'))).toBe(false)
    expect(isPawError({ code: 5 })).toBe(false)
    expect(isPawError(undefined)).toBe(false)
  })
})
