/**
 * Writing a `blocks` answer without copying the stored blocks: the frame header, then the
 * parts of `encodeBlocksParts` (each block is the stored array, handed to the stream in
 * views of at most WRITE_CHUNK_BYTES), waiting for 'drain' under backpressure and, at the
 * end, for the stream's write buffer to empty (the answer is held until then). The whole
 * answer has one deadline scaled to its size (writeTimeoutFor): past it the stream is
 * aborted.
 */
import type { Stream } from '@libp2p/interface'
import { NetworkError, ResourceLimitExceededError } from '../../errors.ts'
import type { TrafficCounter } from '../../peers/traffic-counter.ts'
import {
  type BlockLengthRule,
  BlocksFrameType,
  blocksPayloadLength,
  encodeBlocksParts,
} from '../../wire/blocks.ts'
import { encodeFrameHeader } from '../../wire/frame.ts'
import { drained, flushed } from '../shared/drain.ts'
import { slowReaderFault } from '../shared/faults.ts'
import { WRITE_CHUNK_BYTES, writeTimeoutFor } from './constants.ts'

/**
 * Sends one `blocks` frame carrying `blocks` as they are (each of a length the chain's
 * `rule` allows). Returns the bytes written.
 * @throws InvalidMessageFormatError for a list the decoder would reject (nothing sent);
 *   PeerFault 0x0B (the peer did not read it within the deadline: the stream is aborted);
 *   NetworkError (closed, reset)
 */
export async function writeBlocksAnswer(
  stream: Stream,
  blocks: readonly Uint8Array[],
  init: { writeMs: number; rule: BlockLengthRule; traffic?: TrafficCounter },
): Promise<number> {
  const parts = encodeBlocksParts(blocks, init.rule)
  const header = encodeFrameHeader(BlocksFrameType.Blocks, blocksPayloadLength(blocks))
  const total = header.length + blocksPayloadLength(blocks)
  const timeoutMs = writeTimeoutFor(total, init.writeMs)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    stream.abort(new NetworkError(`write of a ${total}-byte blocks answer timed out after ${timeoutMs} ms`))
  }, timeoutMs)
  try {
    for (const part of [header, ...parts]) {
      for (let at = 0; at < part.length; at += WRITE_CHUNK_BYTES) {
        if (stream.writableNeedsDrain) await drained(stream)
        const chunk = part.length <= WRITE_CHUNK_BYTES ? part : part.subarray(at, at + WRITE_CHUNK_BYTES)
        if (!stream.send(chunk)) await drained(stream)
      }
    }
    // Written once the muxer has taken it all: until then its bytes are still ours to hold.
    await flushed(stream)
  } catch (error) {
    if (timedOut) {
      throw slowReaderFault(
        new ResourceLimitExceededError(
          `a ${total}-byte blocks answer was not read within its write deadline of ${timeoutMs} ms`,
          'peer',
        ),
      )
    }
    throw error
  } finally {
    clearTimeout(timer)
  }
  init.traffic?.sent(total, 1)
  return total
}
