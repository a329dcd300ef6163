/**
 * The stream plumbing every request/response `/paw/*` protocol shares (mempool, blocks):
 * finding a handshaken peer's connection, opening a stream with the write deadline and
 * the shutdown signal, wrapping streams in FrameChannels with the node's timeouts and the
 * peer's traffic counters, and aborting every open stream on stop. Browser-safe.
 */
import type { AbortOptions, Connection, Libp2p, Stream } from '@libp2p/interface'
import type { Settings } from '../../config/settings.ts'
import { isPawError, NetworkError, type PawError } from '../../errors.ts'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import type { PeerFault } from './faults.ts'
import { FrameChannel } from './frame-channel.ts'
import { requireHandshake } from './gate.ts'
import type { MemoryBudget } from './memory-budget.ts'
import type { StreamPeers } from './stream-peers.ts'

/** How a request/response protocol answers the streams peers open. */
export interface ListenInit {
  libp2p: Libp2p
  /** Whether /paw/handshake/1 completed on the connection; streams of others are reset. */
  isHandshaken: (connection: Connection) => boolean
  /** Counts a stream refused for a missing handshake. */
  onNotHandshaken: () => void
  serve: (stream: Stream, connection: Connection) => void | Promise<void>
  /** Streams of the protocol per connection and direction; libp2p resets more. */
  maxStreams: number
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/** A PawError as it is, anything else as a NetworkError with it as the cause. */
export function asNetworkError(error: unknown): PawError {
  if (isPawError(error)) return error
  const cause = toError(error)
  return new NetworkError(cause.message, { cause })
}

export class ProtocolStreams {
  readonly #protocol: string
  readonly #settings: Settings
  readonly #peers: StreamPeers
  readonly #budget: MemoryBudget | undefined
  readonly #onFault: ((peerId: string, fault: PeerFault) => void) | undefined
  /** Open streams, aborted by stop(). */
  readonly #streams = new Set<Stream>()
  /** Aborted by stop(): cuts short streams being opened. */
  #shutdown = new AbortController()
  #running = false

  constructor(init: {
    protocol: string
    settings: Settings
    peers: StreamPeers
    /** What every frame of these streams is reserved from (src/protocols/shared/memory-budget.ts). */
    budget?: MemoryBudget | undefined
    /** Refuses a peer's fault that fails a stream, as it happens (FrameChannelInit.onFault). */
    onFault?: (peerId: string, fault: PeerFault) => void
  }) {
    this.#protocol = init.protocol
    this.#settings = init.settings
    this.#peers = init.peers
    this.#budget = init.budget
    this.#onFault = init.onFault
  }

  get running(): boolean {
    return this.#running
  }

  start(): void {
    this.#running = true
    this.#shutdown = new AbortController()
  }

  /** Starts, and answers the protocol's streams from handshaken peers (requireHandshake). */
  async listen(init: ListenInit): Promise<void> {
    this.start()
    const isHandshaken = (connection: Connection): boolean => {
      const done = init.isHandshaken(connection)
      if (!done) init.onNotHandshaken()
      return done
    }
    await init.libp2p.handle(this.#protocol, requireHandshake(isHandshaken, init.serve), {
      maxInboundStreams: init.maxStreams,
      maxOutboundStreams: init.maxStreams,
    })
  }

  /** Stops (every open stream aborted) and stops answering the protocol. */
  async close(libp2p: Libp2p): Promise<void> {
    this.stop(new NetworkError('node is shutting down'))
    await libp2p.unhandle(this.#protocol)
  }

  /** Aborts every open stream and any stream being opened. */
  stop(reason: Error): void {
    this.#running = false
    this.#shutdown.abort(reason)
    for (const stream of this.#streams) stream.abort(reason)
    this.#streams.clear()
  }

  /** The connection of a handshaken peer. @throws NetworkError if it is not connected */
  connectionOf(peerId: string): Connection {
    const entry = this.#peers.connected().find(({ info }) => info.peerId === peerId)
    if (entry === undefined) throw new NetworkError(`peer ${peerId} is not connected`)
    return entry.connection
  }

  /**
   * A stream (either side's) as a FrameChannel accepting `limits`, its frames reserved from
   * the budget for the peer, tracked until it closes.
   */
  channel(stream: Stream, connection: Connection, limits: FrameLimits): FrameChannel {
    const { writeMs, readIdleMs } = this.#settings.timeouts
    this.#streams.add(stream)
    stream.addEventListener('close', () => this.#streams.delete(stream), { once: true })
    if (!this.#running) stream.abort(new NetworkError('node is shutting down'))
    const peerId = connection.remotePeer.toString()
    return new FrameChannel(stream, {
      writeTimeoutMs: writeMs,
      readIdleMs,
      limits,
      traffic: this.#peers.traffic(connection, this.#protocol),
      ...(this.#budget === undefined
        ? {}
        : { budget: { budget: this.#budget, peerId, purpose: this.#protocol } }),
      ...(this.#onFault === undefined
        ? {}
        : { onFault: (fault: PeerFault) => this.#onFault?.(peerId, fault) }),
    })
  }

  /**
   * Opens a stream of the protocol on `connection`, accepting `limits`, within the write
   * timeout, cut short by stop() or the caller's signal.
   * @throws NetworkError; the signal's reason if it aborted
   */
  async open(connection: Connection, limits: FrameLimits, options: AbortOptions = {}): Promise<FrameChannel> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.#settings.timeouts.writeMs),
      this.#shutdown.signal,
      ...(options.signal === undefined ? [] : [options.signal]),
    ])
    let stream: Stream
    try {
      stream = await connection.newStream(this.#protocol, { signal })
    } catch (error) {
      options.signal?.throwIfAborted()
      const cause = toError(error)
      throw new NetworkError(`cannot open ${this.#protocol}: ${cause.message}`, { cause })
    }
    return this.channel(stream, connection, limits)
  }
}
