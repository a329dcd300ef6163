/**
 * 000's message functions over PAW frames: handlers registered per (protocol, frame type)
 * receive messages from handshaken peers (`handleIncomingMessage`), and
 * `broadcastMessage` sends one frame to every handshaken peer on a fresh stream of the
 * message's protocol. A frame type no handler knows is 0x05, as DECISIONS.md "Framing" says.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import type { MessageHandler, PawMessage, PeerInfo } from '../api.ts'
import type { Settings } from '../config/settings.ts'
import { InvalidMessageFormatError, isPawError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { PeerManager } from '../peers/peer-manager.ts'
import { FrameChannel } from './shared/frame-channel.ts'
import { requireHandshake } from './shared/gate.ts'

export class MessageRouter {
  readonly #libp2p: Libp2p
  readonly #peers: PeerManager
  readonly #settings: Settings
  readonly #log: Logger
  readonly #isHandshaken: (connection: Connection) => boolean
  readonly #handlers = new Map<string, Map<string, MessageHandler>>()

  constructor(init: {
    libp2p: Libp2p
    peers: PeerManager
    settings: Settings
    log: Logger
    isHandshaken: (connection: Connection) => boolean
  }) {
    this.#libp2p = init.libp2p
    this.#peers = init.peers
    this.#settings = init.settings
    this.#log = init.log
    this.#isHandshaken = init.isHandshaken
  }

  /** Registers a handler; the first one for a protocol makes the node serve that protocol. */
  async onMessage(protocol: string, type: string, handler: MessageHandler): Promise<void> {
    if (!protocol.startsWith('/paw/')) throw new TypeError(`not a /paw/* protocol: ${protocol}`)
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
    byType.set(type, handler)
  }

  async stop(): Promise<void> {
    await this.#libp2p.unhandle([...this.#handlers.keys()])
  }

  async handleIncomingMessage(message: PawMessage, peer: PeerInfo): Promise<void> {
    const handler = this.#handlers.get(message.protocol)?.get(message.type)
    if (handler === undefined) {
      throw new InvalidMessageFormatError(
        `no ${JSON.stringify(message.type)} messages on ${message.protocol}`,
      )
    }
    await handler(message, peer)
  }

  async #serve(protocol: string, stream: Stream, connection: Connection): Promise<void> {
    const { writeMs, readIdleMs } = this.#settings.timeouts
    const channel = new FrameChannel(stream, {
      writeTimeoutMs: writeMs,
      readIdleMs,
      traffic: this.#peers.traffic(connection, protocol),
    })
    const peerId = connection.remotePeer.toString()
    try {
      for (;;) {
        const item = await channel.read()
        if (item === undefined) break
        const peer = this.#peers.peer(peerId)
        if (peer === undefined) break
        try {
          if (isPawError(item)) throw item
          await this.handleIncomingMessage(
            { protocol, type: item.type, payload: item.payload.subarray() },
            peer,
          )
        } catch (error) {
          // 004 §4.2: a malformed or unknown message is dropped with a warning; the stream goes on.
          this.#log.warn('message dropped', { peer: peerId, protocol, error: (error as Error).message })
        }
      }
      await channel.close()
    } catch (error) {
      this.#log.debug('message stream failed', { peer: peerId, protocol, error: (error as Error).message })
      stream.abort(error instanceof Error ? error : new Error(String(error)))
    }
  }

  async broadcastMessage(message: PawMessage): Promise<{ sent: number; failed: number }> {
    const targets = this.#peers.connected()
    const results = await Promise.allSettled(
      targets.map(async ({ connection, traffic }) => {
        const stream = await connection.newStream(message.protocol, {
          signal: AbortSignal.timeout(this.#settings.timeouts.writeMs),
        })
        const channel = new FrameChannel(stream, { writeTimeoutMs: this.#settings.timeouts.writeMs, traffic })
        await channel.write(message.type, message.payload)
        await channel.close()
      }),
    )
    const failed = results.filter((result) => result.status === 'rejected').length
    return { sent: results.length - failed, failed }
  }
}
