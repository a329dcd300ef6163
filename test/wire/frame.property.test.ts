/**
 * Properties of the frame codec, each checked on 1,000 generated cases or more.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { encodeFrame } from '../../src/wire/frame.ts'
import { type DecodedItem, FrameDecoder } from '../../src/wire/frame-decoder.ts'
import { splitAt } from '../support/vectors.ts'

const RUNS = { numRuns: 1000 }
const TYPE_CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789_./-']

const typeArb = fc.string({ unit: fc.constantFrom(...TYPE_CHARS), minLength: 1, maxLength: 32 })
const frameArb = fc.record({ type: typeArb, payload: fc.uint8Array({ maxLength: 600 }) })

/** A header with arbitrary L and T, then arbitrary bytes: most are malformed, some are not. */
const wildFrameArb = fc
  .record({
    length: fc.integer({ min: 0, max: 400 }),
    typeLength: fc.integer({ min: 0, max: 40 }),
    rest: fc.uint8Array({ maxLength: 400 }),
  })
  .map(({ length, typeLength, rest }) => {
    const head = new Uint8Array(6)
    new DataView(head.buffer).setUint32(0, length)
    new DataView(head.buffer).setUint16(4, typeLength)
    return Buffer.concat([head, rest])
  })

/** Streams mixing valid frames, malformed frames and raw noise. */
const messyStreamArb = fc
  .array(
    fc.oneof(
      frameArb.map((f) => encodeFrame(f.type, f.payload)),
      wildFrameArb,
      fc.uint8Array({ maxLength: 12 }),
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)))

const cutsArb = fc.array(fc.nat({ max: 20_000 }), { maxLength: 30 })

/** Decoded items in a comparable form: frames as hex, errors as their code. */
function summarise(items: readonly DecodedItem[]): string[] {
  return items.map((item) =>
    isPawError(item)
      ? `error ${item.wireCode}`
      : `${item.type}:${Buffer.from(item.payload.subarray()).toString('hex')}`,
  )
}

/** Feeds chunks until the decoder fails; returns what it produced. */
function decodeAll(chunks: readonly Uint8Array[], maxFrameLength?: number): string[] {
  const decoder = new FrameDecoder(maxFrameLength === undefined ? {} : { maxFrameLength })
  const out: string[] = []
  for (const chunk of chunks) {
    out.push(...summarise(decoder.decode(chunk)))
    if (decoder.failed) return out
  }
  const end = decoder.end()
  if (end !== undefined) out.push(`end ${end.wireCode}`)
  return out
}

describe('frame codec properties', () => {
  it('round trip: decode(encode(frames)) = frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), (frames) => {
        const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload)))
        const decoded = new FrameDecoder().decode(wire)
        expect(summarise(decoded)).toEqual(
          frames.map((f) => `${f.type}:${Buffer.from(f.payload).toString('hex')}`),
        )
      }),
      RUNS,
    )
  })

  it('any chunking of a stream of valid frames yields the same frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), cutsArb, (frames, cuts) => {
        const wire = new Uint8Array(Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload))))
        expect(decodeAll(splitAt(wire, cuts))).toEqual(decodeAll([wire]))
      }),
      RUNS,
    )
  })

  it('any chunking of a messy stream yields the same frames and errors', () => {
    fc.assert(
      fc.property(messyStreamArb, cutsArb, fc.constantFrom(undefined, 64, 300), (wire, cuts, max) => {
        expect(decodeAll(splitAt(wire, cuts), max)).toEqual(decodeAll([wire], max))
      }),
      RUNS,
    )
  })

  it('the decoder only ever throws or returns the typed errors 0x04 and 0x05', () => {
    const input = fc.oneof(messyStreamArb, fc.uint8Array({ maxLength: 2000 }))
    fc.assert(
      fc.property(input, cutsArb, fc.constantFrom(undefined, 16, 300), (wire, cuts, max) => {
        const decoder = new FrameDecoder(max === undefined ? {} : { maxFrameLength: max })
        // Keep feeding after failure too: that must throw the typed error, nothing else.
        for (const chunk of [...splitAt(wire, cuts), Uint8Array.of(0, 0, 0, 3)]) {
          try {
            for (const item of decoder.decode(chunk)) {
              if (isPawError(item)) {
                expect([ErrorCode.MessageTooLarge, ErrorCode.InvalidMessageFormat]).toContain(item.wireCode)
              } else {
                expect(item.type).toMatch(/^[a-z0-9_./-]{1,32}$/)
              }
            }
          } catch (error) {
            expect(isPawError(error) && error.wireCode).toBe(ErrorCode.MessageTooLarge)
          }
        }
        const end = decoder.end()
        if (end !== undefined) expect(end.wireCode).toBe(ErrorCode.InvalidMessageFormat)
      }),
      RUNS,
    )
  })

  it('never holds more than the frame in progress: exactly its received bytes, at most 4 + L', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 10 }), cutsArb, (frames, cuts) => {
        const encoded = frames.map((f) => encodeFrame(f.type, f.payload))
        const starts: number[] = []
        let total = 0
        for (const frame of encoded) {
          starts.push(total)
          total += frame.length
        }
        const decoder = new FrameDecoder()
        let fed = 0
        for (const chunk of splitAt(new Uint8Array(Buffer.concat(encoded)), cuts)) {
          decoder.decode(chunk)
          fed += chunk.length
          // The frame in progress is the last one starting at or before `fed`.
          const index = starts.findLastIndex((start) => start <= fed)
          const start = starts[index] as number
          const inProgress = fed === total ? 0 : fed - start
          expect(decoder.bufferedBytes).toBe(inProgress)
          expect(decoder.bufferedBytes).toBeLessThan(Math.max(1, (encoded[index] as Uint8Array).length))
        }
      }),
      RUNS,
    )
  })

  it('holds at most 4 + max bytes whatever it is fed', () => {
    fc.assert(
      fc.property(fc.oneof(messyStreamArb, fc.uint8Array({ maxLength: 3000 })), cutsArb, (wire, cuts) => {
        const max = 300
        const decoder = new FrameDecoder({ maxFrameLength: max })
        for (const chunk of splitAt(wire, cuts)) {
          decoder.decode(chunk)
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + max)
          if (decoder.failed) break
        }
      }),
      RUNS,
    )
  })
})
