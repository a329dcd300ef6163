import { describe, expect, it } from 'vitest'
import * as errors from '../src/errors.ts'
import { ErrorCode, errorCodeName, hasErrorCode, isPawError } from '../src/errors.ts'

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

  it('every error class carries its code and the code name as name', () => {
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
    expect(made.map((e) => e.code)).toEqual(Object.values(ErrorCode))
    for (const error of made) {
      expect(error.name).toBe(errorCodeName(error.code))
      expect(isPawError(error)).toBe(true)
      expect(error).toBeInstanceOf(Error)
    }
  })

  it('isPawError recognises an error from another copy of the package by its brand', () => {
    const foreign = Object.assign(new Error('from another bundle'), {
      code: 5,
      [Symbol.for('paw-node/error')]: true,
    })
    expect(isPawError(foreign)).toBe(true)
    expect(hasErrorCode(foreign, ErrorCode.InvalidMessageFormat)).toBe(true)
    expect(isPawError(new Error('plain'))).toBe(false)
    expect(isPawError({ code: 5 })).toBe(false)
    expect(isPawError(undefined)).toBe(false)
  })
})
