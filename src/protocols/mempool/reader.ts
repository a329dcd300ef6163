/** Reading /paw/mempool/1 frames: src/protocols/shared/reader.ts with this protocol's refusals. */
import type { Frame } from '../../wire/frame.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { nextFrame } from '../shared/reader.ts'
import type { MempoolContext } from './context.ts'

/**
 * The next frame the stream accepts, or undefined when the peer closed its side; a
 * refused frame is charged and reading goes on.
 * @throws as nextFrame
 */
export function nextMessage(
  context: MempoolContext,
  channel: FrameChannel,
  peerId: string,
): Promise<Frame | undefined> {
  return nextFrame(channel, (fault) => context.refuse(peerId, fault))
}
