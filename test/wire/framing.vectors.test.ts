import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isPawError, MessageTooLargeError } from '../../src/errors.ts'
import { MAX_FRAME_LENGTH } from '../../src/wire/constants.ts'
import { FrameDecoder, isFatal } from '../../src/wire/frame-decoder.ts'
import type { FrameLimits } from '../../src/wire/frame-limits.ts'
import { type ByteSpec, bytesOf, errorCode, loadVectors, splitAt } from '../support/vectors.ts'

interface Expected {
  type?: string
  payload?: ByteSpec
  error?: string
  fatal?: boolean
  atEnd?: boolean
}
interface Vector {
  name: string
  input: ByteSpec
  expect: Expected[]
}
interface LimitsVector extends Vector {
  limits: { accepted: Record<string, number>; defined: string[]; ceiling: number }
}
interface FramingVectors {
  maxFrameLength: number
  valid: Vector[]
  invalid: Vector[]
  limits: LimitsVector[]
}

const vectors = loadVectors<FramingVectors>('framing')

/** Payloads as short hex or as length + digest: deep equality on 10 MiB arrays is too slow. */
type Outcome = { type: string; payload: string } | { error: number; fatal?: true; atEnd?: true }

function describeBytes(bytes: Uint8Array): string {
  if (bytes.length <= 4096) return Buffer.from(bytes).toString('hex')
  return `${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`
}

/** The FrameLimits a vector describes, built the way a reader of framing.md would. */
function limitsOf(spec: LimitsVector['limits']): FrameLimits {
  return {
    accepted: new Map(Object.entries(spec.accepted)),
    defined: new Set(spec.defined),
    ceiling: spec.ceiling,
  }
}

/**
 * Runs chunks through a decoder, recording frames, skipped-frame errors and a fatal error;
 * also checks that the decoder never holds more than one frame's 4 + L of bytes it has
 * accepted, nor any body of a frame it refused.
 */
function run(chunks: readonly Uint8Array[], limits?: FrameLimits): Outcome[] {
  const decoder = new FrameDecoder(limits === undefined ? {} : { limits })
  const most = 4 + (limits?.ceiling ?? MAX_FRAME_LENGTH)
  const out: Outcome[] = []
  for (const chunk of chunks) {
    if (decoder.failed) {
      expect(() => decoder.decode(chunk)).toThrow(MessageTooLargeError)
      return out
    }
    for (const item of decoder.decode(chunk)) {
      if (!isPawError(item)) out.push({ type: item.type, payload: describeBytes(item.payload.subarray()) })
      else out.push({ error: item.wireCode, ...(isFatal(item) ? { fatal: true as const } : {}) })
    }
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(most)
  }
  if (decoder.failed) return out
  const truncated = decoder.end()
  if (truncated !== undefined) out.push({ error: truncated.wireCode, atEnd: true })
  return out
}

function expected(vector: Vector): Outcome[] {
  return vector.expect.map((e) => {
    if (e.error !== undefined) {
      return {
        error: errorCode(e.error),
        ...(e.fatal ? { fatal: true } : {}),
        ...(e.atEnd ? { atEnd: true } : {}),
      }
    }
    return { type: e.type as string, payload: describeBytes(bytesOf(e.payload ?? '')) }
  })
}

function chunkings(input: Uint8Array): Array<[string, Uint8Array[]]> {
  const ways: Array<[string, Uint8Array[]]> = [['one chunk', [input]]]
  if (input.length <= 4096) {
    ways.push([
      'one byte at a time',
      splitAt(
        input,
        Array.from({ length: input.length }, (_, i) => i),
      ),
    ])
  } else {
    ways.push([
      '64 KiB chunks',
      splitAt(
        input,
        Array.from({ length: input.length / 65536 }, (_, i) => (i + 1) * 65536),
      ),
    ])
  }
  ways.push(['cut after 1, 5 and 7 bytes', splitAt(input, [1, 5, 7])])
  return ways
}

describe('protocols/framing.vectors.json', () => {
  it('uses the limit of DECISIONS.md', () => {
    expect(vectors.maxFrameLength).toBe(MAX_FRAME_LENGTH)
  })

  for (const kind of ['valid', 'invalid'] as const) {
    describe(kind, () => {
      for (const vector of vectors[kind]) {
        it(vector.name, () => {
          const input = bytesOf(vector.input)
          const want = expected(vector)
          for (const [how, chunks] of chunkings(input)) {
            expect(run(chunks), how).toEqual(want)
          }
        })
      }
    })
  }

  describe('limits (framing.md "Frame limits")', () => {
    for (const vector of vectors.limits) {
      it(vector.name, () => {
        const input = bytesOf(vector.input)
        const want = expected(vector)
        for (const [how, chunks] of chunkings(input)) {
          expect(run(chunks, limitsOf(vector.limits)), how).toEqual(want)
        }
      })
    }
  })
})
