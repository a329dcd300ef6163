/**
 * PAW frames over a libp2p v3 stream, with every byte a peer can make it hold bounded
 * (protocols/framing.md "Frame limits", "Reading one frame at a time"):
 *
 * - **Per-type limits.** The stream accepts the frame types of `limits` up to their L, as
 *   the protocol says for this point of the stream; `expectOne` narrows them to the
 *   answer of a request just sent. A header over its limit is 0x04 before any of the body
 *   is buffered (the caller disconnects the peer); a type not accepted is skipped unread.
 * - **One frame at a time.** A decoded frame waits in one slot until the reader takes it;
 *   meanwhile nothing more is decoded, and the bytes that arrive are held only up to
 *   `readAheadBytes`: every /paw/* protocol is lock-step, so a peer that sends more than
 *   that before its previous frame was handled breaks the protocol (0x0A, stream reset).
 *   A stream thus holds at most the frame being handled, one decoded frame and the
 *   read-ahead allowance, or one frame in progress of at most its type's limit.
 * - **Reserved before held.** With a memory budget, each frame's 4 + L bytes are reserved
 *   for the peer from its header (a refusal fails the stream with 0x0B, not the peer's
 *   fault) until the reader takes the next frame; each frame written is reserved until
 *   it is written.
 * - **Timeouts** of 004 §3.1: the read idle timeout, and the write timeout: an answer the
 *   peer does not read within it is the peer's fault (0x0B slow reader, stream reset).
 *
 * Bytes and messages are counted each way for 004 §7.1. Backpressure on writes waits for
 * the stream's 'drain' event, not `onDrain()`, which in @libp2p/utils 7.4.1 resolves at
 * once after the first drain.
 */
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import {
  ErrorCode,
  isPawError,
  NetworkError,
  type PawError,
  ResourceLimitExceededError,
} from '../../errors.ts'
import type { TrafficCounter } from '../../peers/traffic-counter.ts'
import { encodeFrame, type Frame } from '../../wire/frame.ts'
import { FrameDecoder, isFatal } from '../../wire/frame-decoder.ts'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import { drained, flushed } from './drain.ts'
import { PeerFault, slowReaderFault, tooLargeFault, unexpectedFault } from './faults.ts'
import type { MemoryBudget, Reservation } from './memory-budget.ts'

/**
 * Bytes a peer may send beyond a decoded frame the reader has not taken yet
 * (framing.md "Reading one frame at a time"): none in a lock-step protocol, so this is
 * slack for a FIN or a transport that batches, not room to pipeline.
 */
export const READ_AHEAD_BYTES = 64 * 1024

export interface FrameChannelInit {
  /** 004 §3.1 write timeout. */
  writeTimeoutMs: number
  /** 004 §3.1 read idle timeout: the stream is aborted if nothing arrives for this long. */
  readIdleMs?: number
  /** What the stream accepts; without limits, every type up to 10 MiB (framing alone). */
  limits?: FrameLimits
  /** @default READ_AHEAD_BYTES */
  readAheadBytes?: number
  traffic?: TrafficCounter
  /** The budget frames are reserved from, the peer they count against, and what for (logs). */
  budget?: { budget: MemoryBudget; peerId: string; purpose: string }
  /**
   * Told of a peer's fault that fails the stream (0x04, bytes sent ahead) the moment it
   * happens, so it is charged even while the protocol is busy writing and not reading.
   */
  onFault?: (fault: PeerFault) => void
}

/** A frame, or the error in place of a frame that was skipped (0x05, 0x0A). */
export type ReadItem = Frame | PawError

/** Bytes in a libp2p 'message' event payload. */
function chunkLength(data: Uint8Array | Uint8ArrayList): number {
  return data.byteLength
}

