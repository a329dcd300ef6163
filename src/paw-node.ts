/**
 * PawNode: a libp2p node composed with the PAW parts (handshake, connection manager,
 * message router). Each part is a small class; this one wires them and exposes the API
 * of src/api.ts. Browser-safe.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import type { MessageHandler, NodeStats, PawMessage, PawNode, PawNodeEvents, PeerInfo } from './api.ts'
import type { Settings } from './config/settings.ts'
import type { Logger } from './logging.ts'
import { PeerManager } from './peers/peer-manager.ts'
import { HandshakeProtocol } from './protocols/handshake/handshake.ts'
import { MessageRouter } from './protocols/messages.ts'

interface PingService {
  ping(peer: PeerId, options?: { signal?: AbortSignal }): Promise<number>
}

export interface PawNodeParts {
  libp2p: Libp2p<{ ping: PingService }>
  settings: Settings
  log: Logger
}

const FORWARDED_EVENTS = ['peer:state', 'peer:connected', 'peer:disconnected'] as const

export class PawNodeImpl extends TypedEventEmitter<PawNodeEvents> implements PawNode {
  readonly libp2p: Libp2p
  readonly settings: Settings
  readonly log: Logger
  readonly #peers: PeerManager
  readonly #handshake: HandshakeProtocol
  readonly #messages: MessageRouter
  #started = false

  constructor(parts: PawNodeParts) {
    super()
    this.libp2p = parts.libp2p
    this.settings = parts.settings
    this.log = parts.log
    const { libp2p, settings, log } = parts
    this.#peers = new PeerManager({
      libp2p,
      settings,
      log: log.child({ component: 'peers' }),
      ping: libp2p.services.ping,
    })
    const publicKey = libp2p.peerId.publicKey
    if (publicKey?.type !== 'Ed25519') throw new TypeError('a PAW node identity must be an Ed25519 key')
    this.#handshake = new HandshakeProtocol(libp2p, {
      chainId: settings.chainId,
      nodeId: publicKey.raw,
      handshakeTimeoutMs: settings.timeouts.handshakeMs,
      writeTimeoutMs: settings.timeouts.writeMs,
      log: log.child({ component: 'handshake' }),
      hooks: this.#peers,
    })
    this.#messages = new MessageRouter({
      libp2p,
      peers: this.#peers,
      settings,
      log: log.child({ component: 'messages' }),
      isHandshaken: (connection) => this.#handshake.isComplete(connection),
    })
    for (const name of FORWARDED_EVENTS) {
      this.#peers.addEventListener(name, (event) => {
        this.safeDispatchEvent(name, { detail: event.detail } as never)
      })
    }
  }

  get peerId(): PeerId {
    return this.libp2p.peerId
  }

  async start(): Promise<void> {
    if (this.#started) return
    // The handshake must be listening before the first connection can open.
    await this.#handshake.start()
    await this.libp2p.start()
    await this.#peers.start()
    this.#started = true
    this.log.info('node started', {
      peerId: this.peerId.toString(),
      chainId: this.settings.chainId,
      listen: this.getMultiaddrs().map(String),
    })
  }

  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.log.info('node stopping')
    await this.#peers.stop()
    await this.#messages.stop()
    await this.#handshake.stop()
    await this.libp2p.stop()
    this.log.info('node stopped')
  }

  getMultiaddrs(): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  connectToPeer(address: string | Multiaddr, options?: { signal?: AbortSignal }): Promise<PeerInfo> {
    return this.#peers.connectToPeer(address, options)
  }

  managePeerConnections(): Promise<void> {
    return this.#peers.managePeerConnections()
  }

  broadcastMessage(message: PawMessage): Promise<{ sent: number; failed: number }> {
    return this.#messages.broadcastMessage(message)
  }

  handleIncomingMessage(message: PawMessage, peer: PeerInfo): Promise<void> {
    return this.#messages.handleIncomingMessage(message, peer)
  }

  onMessage(protocol: string, type: string, handler: MessageHandler): Promise<void> {
    return this.#messages.onMessage(protocol, type, handler)
  }

  peers(): PeerInfo[] {
    return this.#peers.peers()
  }

  peer(peerId: string): PeerInfo | undefined {
    return this.#peers.peer(peerId)
  }

  stats(): NodeStats {
    return this.#peers.stats()
  }
}
