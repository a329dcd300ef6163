/**
 * What the codec benchmark runs: a batch of `block` frames of one payload size, the three
 * codec passes over it, and the Buffer.copy baseline each is compared with, copying the
 * same bytes in the same chunking.
 *
 * Every pass checks what it produced (frame count, byte totals, no decode errors) and
 * throws if that is wrong, so the benchmark is also a correctness check; `verifyBatch`
 * additionally compares every decoded payload byte for byte, outside the timed loops.
 */
import { randomFillSync } from 'node:crypto'
import type { Uint8ArrayList } from 'uint8arraylist'
import { encodeFrame, encodeFrameHeader } from '../../src/wire/frame.ts'
import { FrameDecoder } from '../../src/wire/frame-decoder.ts'
import type { Side } from './measure.ts'

export const FRAME_TYPE = 'block'
/** What a TCP socket typically delivers per read. */
export const STREAM_CHUNK_BYTES = 64 * 1024

export interface Batch {
  payloadBytes: number
  payloads: Uint8Array[]
  /** Each payload encoded as its own buffer, as a sender produces them. */
  frames: Uint8Array[]
  /** The frames back to back: the byte stream a receiver sees. */
  stream: Buffer
  /** The stream cut every STREAM_CHUNK_BYTES, regardless of frame boundaries. */
  chunks: Buffer[]
  /** Sum of frame lengths (= stream.length): the bytes MB/s is counted in. */
  frameBytes: number
}

/** Enough frames of `payloadBytes` to carry about `batchBytes` of payload (at least one). */
export function buildBatch(payloadBytes: number, batchBytes: number): Batch {
  const count = Math.max(1, Math.round(batchBytes / payloadBytes))
  // Random, so nothing downstream can profit from compressible or repeated input.
  const random = randomFillSync(Buffer.allocUnsafe(count * payloadBytes))
  const payloads: Uint8Array[] = []
  for (let i = 0; i < count; i++) payloads.push(random.subarray(i * payloadBytes, (i + 1) * payloadBytes))
  const frames = payloads.map((payload) => encodeFrame(FRAME_TYPE, payload))
  const stream = Buffer.concat(frames)
  const chunks: Buffer[] = []
  for (let at = 0; at < stream.length; at += STREAM_CHUNK_BYTES) {
    chunks.push(stream.subarray(at, at + STREAM_CHUNK_BYTES))
  }
  return { payloadBytes, payloads, frames, stream, chunks, frameBytes: stream.length }
}

function fail(message: string): never {
  throw new Error(`correctness check failed: ${message}`)
}

export function encodeSide(batch: Batch): Side {
  const { payloads, frameBytes } = batch
  const frameOverhead = (batch.frames[0] as Uint8Array).length - batch.payloadBytes
  return {
    bytesPerPass: frameBytes,
    pass: () => {
      let bytes = 0
      for (const payload of payloads) {
        const frame = encodeFrame(FRAME_TYPE, payload)
        if (frame.length !== payload.length + frameOverhead) fail(`encoded frame is ${frame.length} bytes`)
        bytes += frame.length
      }
      return bytes
    },
  }
}

/**
 * The header alone (encodeFrameHeader): how a sender puts a large payload on the wire
 * without copying it, sending header and payload as two pieces.
 */
export function encodeHeaderSide(batch: Batch): Side {
  const { payloads, frameBytes } = batch
  return {
    bytesPerPass: frameBytes,
    pass: () => {
      let bytes = 0
      for (const payload of payloads) {
        const header = encodeFrameHeader(FRAME_TYPE, payload.length)
        if (header.length !== 6 + FRAME_TYPE.length) fail(`header is ${header.length} bytes`)
        bytes += header.length + payload.length
      }
      return bytes
    },
  }
}

/**
 * Decodes `chunks` with a fresh decoder and checks the frames against the batch.
 * `onPayload` sees each payload (a list of views); verifyBatch and the contiguous case use it.
 */
