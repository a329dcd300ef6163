/**
 * Reading /paw/mempool/1 frames. A malformed frame (framing.md "Receiving") and a
 * well-formed frame of a type this protocol does not define are 0x05: dropped, logged at
 * WARN, a small penalty, and reading goes on with the next frame.
 */
import { InvalidMessageFormatError } from '../../errors.ts'
import { FrameType } from '../../wire/constants.ts'
import type { Frame } from '../../wire/frame.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import type { MempoolContext } from './context.ts'
import { invalidFault } from '../shared/faults.ts'

const MEMPOOL_FRAME_TYPES: ReadonlySet<string> = new Set([
  FrameType.MempoolHashes,
  FrameType.GetTransactions,
  FrameType.Transactions,
])

/**
 * The next frame of a /paw/mempool/1 type, or undefined when the peer closed its side.
 * @throws NetworkError (reset, read-idle timeout), MessageTooLargeError
 */
export async function nextMessage(
  context: MempoolContext,
  channel: FrameChannel,
  peerId: string,
): Promise<Frame | undefined> {
  for (;;) {
    const item = await channel.read()
    if (item === undefined) return undefined
    if (item instanceof InvalidMessageFormatError) {
      context.refuse(peerId, invalidFault(item))
      continue
    }
    if (!MEMPOOL_FRAME_TYPES.has(item.type)) {
      context.refuse(peerId, invalidFault(`no ${JSON.stringify(item.type)} frames on /paw/mempool/1`))
      continue
    }
    return item
  }
}
