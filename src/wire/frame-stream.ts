/**
 * Frame decoding over an async byte source, such as a libp2p v3 stream (which yields
 * Uint8Array or Uint8ArrayList chunks).
 */
import { type InvalidMessageFormatError, MessageTooLargeError } from '../errors.ts'
import type { Frame } from './frame.ts'
import { FrameDecoder, type FrameDecoderOptions } from './frame-decoder.ts'

/** A chunk as libp2p streams yield it: bytes, or a list of byte arrays (Uint8ArrayList). */
export type ByteChunk = Uint8Array | Iterable<Uint8Array>

/** What decodeFrames yields: frames, and errors in place of skipped malformed frames. */
export type StreamItem = Frame | InvalidMessageFormatError

/**
 * Yields every frame of `source`, and an InvalidMessageFormatError for each malformed frame
 * skipped or for a stream that ends inside a frame. Stops reading the source at once when
 * a header claims more than the limit.
 * @throws MessageTooLargeError after yielding the frames that preceded the oversized header
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
        if (item instanceof MessageTooLargeError) throw item
        yield item
      }
    }
  }
  const truncated = decoder.end()
  if (truncated !== undefined) yield truncated
}
