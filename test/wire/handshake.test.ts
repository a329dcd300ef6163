import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { encodeFrame, type Frame } from '../../src/wire/frame.ts'
import { FrameDecoder } from '../../src/wire/frame-decoder.ts'
import {
  checkHandshake,
  decodeHandshake,
  decodeReject,
  encodeChainId,
  encodeHandshake,
  encodeReject,
  type Handshake,
} from '../../src/wire/handshake.ts'
import { bytesOf, errorCode, hex, loadVectors } from '../support/vectors.ts'

interface HandshakeVectors {
  local: { version: number; chainId: string }
  frame: { hex: string; type: string; payload: string }
  handshake: {
    valid: Array<{
      name: string
      payload: string
      handshake: { version: number; chainId: string; nodeId: string }
    }>
    invalid: Array<{ name: string; payload: string; error: string }>
    encodeInvalid: Array<{ name: string; chainId: string; error: string }>
  }
  reject: {
    valid: Array<{ name: string; payload: string; reject: { code: number; reason: string } }>
    invalid: Array<{ name: string; payload: string; error: string }>
  }
}

const vectors = loadVectors<HandshakeVectors>('handshake')

/** The error code a payload produces: decode, then check against the local node. */
function codeOf(payload: Uint8Array): number | undefined {
  try {
    checkHandshake(decodeHandshake(payload), vectors.local)
    return undefined
  } catch (error) {
    if (!isPawError(error)) throw error
    return error.wireCode
  }
}

describe('protocols/handshake.vectors.json', () => {
  it('frame: a handshake frame on the wire', () => {
    const [frame] = new FrameDecoder().decode(bytesOf(vectors.frame.hex))
    expect(isPawError(frame)).toBe(false)
    const { type, payload } = frame as Frame
    expect(type).toBe(vectors.frame.type)
    expect(hex(payload.subarray())).toBe(vectors.frame.payload)
    expect(hex(encodeFrame('handshake', payload.subarray()))).toBe(vectors.frame.hex)
    // The decoders take the frame's payload list as it is.
    expect(decodeHandshake(payload).chainId).toBe('paw-mainnet')
  })

  describe('valid handshakes decode to their fields and encode back to the same bytes', () => {
    for (const vector of vectors.handshake.valid) {
      it(vector.name, () => {
        const decoded = decodeHandshake(bytesOf(vector.payload))
        expect({ ...decoded, nodeId: hex(decoded.nodeId) }).toEqual(vector.handshake)
        const handshake: Handshake = { ...vector.handshake, nodeId: bytesOf(vector.handshake.nodeId) }
        expect(hex(encodeHandshake(handshake))).toBe(vector.payload)
      })
    }
  })

  describe('invalid handshakes fail with their code', () => {
    for (const vector of vectors.handshake.invalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        expect(codeOf(bytesOf(vector.payload))).toBe(errorCode(vector.error))
      })
    }
  })

  describe('chain IDs that cannot be encoded', () => {
    for (const vector of vectors.handshake.encodeInvalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        let code: number | undefined
        try {
          encodeChainId(vector.chainId)
        } catch (error) {
          code = isPawError(error) ? error.wireCode : -1
        }
        expect(code).toBe(errorCode(vector.error))
      })
    }
  })

  describe('reject payloads', () => {
    for (const vector of vectors.reject.valid) {
      it(vector.name, () => {
        expect(decodeReject(bytesOf(vector.payload))).toEqual(vector.reject)
        expect(hex(encodeReject(vector.reject.code, vector.reject.reason))).toBe(vector.payload)
      })
    }
    for (const vector of vectors.reject.invalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        expect(() => decodeReject(bytesOf(vector.payload))).toThrow(
          expect.objectContaining({ wireCode: errorCode(vector.error) }),
        )
      })
    }
  })
})

describe('handshake codec', () => {
  it('a local node accepts its own handshake', () => {
    const own = encodeHandshake({ version: 1, chainId: 'paw-mainnet', nodeId: new Uint8Array(32).fill(7) })
    expect(codeOf(own)).toBeUndefined()
  })

  it('refuses to encode a node ID that is not 32 bytes', () => {
    expect(() => encodeHandshake({ version: 1, chainId: 'paw', nodeId: new Uint8Array(31) })).toThrow(
      expect.objectContaining({ wireCode: ErrorCode.InvalidMessageFormat }),
    )
  })

  it('cuts a reason over 256 bytes at a character boundary', () => {
    const reason = 'é'.repeat(200) // 400 bytes of UTF-8
    const payload = encodeReject(ErrorCode.ReputationRejection, reason)
    expect(payload.length).toBe(1 + 256)
    expect(decodeReject(payload)).toEqual({ code: 7, reason: 'é'.repeat(128) })
    const odd = encodeReject(ErrorCode.ReputationRejection, `x${reason}`) // boundary falls mid-character
    expect(odd.length).toBe(1 + 255)
    expect(decodeReject(odd).reason).toBe(`x${'é'.repeat(127)}`)
  })

  const chainIdArb = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 32 })
    .filter((s) => !s.includes('\0') && new TextEncoder().encode(s).length <= 32)

  it('round trip for any valid chain ID and node ID (1,000 runs)', () => {
    fc.assert(
      fc.property(chainIdArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), (chainId, nodeId) => {
        const version = 1
        const payload = encodeHandshake({ version, chainId, nodeId })
        expect(payload.length).toBe(65)
        const decoded = decodeHandshake(payload)
        expect(decoded).toEqual({ version, chainId, nodeId })
      }),
      { numRuns: 1000 },
    )
  })

  it('decoding any bytes succeeds, or fails with 0x01 exactly when the version is not 1, else 0x05 (1,000 runs)', () => {
    const payloadArb = fc.oneof(
      fc.uint8Array({ minLength: 65, maxLength: 65 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ minLength: 64, maxLength: 64 }).map((rest) => Uint8Array.of(1, ...rest)),
    )
    fc.assert(
      fc.property(payloadArb, (bytes) => {
        try {
          const decoded = decodeHandshake(bytes)
          expect(hex(encodeHandshake(decoded))).toBe(hex(bytes))
        } catch (error) {
          const expected =
            bytes.length > 0 && bytes[0] !== 1
              ? ErrorCode.ProtocolVersionMismatch
              : ErrorCode.InvalidMessageFormat
          expect(isPawError(error) && error.wireCode).toBe(expected)
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('reject round trip (1,000 runs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.string({ maxLength: 100 }), (code, reason) => {
        const decoded = decodeReject(encodeReject(code, reason))
        expect(decoded.code).toBe(code)
        expect(reason.startsWith(decoded.reason)).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })
})