function decodeAll(
  batch: Batch,
  chunks: readonly Uint8Array[],
  onPayload?: (payload: Uint8ArrayList, index: number) => void,
): number {
  const decoder = new FrameDecoder()
  let count = 0
  let payloadTotal = 0
  for (const chunk of chunks) {
    for (const item of decoder.decode(chunk)) {
      if (!('payload' in item)) fail(`decoder returned ${item.name}: ${item.message}`)
      if (item.type !== FRAME_TYPE) fail(`decoded frame type ${JSON.stringify(item.type)}`)
      onPayload?.(item.payload, count)
      count++
      payloadTotal += item.payload.length
    }
  }
  const pending = decoder.end()
  if (pending !== undefined) fail(pending.message)
  if (count !== batch.frames.length) fail(`decoded ${count} frames, encoded ${batch.frames.length}`)
  if (payloadTotal !== batch.payloads.length * batch.payloadBytes) {
    fail(`decoded ${payloadTotal} payload bytes, encoded ${batch.payloads.length * batch.payloadBytes}`)
  }
  return batch.frameBytes
}

/** Each encoded frame fed as its own chunk: the path where payloads can be views. */
export function decodePerFrameSide(batch: Batch): Side {
  return { bytesPerPass: batch.frameBytes, pass: () => decodeAll(batch, batch.frames) }
}

/** The stream in 64 KiB chunks: payloads that straddle chunks come back as lists of views. */
export function decodeStreamSide(batch: Batch): Side {
  return { bytesPerPass: batch.frameBytes, pass: () => decodeAll(batch, batch.chunks) }
}

/**
 * The stream case for a consumer that needs each payload as one Uint8Array: `.subarray()`
 * is free for a payload in one chunk and copies one that straddles chunks.
 */
export function decodeStreamContiguousSide(batch: Batch): Side {
  return {
    bytesPerPass: batch.frameBytes,
    pass: () =>
      decodeAll(batch, batch.chunks, (payload) => {
        if (payload.subarray().length !== batch.payloadBytes) fail('contiguous payload has the wrong length')
      }),
  }
}

/**
 * Buffer.copy of the batch's bytes from one Buffer into a preallocated one, in pieces of
 * the given lengths: the cost of touching every byte once, which a decoder that must copy
 * cannot beat and a zero-copy one should.
 */
function copySide(source: Buffer, pieceLengths: readonly number[]): Side & { target: Buffer } {
  const target = Buffer.allocUnsafe(source.length)
  const starts: number[] = []
  const ends: number[] = []
  let at = 0
  for (const length of pieceLengths) {
    starts.push(at)
    at += length
    ends.push(at)
  }
  if (at !== source.length) fail(`baseline pieces cover ${at} of ${source.length} bytes`)
  return {
    target,
    bytesPerPass: source.length,
    pass: () => {
      let bytes = 0
      for (let i = 0; i < starts.length; i++) {
        bytes += source.copy(target, starts[i], starts[i], ends[i])
      }
      return bytes
    },
  }
}

/** Baseline for encode and decode-per-frame: one copy per frame. */
export function copyPerFrameSide(batch: Batch): Side & { target: Buffer } {
  return copySide(
    batch.stream,
    batch.frames.map((frame) => frame.length),
  )
}

/** Baseline for the stream case: one copy per 64 KiB chunk. */
export function copyStreamSide(batch: Batch): Side & { target: Buffer } {
  return copySide(
    batch.stream,
    batch.chunks.map((chunk) => chunk.length),
  )
}

/** Byte-for-byte check of both decode paths and of the baselines' copies, untimed. */
export function verifyBatch(batch: Batch): void {
  for (const [name, chunks] of [
    ['per-frame', batch.frames],
    ['64 KiB stream', batch.chunks],
  ] as const) {
    decodeAll(batch, chunks, (payload, index) => {
      const expected = batch.payloads[index] as Uint8Array
      if (Buffer.compare(payload.subarray(), expected) !== 0) fail(`${name} decode: payload ${index} differs`)
    })
  }
  for (const side of [copyPerFrameSide(batch), copyStreamSide(batch)]) {
    if (side.pass() !== batch.frameBytes || !side.target.equals(batch.stream)) {
      fail('Buffer.copy baseline did not reproduce the stream')
    }
  }
}
