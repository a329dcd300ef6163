/**
 * The stream plumbing every request/response `/paw/*` protocol shares (mempool, blocks):
 * finding a handshaken peer's connection, opening a stream with the write deadline and
 * the shutdown signal, wrapping streams in FrameChannels with the node's timeouts and the
 * peer's traffic counters, and aborting every open stream on stop. Browser-safe.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Settings } from '../config/settings.ts'
import { isPawError, NetworkError, type PawError } from '../errors.ts'
import type { PeerManager } from '../peers/peer-manager.ts'
import { FrameChannel } from './frame-channel.ts'

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
  readonly #peers: Pick<PeerManager, 'connected' | 'traffic'>
  /** Open streams, aborted by stop(). */
  readonly #streams = new Set<Stream>()
  /** Aborted by stop(): cuts short streams being opened. */
  #shutdown = new AbortController()
  #running = false

  constructor(init: {
    protocol: string
    settings: Settings
    peers: Pick<PeerManager, 'connected' | 'traffic'>
  }) {
    this.#protocol = init.protocol
    this.#settings = init.settings
    this.#peers = init.peers
  }

  get running(): boolean {
    return this.#running
  }

  start(): void {
    this.#running = true
    this.#shutdown = new AbortController()
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

  /** A stream (either side's) as a FrameChannel, tracked until it closes. */
  channel(stream: Stream, connection: Connection): FrameChannel {
    const { writeMs, readIdleMs } = this.#settings.timeouts
    this.#streams.add(stream)
    stream.addEventListener('close', () => this.#streams.delete(stream), { once: true })
    if (!this.#running) stream.abort(new NetworkError('node is shutting down'))
    return new FrameChannel(stream, {
      writeTimeoutMs: writeMs,
      readIdleMs,
      traffic: this.#peers.traffic(connection, this.#protocol),
    })
  }

  /** Opens a stream of the protocol on `connection`. @throws NetworkError */
  async open(connection: Connection): Promise<FrameChannel> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.#settings.timeouts.writeMs),
      this.#shutdown.signal,
    ])
    let stream: Stream
    try {
      stream = await connection.newStream(this.#protocol, { signal })
    } catch (error) {
      const cause = toError(error)
      throw new NetworkError(`cannot open ${this.#protocol}: ${cause.message}`, { cause })
    }
    return this.channel(stream, connection)
  }
}