export class FrameChannel {
  readonly stream: Stream
  readonly #decoder: FrameDecoder
  readonly #init: FrameChannelInit
  readonly #readAhead: number
  /** Limits outside a one-frame expectation. */
  #baseLimits: FrameLimits | undefined
  /** True while the limits of `expectOne` are in force. */
  #expecting = false
  /** The decoded frame the reader has not taken yet. */
  #slot: ReadItem | undefined
  /** The reservations of the frame in progress, the frame in the slot, the frame last handed out. */
  #inProgress: Reservation | undefined
  #slotReservation: Reservation | undefined
  #handed: Reservation | undefined
  #waiting: PromiseWithResolvers<ReadItem | undefined> | undefined
  /** The remote will send nothing more (it closed its side, or the stream closed). */
  #remoteEnded = false
  /** Every item has been delivered; read() answers undefined. */
  #ended = false
  #failure: Error | undefined
  #idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor(stream: Stream, init: FrameChannelInit) {
    this.stream = stream
    this.#init = init
    this.#readAhead = init.readAheadBytes ?? READ_AHEAD_BYTES
    this.#baseLimits = init.limits
    this.#decoder = new FrameDecoder({
      ...(init.limits === undefined ? {} : { limits: init.limits }),
      admit: (type, length) => this.#admit(type, length),
    })
    // Our own timer: yamux and @libp2p/utils 7.4.1 store stream.inactivityTimeout but never
    // act on it (only a TCP socket reads it, once, when created).
    this.#armIdleTimer()
    stream.addEventListener('message', (event) => this.#onData(event.data))
    stream.addEventListener('remoteCloseWrite', () => {
      this.#remoteEnded = true
      this.#pump()
    })
    stream.addEventListener('close', (event) => {
      if (event.error !== undefined && this.#failure === undefined) {
        this.#failure = new NetworkError(`stream closed: ${event.error.message}`, { cause: event.error })
      }
      this.#remoteEnded = true
      clearTimeout(this.#idleTimer)
      this.#pump()
      this.#releaseAll()
    })
  }

  /** Replaces what the stream accepts (from the next frame whose header is not judged yet). */
  setLimits(limits: FrameLimits): void {
    this.#baseLimits = limits
    this.#expecting = false
    this.#decoder.setLimits(limits)
  }

  /**
   * Accepts `limits` for exactly one frame (the answer to a request about to be sent), then
   * the stream's own limits again: a second answer is not accepted.
   */
  expectOne(limits: FrameLimits): void {
    this.#expecting = true
    this.#decoder.setLimits(limits)
  }

  /** Bytes held for frames not yet taken by the reader (decoded or in progress). */
  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes
  }

  #armIdleTimer(): void {
    const idleMs = this.#init.readIdleMs
    if (idleMs === undefined || this.#ended || this.#failure !== undefined) return
    clearTimeout(this.#idleTimer)
    this.#idleTimer = setTimeout(
      () => this.#fail(new NetworkError(`nothing received for ${idleMs} ms`)),
      idleMs,
    )
  }

  /** The decoder's admission after the type limits passed: a reservation for the frame. */
  #admit(_type: string, length: number): PawError | undefined {
    if (this.#expecting) {
      this.#expecting = false
      if (this.#baseLimits !== undefined) this.#decoder.setLimits(this.#baseLimits)
    }
    const reservation = this.#reserve(4 + length, 'decode')
    if (reservation instanceof ResourceLimitExceededError) return reservation
    this.#inProgress = reservation
    return undefined
  }

  #reserve(bytes: number, what: string): Reservation | ResourceLimitExceededError | undefined {
    const scope = this.#init.budget
    if (scope === undefined) return undefined
    return scope.budget.reserve(scope.peerId, bytes, `${scope.purpose} ${what}`, {
      revoke: (error) => this.#fail(error),
    })
  }

  #onData(data: Uint8Array | Uint8ArrayList): void {
    if (this.#failure !== undefined || this.#decoder.failed) return
    this.#armIdleTimer()
    this.#init.traffic?.received(chunkLength(data), 0)
    const parts = data instanceof Uint8Array ? [data] : data
    for (const part of parts) this.#decoder.push(part)
    this.#pump()
  }

  /** Decodes into the empty slot; checks what is held beyond it; notices the end; wakes the reader. */
  #pump(): void {
    while (this.#slot === undefined && this.#failure === undefined) {
      const item = this.#decoder.next()
      if (item === undefined) break
      if (isFatal(item)) {
        this.#fail(item.wireCode === ErrorCode.MessageTooLarge ? tooLargeFault(item) : item)
        return
      }
      if ('payload' in item) {
        this.#init.traffic?.received(0, 1)
        this.#slotReservation = this.#inProgress
        this.#inProgress = undefined
      }
      this.#slot = item
    }
    if (this.#slot !== undefined && this.#decoder.bufferedBytes > this.#readAhead) {
      this.#fail(
        unexpectedFault(
          `${this.#decoder.bufferedBytes} bytes sent ahead of a frame not yet handled (at most ${this.#readAhead}): the protocol is lock-step`,
        ),
      )
      return
    }
    if (this.#slot === undefined && this.#remoteEnded && !this.#ended && this.#failure === undefined) {
      this.#ended = true
      clearTimeout(this.#idleTimer)
      const truncated = this.#decoder.end()
      this.#inProgress?.release()
      if (truncated !== undefined) this.#slot = truncated
    }
    this.#wake()
  }

  /** Fails the channel: the stream is aborted, what it held released, the reader told. */
  #fail(error: Error): void {
    if (this.#failure !== undefined) return
    this.#failure = error
    clearTimeout(this.#idleTimer)
    this.#releaseAll()
    this.stream.abort(error instanceof PeerFault ? error.error : error)
    if (error instanceof PeerFault) this.#init.onFault?.(error)
    this.#wake()
  }

  #releaseAll(): void {
    this.#inProgress?.release()
    this.#slotReservation?.release()
    this.#handed?.release()
  }

  #wake(): void {
    const waiting = this.#waiting
    if (waiting === undefined) return
    const next = this.#take()
    if (next === 'wait') return
    this.#waiting = undefined
    if (next instanceof Error && !isPawErrorItem(next)) waiting.reject(next)
    else waiting.resolve(next as ReadItem | undefined)
  }

  /** The next item; the failure; undefined at a clean end; 'wait' if none yet. */
  #take(): ReadItem | Error | undefined | 'wait' {
    const item = this.#slot
    if (item !== undefined) {
      this.#slot = undefined
      this.#handed?.release()
      this.#handed = this.#slotReservation
      this.#slotReservation = undefined
      // The reader has it: decode the next one, if its bytes are here.
      queueMicrotask(() => this.#pump())
      return item
    }
    if (this.#failure !== undefined) return this.#failure
    if (this.#ended) return undefined
    return 'wait'
  }

  /**
   * The next frame, the error in place of a frame that was skipped (0x05 malformed or of
   * a type the protocol does not define; 0x0A of a type not accepted at this point), or
   * undefined when the remote closed the stream cleanly. Taking it releases the frame
   * taken before.
   * @throws PeerFault (0x04 a frame over its limit; 0x0A bytes sent ahead beyond the
   *   allowance), ResourceLimitExceededError (the budget refused a frame), NetworkError
   *   (stream reset, read-idle timeout), or the signal's reason
   */
  async read(options: { signal?: AbortSignal } = {}): Promise<ReadItem | undefined> {
    this.#handed?.release()
    this.#handed = undefined
    const next = this.#take()
    if (next !== 'wait') {
      if (next instanceof Error && !isPawErrorItem(next)) throw next
      return next as ReadItem | undefined
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

  /**
   * Sends one frame; waits for 'drain' under backpressure, at most the write timeout.
   * @throws ResourceLimitExceededError (the budget refused the frame: nothing sent),
   *   PeerFault 0x0B (not drained within the write timeout: the stream is aborted),
   *   NetworkError (the stream closed)
   */
  async write(type: string, payload: Uint8Array): Promise<void> {
    const frame = encodeFrame(type, payload)
    const reservation = this.#reserve(frame.length, `${type} write`)
    if (reservation instanceof ResourceLimitExceededError) throw reservation
    try {
      if (this.stream.writableNeedsDrain) await this.#deadline(drained(this.stream), frame.length)
      const accepted = this.stream.send(frame)
      this.#init.traffic?.sent(frame.length, 1)
      if (!accepted) await this.#deadline(drained(this.stream), frame.length)
      // Held (and reserved) until the muxer has taken all of it.
      if (this.stream.writeBufferLength > 0) await this.#deadline(flushed(this.stream), frame.length)
    } finally {
      reservation?.release()
    }
  }

  /** `waiting` within the write timeout; past it the peer has not read `bytes`: its fault, the stream aborted. */
  async #deadline(waiting: Promise<void>, bytes: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = this.#slowReader(bytes)
        // Settled before the abort: the abort closes the stream, which rejects `waiting` too.
        reject(error)
        this.stream.abort(error.error)
      }, this.#init.writeTimeoutMs)
    })
    try {
      await Promise.race([waiting, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  #slowReader(bytes: number): PeerFault {
    return slowReaderFault(
      new ResourceLimitExceededError(
        `a ${bytes}-byte frame was not read within the write timeout of ${this.#init.writeTimeoutMs} ms`,
        'peer',
      ),
    )
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

/** A skipped frame's error, delivered as an item (not thrown): 0x05 or 0x0A. */
function isPawErrorItem(value: unknown): boolean {
  return (
    isPawError(value) &&
    (value.wireCode === ErrorCode.InvalidMessageFormat || value.wireCode === ErrorCode.UnexpectedMessage)
  )
}
