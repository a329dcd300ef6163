/**
 * 000's message functions over PAW frames: handlers registered per (protocol, frame type)
 * receive messages from handshaken peers (`handleIncomingMessage`), and
 * `broadcastMessage` sends one frame to every handshaken peer on a fresh stream of the
 * message's protocol. A frame type no handler knows is 0x05, as DECISIONS.md "Framing" says.
 */
import type { AbortOptions, Connection, Libp2p, Stream } from '@libp2p/interface'
import type { MessageHandler, PawMessage } from '../api/messages.ts'
import type { PeerInfo } from '../api/peers.ts'
import type { Settings } from '../config/settings.ts'
import { InvalidMessageFormatError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import { MAX_FRAME_LENGTH } from '../wire/constants.ts'
import { type FrameLimits, frameLength, frameLimits } from '../wire/frame-limits.ts'
import { endFailedStream, type FaultSink, newRefusedCounts, refuseFault } from './shared/faults.ts'
import { FrameChannel } from './shared/frame-channel.ts'
import { requireHandshake } from './shared/gate.ts'
import type { MemoryBudget } from './shared/memory-budget.ts'
import { nextMessage } from './shared/reader.ts'
import type { StreamPeers } from './shared/stream-peers.ts'

/** The peer manager's side: handshaken peers' connections, and a peer's PeerInfo for handlers. */
export type MessagePeers = StreamPeers & { peer(peerId: string): PeerInfo | undefined }

/** The largest payload of a message type registered without `maxPayloadBytes`. */
export const DEFAULT_MESSAGE_PAYLOAD_BYTES = 64 * 1024

export class MessageRouter {
  readonly #libp2p: Libp2p
  readonly #peers: MessagePeers
  readonly #settings: Settings
  readonly #log: Logger
  readonly #isHandshaken: (connection: Connection) => boolean
  readonly #handlers = new Map<string, Map<string, { handler: MessageHandler; maxPayloadBytes: number }>>()
  /** Per protocol, what its streams accept (FrameChannel limits), rebuilt when a handler is registered. */
  readonly #limits = new Map<string, FrameLimits>()
  readonly #enforcer: Pick<Enforcer, 'charge'>
  readonly #budget: MemoryBudget | undefined
  readonly #refused = newRefusedCounts()

  constructor(init: {
    libp2p: Libp2p
    peers: MessagePeers
    settings: Settings
    log: Logger
    isHandshaken: (connection: Connection) => boolean
    enforcer: Pick<Enforcer, 'charge'>
    budget?: MemoryBudget | undefined
  }) {
    this.#libp2p = init.libp2p
    this.#peers = init.peers
    this.#settings = init.settings
    this.#log = init.log
    this.#isHandshaken = init.isHandshaken
    this.#enforcer = init.enforcer
    this.#budget = init.budget
  }

  /**
   * Registers a handler; the first one for a protocol makes the node serve that protocol.
   * @throws TypeError for a protocol outside /paw/*; RangeError for a payload limit a frame cannot carry
   */
  async onMessage(
    protocol: string,
    type: string,
    handler: MessageHandler,
    options: { maxPayloadBytes?: number } = {},
  ): Promise<void> {
    if (!protocol.startsWith('/paw/')) throw new TypeError(`not a /paw/* protocol: ${protocol}`)
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MESSAGE_PAYLOAD_BYTES
    if (
      !Number.isSafeInteger(maxPayloadBytes) ||
      maxPayloadBytes < 0 ||
      frameLength(type, maxPayloadBytes) > MAX_FRAME_LENGTH
    ) {
      throw new RangeError(
        `maxPayloadBytes must be 0..${MAX_FRAME_LENGTH - frameLength(type, 0)}, got ${maxPayloadBytes}`,
      )
    }
    let byType = this.#handlers.get(protocol)
    if (byType === undefined) {
      byType = new Map()
      this.#handlers.set(protocol, byType)
      await this.#libp2p.handle(
        protocol,
        requireHandshake(this.#isHandshaken, (stream, connection) =>
          this.#serve(protocol, stream, connection),
        ),
      )
    }
    byType.set(type, { handler, maxPayloadBytes })
    // What a stream of `protocol` accepts: the registered types, each up to its payload limit.
    const payloads = Object.fromEntries([...byType].map(([name, entry]) => [name, entry.maxPayloadBytes]))
    this.#limits.set(protocol, frameLimits(new Set(byType.keys()), payloads))
  }

  async stop(): Promise<void> {
    await this.#libp2p.unhandle([...this.#handlers.keys()])
  }

  async handleIncomingMessage(message: PawMessage, peer: PeerInfo): Promise<void> {
    const handler = this.#handlers.get(message.protocol)?.get(message.type)?.handler
    if (handler === undefined) {
      throw new InvalidMessageFormatError(
        `no ${JSON.stringify(message.type)} messages on ${message.protocol}`,
      )
    }
    await handler(message, peer)
  }

  async #serve(protocol: string, stream: Stream, connection: Connection): Promise<void> {
    const { writeMs, readIdleMs } = this.#settings.timeouts
    const peerId = connection.remotePeer.toString()
    const budget = this.#budget
    const sink = this.#sink(protocol)
    const channel = new FrameChannel(stream, {
      writeTimeoutMs: writeMs,
      readIdleMs,
      limits: this.#limits.get(protocol) ?? frameLimits(new Set(), {}),
      traffic: this.#peers.traffic(connection, protocol),
      ...(budget === undefined ? {} : { budget: { budget, peerId, purpose: protocol } }),
      onFault: (fault) => refuseFault(sink, peerId, fault),
    })
    try {
      for (;;) {
        // 004 §4.2: a malformed or unknown frame is dropped with a warning (and charged); the stream goes on.
        const frame = await nextMessage(channel, (fault) => refuseFault(sink, peerId, fault))
        if (frame === undefined) break
        const peer = this.#peers.peer(peerId)
        if (peer === undefined) break
        try {
          await this.handleIncomingMessage(
            { protocol, type: frame.type, payload: frame.payload.subarray() },
            peer,
          )
        } catch (error) {
          // The application's handler failed: not the peer's fault.
          this.#log.warn('message handler failed', {
            peer: peerId,
            protocol,
            error: (error as Error).message,
          })
        }
      }
      await channel.close()
    } catch (error) {
      endFailedStream(sink, stream, peerId, error)
    }
  }

  #sink(protocol: string): FaultSink {
    return { refused: this.#refused, enforcer: this.#enforcer, log: this.#log, what: protocol }
  }

  /**
   * Sends `message` to every handshaken peer, each on a new stream opened within the write
   * timeout (or until the signal aborts).
   */
  async broadcastMessage(
    message: PawMessage,
    options: AbortOptions = {},
  ): Promise<{ sent: number; failed: number }> {
    const targets = this.#peers.connected()
    const results = await Promise.allSettled(
      targets.map(async ({ connection }) => {
        const stream = await connection.newStream(message.protocol, {
          signal: AbortSignal.any([
            AbortSignal.timeout(this.#settings.timeouts.writeMs),
            ...(options.signal === undefined ? [] : [options.signal]),
          ]),
        })
        const traffic = this.#peers.traffic(connection, message.protocol)
        const channel = new FrameChannel(stream, { writeTimeoutMs: this.#settings.timeouts.writeMs, traffic })
        await channel.write(message.type, message.payload)
        await channel.close()
      }),
    )
    const failed = results.filter((result) => result.status === 'rejected').length
    return { sent: results.length - failed, failed }
  }
}
