/**
 * `/paw/handshake/1` (DECISIONS.md "Handshake", protocols/handshake.md).
 *
 * The dialer of a connection opens the stream and sends its handshake first; the
 * listener answers with its own or with `reject` and closes the connection. Every
 * connection must complete it within the handshake timeout from the moment it opened, or
 * it is closed with 0x03. Until it completes, `isComplete()` is false and the other
 * /paw/* protocols refuse the peer (see gate.ts).
 */
import type { AbortOptions, Connection, Libp2p, Stream } from '@libp2p/interface'
import {
  type ErrorCodeValue,
  HandshakeTimeoutError,
  InvalidMessageFormatError,
  isPawError,
  NetworkError,
  PawError,
  UnexpectedMessageError,
} from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import { closeConnection } from '../../peers/close-connection.ts'
import type { HandshakeHooks } from '../../peers/handshake-hooks.ts'
import { equalBytes } from '../../wire/bytes.ts'
import { FrameType, PROTOCOL_VERSION } from '../../wire/constants.ts'
import { encodeFrame } from '../../wire/frame.ts'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import {
  checkHandshake,
  decodeHandshake,
  decodeReject,
  encodeHandshake,
  encodeReject,
  type Handshake,
} from '../../wire/handshake.ts'
import { reasonOf } from '../shared/abort.ts'
import { PeerFault } from '../shared/faults.ts'
import { FrameChannel } from '../shared/frame-channel.ts'
import type { MemoryBudget } from '../shared/memory-budget.ts'
import { HANDSHAKE_PROTOCOL, MAX_HANDSHAKE_STREAMS, REJECT_LINGER_MS } from './constants.ts'
import { DIALER_LIMITS, LISTENER_LIMITS } from './limits.ts'
import { openUnnegotiated, proposalWith, selectionAnswer } from './optimistic-select.ts'

/**
 * The error a peer's `reject` frame carried: its `wireCode` is the peer's code, as sent
 * (kept even if this version does not know it: protocols/errors.md).
 */
export class PeerRejectedError extends PawError {
  readonly reason: string

  constructor(code: number, reason: string) {
    super(
      code as ErrorCodeValue,
      `rejected by peer with 0x${code.toString(16).padStart(2, '0')}: ${reason}`,
      undefined,
      { code: 'ERR_PEER_REJECTED', name: 'PeerRejected' },
    )
    this.reason = reason
  }
}

export interface HandshakeInit {
  chainId: string
  /** Our raw 32-byte Ed25519 public key. */
  nodeId: Uint8Array
  handshakeTimeoutMs: number
  writeTimeoutMs: number
  log: Logger
  hooks: HandshakeHooks
  /** The memory budget handshake frames are reserved from (a few hundred bytes each). */
  budget?: MemoryBudget | undefined
  /** Runs after `hooks.completed`, for work that waits for the handshake (identify). */
  afterComplete?: (connection: Connection) => void
}

interface ConnectionHandshake {
  done: boolean
  timer: ReturnType<typeof setTimeout>
  /** Aborts the work in progress when the deadline passes or the connection closes. */
  controller: AbortController
}

/**
 * The error to report: what actually failed, or, when the work was cut short by the
 * deadline or the connection closing, that reason.
 */
function failureOf(error: unknown, signal: AbortSignal): PawError {
  if (error instanceof PeerFault) return error.error
  if (isPawError(error)) return error
  return toPawError(signal.aborted ? signal.reason : error)
}

function toPawError(error: unknown): PawError {
  if (isPawError(error)) return error
  if (error instanceof Error && error.name === 'AbortError') return new NetworkError('handshake aborted')
  return new NetworkError(error instanceof Error ? error.message : String(error), { cause: error })
}

export class HandshakeProtocol {
  readonly #libp2p: Libp2p
  readonly #init: HandshakeInit
  readonly #connections = new Map<string, ConnectionHandshake>()
  /** Who waits for a connection's handshake (whenComplete), by connection id. */
  readonly #waiting = new Map<string, Array<(done: boolean) => void>>()
  readonly #onOpen = (event: CustomEvent<Connection>): void => this.#track(event.detail)
  readonly #onClose = (event: CustomEvent<Connection>): void => this.#forget(event.detail)

  constructor(libp2p: Libp2p, init: HandshakeInit) {
    this.#libp2p = libp2p
    this.#init = init
  }

