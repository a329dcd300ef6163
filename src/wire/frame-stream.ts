/**
 * Frame decoding over an async byte source, such as a libp2p v3 stream (which yields
 * Uint8Array or Uint8ArrayList chunks).
 */
import type { PawError } from '../errors.ts'
import type { Frame } from './frame.ts'
import { FrameDecoder, type FrameDecoderOptions, isFatal } from './frame-decoder.ts'

/** A chunk as libp2p streams yield it: bytes, or a list of byte arrays (Uint8ArrayList). */
export type ByteChunk = Uint8Array | Iterable<Uint8Array>

/** What decodeFrames yields: frames, and errors in place of skipped frames (0x05, 0x0A). */
export type StreamItem = Frame | PawError

/**
 * Yields every frame of `source`, and an InvalidMessageFormatError for each malformed frame
 * skipped or for a stream that ends inside a frame. Stops reading the source at once when
 * a header claims more than the limit.
 * @throws MessageTooLargeError (or the 0x0B of an admit hook) after yielding the frames
 *   that preceded the header it refused
 */
export async function* decodeFrames(
  source: AsyncIterable<ByteChunk>,
  options: FrameDecoderOptions = {},
): AsyncGenerator<StreamItem, void, undefined> {
  const decoder = new FrameDecoder(options)
  for await (const chunk of source) {
    const parts = chunk instanceof Uint8Array ? [chunk] : chunk
    for (const part of parts) {
      for (const item of decoder.decode(part)) {
        if (isFatal(item)) throw item
        yield item
      }
    }
  }
  const truncated = decoder.end()
  if (truncated !== undefined) yield truncated
}
