/**
 * Optimistic multistream-select for the dialer of /paw/handshake/1 (protocols/handshake.md
 * "Flow", "Optimistic protocol selection"): the multistream header, the protocol proposal
 * and the first frame leave in one write; the listener's answer (header echo, protocol
 * echo or `na`) is read before the frames that follow it. The listener runs unchanged
 * multistream-select, so on the wire this is what a dialer negotiating fully sends, minus
 * the wait.
 *
 * js-libp2p v3 still declares `negotiateFully: false` but ignores it: its lazy select went
 * with the v3 streams (libp2p/js-libp2p#3218). go-libp2p and rust-libp2p (`V1Lazy`) do
 * this for a single protocol; the pitfalls they met (libp2p/specs#643) are handled here:
 * the answer is always read before the stream is used or closed, and a frame cannot be
 * mistaken for a proposal by a listener that answered `na` (see `selectionAnswer`).
 */
import type { Connection, Metrics, Stream, StreamMuxer } from '@libp2p/interface'
import { StreamMessageEvent } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { NetworkError } from '../../errors.ts'
import { reasonOf } from '../shared/abort.ts'

/** multistream-select 1.0 (github.com/multiformats/multistream-select). */
const MULTISTREAM = '/multistream/1.0.0'
const NOT_AVAILABLE = 'na'
/** Longest answer line a listener may send (js-libp2p's MAX_PROTOCOL_LENGTH). */
const MAX_LINE = 1024

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** `<uvarint length><line>\n`, the framing of every multistream-select message. */
function message(line: string): Uint8Array {
  const body = utf8.encode(`${line}\n`)
  const length: number[] = []
  let n = body.length
  while (n >= 0x80) {
    length.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  length.push(n)
  const out = new Uint8Array(length.length + body.length)
  out.set(length)
  out.set(body, length.length)
  return out
}

/** The header and the proposal of `protocol` followed by `first`, as one buffer. */
export function proposalWith(protocol: string, first: Uint8Array): Uint8Array {
  const header = message(MULTISTREAM)
  const proposal = message(protocol)
  const out = new Uint8Array(header.length + proposal.length + first.length)
  out.set(header)
  out.set(proposal, header.length)
  out.set(first, header.length + proposal.length)
  return out
}

/**
 * A new outbound stream of `connection` with nothing negotiated, or undefined when the
 * connection does not expose its muxer (another libp2p build): the caller then negotiates
 * fully with `connection.newStream`. Opened the way `newStream` would (the connection's
 * state, no limited connections), marked with `protocol` and counted by libp2p's metrics.
 */
export async function openUnnegotiated(
  connection: Connection,
  protocol: string,
  metrics: Metrics | undefined,
): Promise<Stream | undefined> {
  const muxer = (connection as { muxer?: Partial<StreamMuxer> }).muxer
  if (typeof muxer?.createStream !== 'function' || connection.limits !== undefined) return undefined
  if (muxer.status !== 'open' || connection.status !== 'open') {
    throw new NetworkError(`the connection is ${connection.status}, its muxer ${muxer.status}`)
  }
  const stream = await muxer.createStream()
  stream.protocol = protocol
  metrics?.trackProtocolStream(stream)
  return stream
}

type Line = { line: string; rest: Uint8Array } | 'more' | 'malformed'

/** One `<uvarint length><line>\n` from the front of `bytes`. */
function readLine(bytes: Uint8Array): Line {
  let length = 0
  let offset = 0
  for (;;) {
    if (offset === bytes.length) return 'more'
    const byte = bytes[offset] as number
    length |= (byte & 0x7f) << (7 * offset)
    offset++
    if ((byte & 0x80) === 0) break
    if (offset === 2) return 'malformed'
  }
  if (length === 0 || length > MAX_LINE) return 'malformed'
  if (bytes.length < offset + length) return 'more'
  if (bytes[offset + length - 1] !== 0x0a) return 'malformed'
  return {
    line: text.decode(bytes.subarray(offset, offset + length - 1)),
    rest: bytes.subarray(offset + length),
  }
}

function concat(a: Uint8Array, b: Uint8Array | Uint8ArrayList): Uint8Array {
  const chunk = b instanceof Uint8Array ? b : b.subarray()
  if (a.length === 0) return chunk
  const out = new Uint8Array(a.length + chunk.length)
  out.set(a)
  out.set(chunk, a.length)
  return out
}

/**
 * Reads the listener's answer to the proposal of `protocol`: the header echo, then the
 * protocol echo. Once both are read, `onSelected` attaches the stream's reader in the same
 * event turn and what followed the answer is handed to it, so that reader misses no byte
 * and no end of stream. Resolves with that reader.
 *
 * A listener without the protocol answers `na` and reads our frame as its next proposal:
 * a frame starts with its length's high byte, 0x00 for any frame (L < 2^24), a message of
 * length 0, which multistream-select refuses (the stream is reset). It therefore never
 * runs another protocol on our bytes.
 *
 * @throws NetworkError when the listener answers `na` (a clean refusal: it does not speak
 *   `protocol`), answers anything else, or the stream ends first; the signal's reason
 */
export function selectionAnswer<Reader>(
  stream: Stream,
  protocol: string,
  signal: AbortSignal,
  onSelected: () => Reader,
): Promise<Reader> {
  const { promise, resolve, reject } = Promise.withResolvers<Reader>()
  let buffered: Uint8Array = new Uint8Array(0)
  let echoed = 0
  const detach = (): void => {
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('remoteCloseWrite', onEnd)
    stream.removeEventListener('close', onEnd)
    signal.removeEventListener('abort', onAbort)
  }
  const fail = (error: Error): void => {
    detach()
    reject(error)
  }
  const onMessage = (event: { data: Uint8Array | Uint8ArrayList }): void => {
    buffered = concat(buffered, event.data)
    while (echoed < 2) {
      const read = readLine(buffered)
      if (read === 'more') return
      if (read === 'malformed') {
        fail(new NetworkError(`malformed multistream-select answer to ${protocol}`))
        return
      }
      const expected = echoed === 0 ? MULTISTREAM : protocol
      if (read.line !== expected) {
        const why =
          read.line === NOT_AVAILABLE
            ? `the peer does not speak ${protocol}`
            : `unexpected multistream-select answer ${JSON.stringify(read.line.slice(0, 64))}`
        fail(new NetworkError(`protocol selection failed: ${why}`))
        return
      }
      echoed++
      buffered = read.rest
    }
    detach()
    resolve(onSelected())
    // What followed the answer goes to the reader onSelected attached, in this same event
    // turn (before an end or a reset that the same read may bring). Dispatched on the
    // stream's plain EventTarget: the bytes were received, and counted (stream-traffic.ts
    // wraps the stream's own dispatchEvent), once already.
    if (buffered.length > 0)
      EventTarget.prototype.dispatchEvent.call(stream, new StreamMessageEvent(buffered))
  }
  const onEnd = (): void => {
    fail(new NetworkError(`stream closed before the peer answered the proposal of ${protocol}`))
  }
  const onAbort = (): void => fail(reasonOf(signal))
  if (signal.aborted) {
    onAbort()
    return promise
  }
  stream.addEventListener('message', onMessage)
  stream.addEventListener('remoteCloseWrite', onEnd)
  stream.addEventListener('close', onEnd)
  signal.addEventListener('abort', onAbort, { once: true })
  return promise
}
