/** Reading /paw/blocks/1 frames: src/protocols/shared/reader.ts with this protocol's refusals. */
import type { Frame } from '../../wire/frame.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { nextFrame } from '../shared/reader.ts'
import type { BlocksContext } from './context.ts'

/**
 * The next frame the stream accepts, or undefined when the peer closed its side.
 * `skipFaults` (the answering side): a refused frame is charged and reading goes on;
 * otherwise (a requester waiting for its answer) the refused frame is the answer, thrown.
 * @throws as nextFrame
 */
export function nextMessage(
  context: BlocksContext,
  channel: FrameChannel,
  peerId: string,
  skipFaults = true,
): Promise<Frame | undefined> {
  return nextFrame(channel, (fault) => context.refuse(peerId, fault), skipFaults)
}
