/**
 * Reading /paw/blocks/1 frames. A malformed frame (framing.md "Receiving") and a
 * well-formed frame of a type this protocol does not define are 0x05: dropped, logged at
 * WARN, a small penalty, and reading goes on with the next frame (as on /paw/mempool/1).
 */
import { InvalidMessageFormatError } from '../../errors.ts'
import { BlocksFrameType } from '../../wire/blocks.ts'
import type { Frame } from '../../wire/frame.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { invalidFault } from '../shared/faults.ts'
import type { BlocksContext } from './context.ts'

const BLOCKS_FRAME_TYPES: ReadonlySet<string> = new Set(Object.values(BlocksFrameType))

/**
 * The next frame of a /paw/blocks/1 type, or undefined when the peer closed its side.
 * `skipFaults` (the answering side): a bad frame is refused and reading goes on; otherwise
 * (a requester waiting for its answer) the bad frame is the answer, and is thrown.
 * @throws PeerFault (0x05, unless skipFaults), NetworkError (reset, read-idle timeout),
 *   MessageTooLargeError
 */
export async function nextMessage(
  context: BlocksContext,
  channel: FrameChannel,
  peerId: string,
  skipFaults = true,
): Promise<Frame | undefined> {
  for (;;) {
    const item = await channel.read()
    if (item === undefined) return undefined
    const fault =
      item instanceof InvalidMessageFormatError
        ? invalidFault(item)
        : BLOCKS_FRAME_TYPES.has(item.type)
          ? undefined
          : invalidFault(`no ${JSON.stringify(item.type)} frames on /paw/blocks/1`)
    if (fault === undefined) return item as Frame
    if (!skipFaults) throw fault
    context.refuse(peerId, fault)
  }
}
