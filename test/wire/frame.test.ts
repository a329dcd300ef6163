import { describe, expect, it } from 'vitest'
import { ErrorCode, InvalidMessageFormatError, isPawError, MessageTooLargeError } from '../../src/errors.ts'
import { MAX_FRAME_LENGTH } from '../../src/wire/constants.ts'
import { encodeFrame, encodeFrameHeader, type Frame } from '../../src/wire/frame.ts'
import { type DecodedItem, FrameDecoder } from '../../src/wire/frame-decoder.ts'
import { decodeFrames } from '../../src/wire/frame-stream.ts'

/** A decoded frame with its payload as one plain Uint8Array, for comparisons. */
const plain = (item: unknown) => {
  const frame = item as Frame
  return { type: frame.type, payload: Uint8Array.from(frame.payload.subarray()) }
}
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)

describe('encodeFrame', () => {
  it('writes L = 2 + T + payload length, then T, type and payload', () => {
    const frame = encodeFrame('tx', Uint8Array.of(0xaa, 0xbb, 0xcc))
    expect(Buffer.from(frame).toString('hex')).toBe('000000070002' + '7478' + 'aabbcc')
  })

  it('accepts L = limit and refuses limit + 1 with 0x04', () => {
    const atLimit = new Uint8Array(MAX_FRAME_LENGTH - 2 - 5)
    expect(encodeFrame('block', atLimit).length).toBe(4 + MAX_FRAME_LENGTH)
    const over = new Uint8Array(atLimit.length + 1)
    expect(() => encodeFrame('block', over)).toThrow(MessageTooLargeError)
    expect(() => encodeFrameHeader('block', over.length)).toThrow(MessageTooLargeError)
  })

  it.each([
    ['', 'empty type'],
    ['a'.repeat(33), '33-byte type'],
    ['Block', 'upper case'],
    ['new block', 'space'],
    ['blöck', 'non-ASCII'],
  ])('refuses type %j (%s) with 0x05', (type) => {
    expect(() => encodeFrame(type, new Uint8Array(0))).toThrow(InvalidMessageFormatError)
  })

  it('encodeFrameHeader plus the payload equals encodeFrame', () => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)
    const header = encodeFrameHeader('blocks/range', payload.length)
    expect(Buffer.concat([header, payload])).toEqual(Buffer.from(encodeFrame('blocks/range', payload)))
  })
})

