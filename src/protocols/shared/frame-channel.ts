/**
 * PAW frames over a libp2p v3 stream: reads through the incremental FrameDecoder as
 * 'message' events arrive (so the stream's own read buffer never fills), writes with the
 * write timeout of 004 §3.1, and counts bytes and messages each way for 004 §7.1.
 *
 * Backpressure waits for the stream's 'drain' event, not `onDrain()`, which in
 * @libp2p/utils 7.4.1 resolves at once after the first drain.
 */
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { InvalidMessageFormatError, MessageTooLargeError, NetworkError } from '../../errors.ts'
import { MAX_FRAME_LENGTH } from '../../wire/constants.ts'
import { encodeFrame, type Frame } from '../../wire/frame.ts'
import { FrameDecoder } from '../../wire/frame-decoder.ts'

/** Counts traffic; the connection manager keeps one per peer. */
export interface TrafficCounter {
  received(bytes: number, frames: number): void
  sent(bytes: number, frames: number): void
}

export interface FrameChannelInit {
  /** 004 §3.1 write timeout. */
  writeTimeoutMs: number
  /** 004 §3.1 read idle timeout: the stream is aborted if nothing arrives for this long. */
  readIdleMs?: number
  maxFrameLength?: number
  traffic?: TrafficCounter
}

type ReadItem = Frame | InvalidMessageFormatError

/** Bytes in a libp2p 'message' event payload. */
function chunkLength(data: Uint8Array | Uint8ArrayList): number {
  return data.byteLength
}

export class FrameChannel {
  readonly stream: Stream
  readonly #decoder: FrameDecoder
  readonly #init: FrameChannelInit
  readonly #queue: ReadItem[] = []
  #waiting: PromiseWithResolvers<ReadItem | undefined> | undefined
  #ended = false
  #failure: Error | undefined
  #idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor(stream: Stream, init: FrameChannelInit) {
    this.stream = stream
    this.#init = init
    const maxFrameLength = init.maxFrameLength ?? MAX_FRAME_LENGTH
    this.#decoder = new FrameDecoder({ maxFrameLength })
    // A whole frame must fit in the stream's buffer if reading ever pauses (libp2p: 4 MB).
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, maxFrameLength + 1024 * 1024)
    // Our own timer: yamux and @libp2p/utils 7.4.1 store stream.inactivityTimeout but never
    // act on it (only a TCP socket reads it, once, when created).
    this.#armIdleTimer()
    stream.addEventListener('message', (event) => this.#onData(event.data))
    stream.addEventListener('remoteCloseWrite', () => this.#onEnd())
    stream.addEventListener('close', (event) => {
      if (event.error !== undefined && this.#failure === undefined) {
        this.#failure = new NetworkError(`stream closed: ${event.error.message}`, { cause: event.error })
      }
      this.#onEnd()
    })
  }

  #armIdleTimer(): void {
    const idleMs = this.#init.readIdleMs
    if (idleMs === undefined || this.#ended) return
    clearTimeout(this.#idleTimer)
    this.#idleTimer = setTimeout(() => {
      const error = new NetworkError(`nothing received for ${idleMs} ms`)
      this.#failure ??= error
      this.stream.abort(error)
      this.#wake()
    }, idleMs)
  }

  #onData(data: Uint8Array | Uint8ArrayList): void {
    this.#armIdleTimer()
    const parts = data instanceof Uint8Array ? [data] : data
    let frames = 0
    for (const part of parts) {
      for (const item of this.#decoder.decode(part)) {
        if (item instanceof MessageTooLargeError) {
          // 004 §4.2: drop and disconnect. The caller closes the connection on this error.
          this.#failure = item
          this.stream.abort(item)
          this.#wake()
          return
        }
        if (!(item instanceof InvalidMessageFormatError)) frames++
        this.#queue.push(item)
      }
    }
    this.#init.traffic?.received(chunkLength(data), frames)
    this.#wake()
  }

  #onEnd(): void {
    if (this.#ended) return
    this.#ended = true
    clearTimeout(this.#idleTimer)
    const truncated = this.#failure === undefined ? this.#decoder.end() : undefined
    if (truncated !== undefined) this.#queue.push(truncated)
    this.#wake()
  }

  #wake(): void {
    const waiting = this.#waiting
    if (waiting === undefined) return
    const next = this.#take()
    if (next === 'wait') return
    this.#waiting = undefined
    if (next instanceof Error && !(next instanceof InvalidMessageFormatError)) waiting.reject(next)
    else waiting.resolve(next)
  }

  /** The next queued item; the failure; undefined at a clean end; 'wait' if none yet. */
  #take(): ReadItem | Error | undefined | 'wait' {
    const item = this.#queue.shift()
    if (item !== undefined) return item
    if (this.#failure !== undefined) return this.#failure
    if (this.#ended) return undefined
    return 'wait'
  }

  /**
   * The next frame, an InvalidMessageFormatError for a malformed frame that was skipped,
   * or undefined when the remote closed the stream cleanly.
   * @throws MessageTooLargeError, NetworkError (stream reset), or the signal's reason
   */
  async read(options: { signal?: AbortSignal } = {}): Promise<ReadItem | undefined> {
    const next = this.#take()
    if (next !== 'wait') {
      if (next instanceof Error && !(next instanceof InvalidMessageFormatError)) throw next
      return next
    }
    options.signal?.throwIfAborted()
    const waiting = Promise.withResolvers<ReadItem | undefined>()
    this.#waiting = waiting
    const onAbort = (): void => {
      if (this.#waiting === waiting) this.#waiting = undefined
      waiting.reject(options.signal?.reason)
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await waiting.promise
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Sends one frame; waits for 'drain' under backpressure, at most the write timeout. */
  async write(type: string, payload: Uint8Array): Promise<void> {
    const frame = encodeFrame(type, payload)
    if (this.stream.writableNeedsDrain) await this.#drained()
    const accepted = this.stream.send(frame)
    this.#init.traffic?.sent(frame.length, 1)
    if (!accepted) await this.#drained()
  }

  #drained(): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>()
    const timer = setTimeout(() => {
      cleanup()
      const error = new NetworkError(`write timed out after ${this.#init.writeTimeoutMs} ms`)
      this.stream.abort(error)
      reject(error)
    }, this.#init.writeTimeoutMs)
    const onDrain = (): void => {
      cleanup()
      resolve()
    }
    const onClose = (): void => {
      cleanup()
      reject(new NetworkError('stream closed while waiting to write'))
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      this.stream.removeEventListener('drain', onDrain)
      this.stream.removeEventListener('close', onClose)
    }
    this.stream.addEventListener('drain', onDrain)
    this.stream.addEventListener('close', onClose)
    return promise
  }

  /** Graceful close of our side; never rejects (a reset peer is not our failure). */
  async close(): Promise<void> {
    try {
      await this.stream.close({ signal: AbortSignal.timeout(this.#init.writeTimeoutMs) })
    } catch {
      this.stream.abort(new NetworkError('close timed out'))
    }
  }
}
