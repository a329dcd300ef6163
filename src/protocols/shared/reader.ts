/**
 * Reading the frames of a /paw/* stream, the same way on every protocol. The channel's
 * limits have already refused every frame the stream does not accept at this point
 * (framing.md "Frame limits"), without reading its body: a malformed frame or one of a type
 * the protocol does not define is 0x05, refused (logged at WARN, charged) while reading goes
 * on with the next frame (004 §4.2 "drop message, log warning"), unless the caller waits for
 * an answer, which it then is; one of the protocol's types not accepted at this point is
 * 0x0A and ends the stream (each protocol's "Stream rules": an answer nobody asked for is
 * not used).
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Frame } from '../../wire/frame.ts'
import { faultOfSkipped, invalidFault, type PeerFault } from './faults.ts'
import type { FrameChannel } from './frame-channel.ts'

export interface NextMessageOptions extends AbortOptions {
  /**
   * The answering side (the default): a 0x05 frame goes to `refuse` and reading goes on.
   * False for a requester waiting for its answer: the refused frame is the answer, thrown.
   * @default true
   */
  skipFaults?: boolean
}

/**
 * The next frame the stream accepts, or undefined when the peer closed its side. A 0x0A
 * frame is always thrown; a 0x05 one as `skipFaults` says.
 * @throws PeerFault (a refused frame, unless skipped; 0x04 from the channel),
 *   NetworkError (reset, read-idle timeout), ResourceLimitExceededError, or the signal's
 *   reason
 */
export async function nextMessage(
  channel: FrameChannel,
  refuse: (fault: PeerFault) => void,
  options: NextMessageOptions = {},
): Promise<Frame | undefined> {
  const skipFaults = options.skipFaults ?? true
  const read = options.signal === undefined ? {} : { signal: options.signal }
  for (;;) {
    const item = await channel.read(read)
    if (item === undefined) return undefined
    if ('payload' in item) return item
    const fault = faultOfSkipped(item) ?? invalidFault(item.message)
    if (!skipFaults || fault.refusal !== 'invalidMessage') throw fault
    refuse(fault)
  }
}