describe('FrameDecoder', () => {
  it('refuses an oversized L from the 4 header bytes, before any body arrives', () => {
    const decoder = new FrameDecoder()
    expect(decoder.decode(u32(MAX_FRAME_LENGTH + 1).subarray(0, 3))).toEqual([])
    const [error] = decoder.decode(u32(MAX_FRAME_LENGTH + 1).subarray(3))
    expect(error).toBeInstanceOf(MessageTooLargeError)
    expect((error as MessageTooLargeError).length).toBe(MAX_FRAME_LENGTH + 1)
    expect(decoder.failed).toBe(true)
    expect(decoder.bufferedBytes).toBe(0)
    // The stream is done: more input is refused with the same error.
    expect(() => decoder.decode(new Uint8Array(10))).toThrow(MessageTooLargeError)
  })

  it('honours a lower configured limit', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 100 })
    const items = decoder.decode(encodeFrame('block', new Uint8Array(93)))
    expect(items.map(plain)).toEqual([{ type: 'block', payload: new Uint8Array(93) }])
    const [error] = decoder.decode(encodeFrame('block', new Uint8Array(94)))
    expect(isPawError(error) && error.wireCode).toBe(ErrorCode.MessageTooLarge)
  })

  it('skips the body of a malformed frame as it arrives, without buffering it', () => {
    const decoder = new FrameDecoder()
    const bodyLength = 8 * 1024 * 1024
    const header = Uint8Array.of(...u32(2 + 5 + bodyLength), 0, 5, ...Buffer.from('BLOCK'))
    const [error] = decoder.decode(header)
    expect(error).toBeInstanceOf(InvalidMessageFormatError)
    const chunk = new Uint8Array(64 * 1024)
    for (let sent = 0; sent < bodyLength; sent += chunk.length) {
      expect(decoder.decode(chunk)).toEqual([])
      expect(decoder.bufferedBytes).toBe(0)
    }
    const [frame] = decoder.decode(encodeFrame('ping', new Uint8Array(0)))
    expect(plain(frame)).toEqual({ type: 'ping', payload: new Uint8Array(0) })
  })

  it('holds only what has arrived of a large valid frame, then returns it whole without copying', () => {
    const decoder = new FrameDecoder()
    // 999,989 + 11 header bytes = 100 chunks of 10,000 (chunks under 4 KiB would be coalesced).
    const payload = Uint8Array.from({ length: 999_989 }, (_, i) => (i * 7) & 0xff)
    const wire = encodeFrame('block', payload)
    const chunks: Uint8Array[] = []
    let items: DecodedItem[] = []
    for (let offset = 0; offset < wire.length; offset += 10_000) {
      // A fresh buffer, as a socket read gives (Buffer#slice would only make a view).
      const chunk = Uint8Array.prototype.slice.call(wire, offset, offset + 10_000)
      chunks.push(chunk)
      items = decoder.decode(chunk)
      if (offset + 10_000 < wire.length) {
        expect(items).toEqual([])
        expect(decoder.bufferedBytes).toBe(offset + 10_000)
      }
    }
    expect(items).toHaveLength(1)
    const frame = items[0] as Frame
    expect(Buffer.compare(frame.payload.subarray(), payload)).toBe(0)
    expect(decoder.bufferedBytes).toBe(0)
    // Every piece of the payload is a view of a received chunk. (Identity is compared as a
    // boolean: vitest is very slow at handling megabyte ArrayBuffers as expect() subjects.)
    const pieces = [...frame.payload]
    expect(pieces).toHaveLength(chunks.length)
    expect(pieces.every((piece, i) => piece.buffer === chunks[i]?.buffer)).toBe(true)
  })

  it('returns a payload that arrived in one chunk as a single view of it', () => {
    const wire = encodeFrame('block', new Uint8Array(4096).fill(9))
    const [frame] = new FrameDecoder().decode(wire)
    const contiguous = (frame as Frame).payload.subarray()
    expect(contiguous.buffer === wire.buffer).toBe(true)
    expect(contiguous.byteOffset).toBe(wire.byteOffset + 11)
  })

  it('end() reports a stream cut inside a frame, and nothing after a clean end', () => {
    const decoder = new FrameDecoder()
    decoder.decode(encodeFrame('tx', Uint8Array.of(1, 2, 3)).subarray(0, 7))
    expect(decoder.end()?.wireCode).toBe(ErrorCode.InvalidMessageFormat)
    const clean = new FrameDecoder()
    clean.decode(encodeFrame('tx', Uint8Array.of(1)))
    expect(clean.end()).toBeUndefined()
  })
})

describe('decodeFrames', () => {
  async function* source(chunks: Array<Uint8Array | Uint8Array[]>) {
    for (const chunk of chunks) yield chunk
  }

  it('decodes Uint8Array and list-of-arrays chunks (as libp2p streams yield them)', async () => {
    const a = encodeFrame('get_peers', Uint8Array.of(1))
    const b = encodeFrame('peers', Uint8Array.of(0, 0))
    const items = []
    for await (const item of decodeFrames(
      source([a.subarray(0, 3), [a.subarray(3), b.subarray(0, 9)], b.subarray(9)]),
    )) {
      items.push(item)
    }
    expect(items.map(plain)).toEqual([
      { type: 'get_peers', payload: Uint8Array.of(1) },
      { type: 'peers', payload: Uint8Array.of(0, 0) },
    ])
  })

  it('yields skipped-frame errors, then throws MessageTooLargeError and stops reading', async () => {
    let pulledAfterFailure = false
    async function* chunks() {
      yield Uint8Array.of(...u32(0))
      yield encodeFrame('ping', new Uint8Array(0))
      yield u32(0xffffffff)
      pulledAfterFailure = true
      yield encodeFrame('ping', new Uint8Array(0))
    }
    const seen: unknown[] = []
    await expect(async () => {
      for await (const item of decodeFrames(chunks())) seen.push(item)
    }).rejects.toThrow(MessageTooLargeError)
    expect(seen).toHaveLength(2)
    expect(seen[0]).toBeInstanceOf(InvalidMessageFormatError)
    expect(plain(seen[1])).toEqual({ type: 'ping', payload: new Uint8Array(0) })
    expect(pulledAfterFailure).toBe(false)
  })

  it('yields a 0x05 error when the source ends inside a frame', async () => {
    const items = []
    for await (const item of decodeFrames(source([encodeFrame('tx', Uint8Array.of(1, 2)).subarray(0, 5)]))) {
      items.push(item)
    }
    expect(items).toHaveLength(1)
    expect(isPawError(items[0]) && items[0].wireCode).toBe(ErrorCode.InvalidMessageFormat)
  })
})