  async start(): Promise<void> {
    await this.#libp2p.handle(HANDSHAKE_PROTOCOL, (stream, connection) => this.#answer(stream, connection), {
      maxInboundStreams: MAX_HANDSHAKE_STREAMS,
      maxOutboundStreams: MAX_HANDSHAKE_STREAMS,
    })
    this.#libp2p.addEventListener('connection:open', this.#onOpen)
    this.#libp2p.addEventListener('connection:close', this.#onClose)
    // Connections that opened before we started (none in normal use) get the same deadline.
    for (const connection of this.#libp2p.getConnections()) this.#track(connection)
  }

  async stop(): Promise<void> {
    this.#libp2p.removeEventListener('connection:open', this.#onOpen)
    this.#libp2p.removeEventListener('connection:close', this.#onClose)
    for (const state of this.#connections.values()) {
      clearTimeout(state.timer)
      state.controller.abort()
    }
    this.#connections.clear()
    for (const waiting of this.#waiting.values()) for (const resolve of waiting) resolve(false)
    this.#waiting.clear()
    await this.#libp2p.unhandle(HANDSHAKE_PROTOCOL)
  }

  /** True once this connection completed /paw/handshake/1. */
  isComplete(connection: Connection): boolean {
    return this.#connections.get(connection.id)?.done === true
  }

  /**
   * Resolves true once this connection completes /paw/handshake/1, false if its handshake
   * fails or the connection closes first (at once if either already happened).
   * @throws the signal's reason if it aborts first (the handshake itself goes on)
   */
  whenComplete(connection: Connection, options: AbortOptions = {}): Promise<boolean> {
    if (this.isComplete(connection)) return Promise.resolve(true)
    if (connection.status !== 'open') return Promise.resolve(false)
    const signal = options.signal
    if (signal?.aborted) return Promise.reject(reasonOf(signal))
    return new Promise((resolve, reject) => {
      const waiter = (done: boolean): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve(done)
      }
      const onAbort = (): void => {
        const waiting = this.#waiting.get(connection.id)?.filter((other) => other !== waiter)
        if (waiting === undefined || waiting.length === 0) this.#waiting.delete(connection.id)
        else this.#waiting.set(connection.id, waiting)
        reject(reasonOf(signal as AbortSignal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const waiting = this.#waiting.get(connection.id) ?? []
      waiting.push(waiter)
      this.#waiting.set(connection.id, waiting)
    })
  }

  #settleWaiting(connection: Connection, done: boolean): void {
    const waiting = this.#waiting.get(connection.id)
    if (waiting === undefined) return
    this.#waiting.delete(connection.id)
    for (const resolve of waiting) resolve(done)
  }

  #local(): Handshake {
    return { version: PROTOCOL_VERSION, chainId: this.#init.chainId, nodeId: this.#init.nodeId }
  }

  #track(connection: Connection): void {
    if (this.#connections.has(connection.id)) return
    const controller = new AbortController()
    // The deadline runs from when the connection opened (DECISIONS.md), not from now.
    const elapsed = Date.now() - connection.timeline.open
    const remaining = Math.max(0, this.#init.handshakeTimeoutMs - elapsed)
    const timer = setTimeout(() => {
      const error = new HandshakeTimeoutError(this.#init.handshakeTimeoutMs)
      controller.abort(error)
      // The side reading a frame answers 0x03 itself when its read is aborted; this closes
      // connections on which no handshake stream was even opened.
      void this.#fail(connection, error)
    }, remaining)
    this.#connections.set(connection.id, { done: false, timer, controller })
    if (connection.direction === 'outbound') void this.#initiate(connection, controller.signal)
  }

  #forget(connection: Connection): void {
    const state = this.#connections.get(connection.id)
    if (state === undefined) return
    clearTimeout(state.timer)
    this.#settleWaiting(connection, false)
    if (state.done) {
      this.#connections.delete(connection.id)
      return
    }
    // Work in flight may still hold the peer's last frame (often a reject sent just before
    // it closed): abort it and let it report what really failed; report the close only if
    // nothing else did by the next turn of the event loop.
    const closed = new NetworkError('connection closed during the handshake')
    state.controller.abort(closed)
    setTimeout(() => void this.#fail(connection, closed), 0)
  }

  /**
   * A handshake stream: before the handshake completes, nothing larger than a handshake
   * answer is buffered (limits.ts); a larger frame header is 0x04.
   */
  #channel(stream: Stream, connection: Connection, limits: FrameLimits): FrameChannel {
    const traffic = this.#init.hooks.traffic(connection, HANDSHAKE_PROTOCOL)
    const budget = this.#init.budget
    return new FrameChannel(stream, {
      writeTimeoutMs: this.#init.writeTimeoutMs,
      limits,
      ...(traffic === undefined ? {} : { traffic }),
      ...(budget === undefined
        ? {}
        : { budget: { budget, peerId: connection.remotePeer.toString(), purpose: HANDSHAKE_PROTOCOL } }),
    })
  }

  /** Checks a received handshake frame: structure, version, chain, key binding. */
  #verify(item: Awaited<ReturnType<FrameChannel['read']>>, connection: Connection): Handshake {
    if (item === undefined) throw new NetworkError('stream closed before a handshake arrived')
    if (isPawError(item)) throw item
    if (item.type === FrameType.Reject) {
      const reject = decodeReject(item.payload)
      throw new PeerRejectedError(reject.code, reject.reason)
    }
    if (item.type !== FrameType.Handshake) {
      throw new InvalidMessageFormatError(`expected a handshake frame, got ${JSON.stringify(item.type)}`)
    }
    const remote = decodeHandshake(item.payload)
    checkHandshake(remote, { chainId: this.#init.chainId })
    const key = connection.remotePeer.publicKey
    if (key?.type !== 'Ed25519' || !equalBytes(key.raw, remote.nodeId)) {
      throw new InvalidMessageFormatError('node ID does not match the key the peer authenticated with')
    }
    return remote
  }

  /**
   * Dialer side: send ours, read theirs. Ours leaves with the protocol proposal, without
   * waiting for the listener's answer (optimistic-select.ts); a connection that does not
   * expose its muxer negotiates fully first.
   */
  async #initiate(connection: Connection, signal: AbortSignal): Promise<void> {
    let stream: Stream | undefined
    try {
      const payload = encodeHandshake(this.#local())
      stream = await openUnnegotiated(connection, HANDSHAKE_PROTOCOL, this.#libp2p.metrics)
      let channel: FrameChannel
      if (stream === undefined) {
        stream = await connection.newStream(HANDSHAKE_PROTOCOL, { signal })
        channel = this.#channel(stream, connection, DIALER_LIMITS)
        await channel.write(FrameType.Handshake, payload)
      } else {
        const opened = stream
        const frame = encodeFrame(FrameType.Handshake, payload)
        // 80 bytes into a fresh stream's window: taken by the muxer at once, nothing held.
        opened.send(proposalWith(HANDSHAKE_PROTOCOL, frame))
        this.#init.hooks.traffic(connection, HANDSHAKE_PROTOCOL)?.sent(frame.length, 1)
        channel = await selectionAnswer(opened, HANDSHAKE_PROTOCOL, signal, () =>
          this.#channel(opened, connection, DIALER_LIMITS),
        )
      }
      const remote = this.#verify(await channel.read({ signal }), connection)
      this.#complete(connection, remote)
      await channel.close()
    } catch (error) {
      const failure = failureOf(error, signal)
      stream?.abort(failure)
      await this.#fail(connection, failure)
    }
  }

  /** Listener side: read theirs, answer with ours or a reject. */
  async #answer(stream: Stream, connection: Connection): Promise<void> {
    const state = this.#connections.get(connection.id)
    if (state === undefined) this.#track(connection)
    const current = this.#connections.get(connection.id) as ConnectionHandshake
    const signal = current.controller.signal
    const channel = this.#channel(stream, connection, LISTENER_LIMITS)
    try {
      if (connection.direction !== 'inbound') {
        throw new UnexpectedMessageError('the dialer of a connection sends the handshake first')
      }
      if (current.done) throw new UnexpectedMessageError('handshake already completed on this connection')
      const remote = this.#verify(await channel.read({ signal }), connection)
      const refusal = this.#init.hooks.admitInbound(connection, remote)
      if (refusal !== undefined) throw refusal
      await channel.write(FrameType.Handshake, encodeHandshake(this.#local()))
      // Complete once our answer is written: a dialer that hangs up right after reading it
      // saw a successful handshake too.
      this.#complete(connection, remote)
      await channel.close()
    } catch (error) {
      const failure = failureOf(error, signal)
      const rejected = await this.#sendReject(channel, failure)
      await this.#fail(connection, failure, rejected ? channel.stream : undefined)
    }
  }

  /** True if the `reject` was written. */
  async #sendReject(channel: FrameChannel, error: PawError): Promise<boolean> {
    if (error instanceof PeerRejectedError || channel.stream.status !== 'open') return false
    try {
      await channel.write(FrameType.Reject, encodeReject(error.wireCode, error.message))
      await channel.close()
      return true
    } catch {
      // The peer may already be gone; the connection is closed next either way.
      return false
    }
  }

  #complete(connection: Connection, remote: Handshake): void {
    const state = this.#connections.get(connection.id)
    if (state === undefined || state.done || connection.status !== 'open') return
    state.done = true
    clearTimeout(state.timer)
    this.#init.hooks.completed(connection, remote)
    this.#settleWaiting(connection, true)
    this.#init.afterComplete?.(connection)
  }

  /**
   * Ends a failed handshake: reported at once, the connection closed. With `rejected`, the
   * stream that carried our `reject`, the close waits for the dialer to hang up first, at
   * most REJECT_LINGER_MS (protocols/handshake.md "Flow").
   */
  async #fail(connection: Connection, error: PawError, rejected?: Stream): Promise<void> {
    const state = this.#connections.get(connection.id)
    if (state === undefined || state.done) return
    clearTimeout(state.timer)
    this.#connections.delete(connection.id)
    this.#settleWaiting(connection, false)
    this.#init.log.debug('handshake failed', {
      peer: connection.remotePeer.toString(),
      code: error.wireCode,
      error,
    })
    this.#init.hooks.failed(connection, error)
    if (rejected !== undefined) await ended(rejected, REJECT_LINGER_MS)
    await closeConnection(connection)
  }
}

/** Resolves when `stream` has closed or reset (the remote hung up), or after `ms`. */
function ended(stream: Stream, ms: number): Promise<void> {
  if (stream.status !== 'open') return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      stream.removeEventListener('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    stream.addEventListener('close', done)
  })
}
