/**
 * PawNode: the facade of src/api/ over a node's services (built in
 * src/assembly/node-services.ts): it starts and stops them in order, forwards their events,
 * and delegates each API call to the service that does it. Browser-safe.
 */
import type { AbortOptions, Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import type {
  AccountReading,
  AnnounceResult,
  ChainTip,
  GossipBroadcast,
  HashInput,
  MessageHandler,
  NodeStats,
  PawMessage,
  PawNode,
  PawNodeEvents,
  PeerInfo,
  SubmitResult,
  TransactionConfirmation,
  TransactionRequestResult,
  WaitForTransactionOptions,
} from './api/index.ts'
import { listenFailure } from './assembly/listen-failure.ts'
import { assembleServices, type NodeServices, type PawNodeParts } from './assembly/node-services.ts'
import { StateReads } from './assembly/state-reads.ts'
import type { Settings } from './config/settings.ts'
import { NetworkError } from './errors.ts'
import type { GossipStats, PawPubSub } from './gossip/gossip-service.ts'
import { gateGossipsubStreams } from './gossip/gossipsub-gate.ts'
import type { Logger } from './logging.ts'
import type { AddressBook } from './peers/address-book.ts'
import type { Ban, IpBan } from './peers/ban-list.ts'
import type { DiscoveryStats } from './peers/discovery.ts'
import type { EnforcerStats } from './peers/enforcer.ts'
import { IpBans } from './peers/ip-bans.ts'
import type { ProtocolTraffic } from './peers/peer-manager.ts'
import type { ChainPort } from './ports/chain.ts'
import type { MempoolSyncStats } from './protocols/mempool/mempool-protocol.ts'
import type { PeersStats } from './protocols/peers/peers-protocol.ts'
import type { MemoryBudgetStats } from './protocols/shared/memory-budget.ts'
import type { SyncResult } from './sync/types.ts'
import { fromHex, toHex } from './wire/bytes.ts'

const FORWARDED_EVENTS = ['peer:state', 'peer:connected', 'peer:disconnected'] as const

/** A hash the API was given: hex, or (deprecated) bytes. */
function hashBytes(hash: HashInput): Uint8Array {
  return typeof hash === 'string' ? fromHex(hash) : hash
}

/** Throws the signal's reason if it is aborted (a call that does its work at once). */
function checkSignal(options: AbortOptions | undefined): void {
  options?.signal?.throwIfAborted()
}

export class PawNodeImpl<B, T, H, A = unknown>
  extends TypedEventEmitter<PawNodeEvents<B, T, H>>
  implements PawNode<B, T, H, A>
{
  readonly libp2p: Libp2p
  readonly settings: Settings
  readonly log: Logger
  readonly #addressBook: AddressBook
  readonly #ipBans: IpBans
  readonly #services: NodeServices<B, T>
  #discoveryTimer: ReturnType<typeof setInterval> | undefined
  readonly #startedAt = Date.now()
  readonly #chain: ChainPort | undefined
  #started = false

  constructor(parts: PawNodeParts) {
    super()
    this.libp2p = parts.libp2p
    this.settings = parts.settings
    this.log = parts.log
    this.#chain = parts.chain
    this.#addressBook = parts.addressBook
    this.#ipBans = new IpBans({
      bans: parts.bans,
      peers: () => this.#services.peers.peers(),
      disconnect: (peerId, error) => this.#services.peers.disconnect(peerId, error),
      log: parts.log.child({ component: 'peers' }),
    })
    this.#services = assembleServices<B, T>(parts, {
      dispatch: (name, detail) => {
        this.safeDispatchEvent(name, { detail } as never)
      },
      isRunning: () => this.#started,
      disconnectPeer: (peerId) => this.disconnectPeer(peerId),
      hasListeners: (name) => this.listenerCount(name) > 0,
    })
    const { settings } = parts
    // Eviction protects peers that recently brought us something new (blocks: noted by
    // gossip itself, src/assembly/node-services.ts).
    this.addEventListener('transaction', (event) =>
      this.#services.peers.noteDelivery(event.detail.from, 'transaction'),
    )
    // 000 MEMPOOL_SYNC: every new peer hears our pending set once.
    this.#services.peers.addEventListener('peer:connected', (event) => {
      this.#services.mempool.announceTo(event.detail.peerId).catch((error: unknown) => {
        this.log.debug('mempool sync failed', { peer: event.detail.peerId, error: (error as Error).message })
      })
      // A new peer may hold blocks we lack.
      this.#services.sync?.inBackground()
      // And addresses we lack (peer exchange), unless in seed mode (we answer, not ask).
      if (!settings.seedMode) void this.#services.discovery.onConnected(event.detail)
    })
    for (const name of FORWARDED_EVENTS) {
      this.#services.peers.addEventListener(name, (event) => {
        this.safeDispatchEvent(name, { detail: event.detail } as never)
      })
    }
  }

  get peerId(): PeerId {
    return this.libp2p.peerId
  }

  async start(options?: AbortOptions): Promise<void> {
    checkSignal(options)
    if (this.#started) return
    // The handshake must be listening before the first connection can open.
    await this.#services.handshake.start()
    await this.#services.mempool.start()
    await this.#services.blocks.start()
    await this.#services.peerExchange.start()
    await this.#services.state?.start()
    try {
      await this.libp2p.start()
    } catch (error) {
      // A taken port or a bad listen address, named by its setting (issue 17, item 2).
      throw listenFailure(error)
    }
    const { handshake } = this.#services
    await gateGossipsubStreams(
      this.libp2p,
      this.libp2p.services.pubsub as PawPubSub,
      {
        whenComplete: (connection) => handshake.whenComplete(connection),
        isComplete: (connection) => handshake.isComplete(connection),
      },
      this.log,
    )
    this.#services.gossip.start()
    this.#services.chainFeed?.start()
    await this.#services.peers.start()
    this.#discoveryTimer = setInterval(
      () => void this.#services.discovery.tick(),
      this.settings.maintenanceIntervalMs,
    )
    void this.#services.discovery.tick()
    this.#started = true
    this.log.info('node started', {
      peerId: this.peerId.toString(),
      chainId: this.settings.chainId,
      listen: this.getMultiaddrs().map(String),
    })
  }

  async stop(options?: AbortOptions): Promise<void> {
    checkSignal(options)
    if (!this.#started) return
    this.#started = false
    this.log.info('node stopping')
    clearInterval(this.#discoveryTimer)
    await this.#services.peers.stop()
    await this.#services.peerExchange.stop()
    await this.#services.state?.stop()
    await this.#services.gossip.stop()
    await this.#services.mempool.stop()
    await this.#services.blocks.stop()
    await this.#services.sync?.settled()
    this.#services.chainFeed?.stop()
    await this.#services.messages.stop()
    await this.#services.handshake.stop()
    await this.libp2p.stop()
    this.log.info('node stopped')
  }

  getMultiaddrs(): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  connectToPeer(address: string | Multiaddr, options?: AbortOptions): Promise<PeerInfo> {
    return this.#services.peers.connectToPeer(address, options)
  }

  async managePeerConnections(options?: AbortOptions): Promise<void> {
    checkSignal(options)
    await this.#services.peers.managePeerConnections()
  }

  async discoverPeers(options?: AbortOptions): Promise<number> {
    checkSignal(options)
    return this.#services.discovery.discoverPeers()
  }

  disconnectPeer(peerId: string): void {
    this.#services.peers.disconnect(peerId, new NetworkError('disconnected by this node'))
  }

  async ban(peerId: string, options: { durationMs: number; reason: string } & AbortOptions): Promise<Ban> {
    checkSignal(options)
    const { durationMs, reason } = options
    return this.#services.peers.ban(peerId, { durationMs, reason, source: 'operator' })
  }

  async unban(peerId: string, options?: AbortOptions): Promise<boolean> {
    checkSignal(options)
    return this.#services.peers.unban(peerId)
  }

  bans(): Ban[] {
    return this.#services.peers.bans()
  }

  async banIp(ip: string, options: { durationMs: number; reason: string } & AbortOptions): Promise<IpBan> {
    checkSignal(options)
    const { durationMs, reason } = options
    return this.#ipBans.ban(ip, { durationMs, reason, source: 'operator' })
  }

  async unbanIp(ip: string, options?: AbortOptions): Promise<boolean> {
    checkSignal(options)
    return this.#ipBans.unban(ip)
  }

  ipBans(): IpBan[] {
    return this.#ipBans.list()
  }

  addressBookStats(): { entries: number; groups: number } {
    return { entries: this.#addressBook.size, groups: this.#addressBook.groups().size }
  }

  /** Verified reads (getAccount, waitForTransaction); undefined on a node without a chain. */
  #stateReads: StateReads | undefined

  #reads(): StateReads {
    if (this.#chain === undefined) throw new NetworkError('this node follows no chain')
    this.#stateReads ??= new StateReads(
      this.#chain,
      this.#services.stateClient,
      this.log.child({ component: 'state' }),
    )
    return this.#stateReads
  }

  async getAccount(address: HashInput, options?: AbortOptions): Promise<AccountReading<A>> {
    return (await this.#reads().getAccount(hashBytes(address), options)) as AccountReading<A>
  }

  waitForTransaction(id: HashInput, options?: WaitForTransactionOptions): Promise<TransactionConfirmation> {
    return this.#reads().waitForTransaction(hashBytes(id), options)
  }

  chainTip(): ChainTip | undefined {
    const tip = this.#chain?.tip()
    return tip === undefined
      ? undefined
      : { height: tip.height, hash: toHex(tip.hash), totalWeight: tip.totalWeight }
  }

  /** The memory budget of /paw/* streams and its use now (docs/configuration.md "Memory budget"). */
  memoryBudget(): MemoryBudgetStats {
    return this.#services.budget.stats()
  }

  /** Offences charged, bans and disconnects since start (src/peers/enforcer.ts). */
  enforcement(): EnforcerStats {
    return this.#services.enforcer.stats()
  }

  protocolTraffic(): Record<string, ProtocolTraffic> {
    return this.#services.peers.protocolTraffic()
  }

  rejectionsByCode(): Record<string, number> {
    return this.#services.peers.rejectionsByCode()
  }

  discoveryStats(): DiscoveryStats & { exchange: PeersStats } {
    return { ...this.#services.discovery.stats(), exchange: this.#services.peerExchange.stats() }
  }

  uptimeMs(): number {
    return Date.now() - this.#startedAt
  }

  async broadcastMessage(
    message: PawMessage | GossipBroadcast<B, T>,
    options?: AbortOptions,
  ): Promise<{ sent: number; failed: number }> {
    checkSignal(options)
    if ('protocol' in message) return this.#services.messages.broadcastMessage(message)
    const sent =
      message.kind === 'block'
        ? (await this.announceBlock(message.block, options)).recipients
        : (await this.submitTransaction(message.transaction, options)).recipients
    return { sent, failed: 0 }
  }

  announceBlock(block: B, options?: AbortOptions): Promise<AnnounceResult> {
    return this.#services.chainActions.announceBlock(block, options)
  }

  announceEncodedBlock(encoded: Uint8Array, options?: AbortOptions): Promise<AnnounceResult> {
    return this.#services.chainActions.announceEncodedBlock(encoded, options)
  }

  submitTransaction(transaction: T, options?: AbortOptions): Promise<SubmitResult> {
    return this.#services.chainActions.submitTransaction(transaction, options)
  }

  submitEncodedTransaction(encoded: Uint8Array, options?: AbortOptions): Promise<SubmitResult> {
    return this.#services.chainActions.submitEncodedTransaction(encoded, options)
  }

  requestTransactions(
    peerId: string,
    ids: readonly string[],
    options?: AbortOptions,
  ): Promise<TransactionRequestResult<T>> {
    return this.#services.chainActions.requestTransactions(peerId, ids, options)
  }

  mempoolSyncStats(): MempoolSyncStats {
    return this.#services.mempool.stats()
  }

  syncBlockchain(options?: AbortOptions): Promise<SyncResult> {
    if (this.#services.sync === undefined)
      return Promise.reject(new TypeError('syncBlockchain needs a node with a chain'))
    return this.#services.sync.run(options)
  }

  async fetchBlock(hash: HashInput, options?: AbortOptions): Promise<B | undefined> {
    return this.#services.chainActions.fetchBlock(hashBytes(hash), options)
  }

  async requestBlock(
    peerId: string,
    hash: HashInput,
    options?: AbortOptions,
  ): Promise<Uint8Array | undefined> {
    return this.#services.blocks.getBlock(peerId, hashBytes(hash), options)
  }

  gossipStats(): GossipStats {
    return this.#services.gossip.stats()
  }

  async gossipIdle(options?: AbortOptions): Promise<void> {
    checkSignal(options)
    const idle = this.#services.gossip.idle()
    const signal = options?.signal
    if (signal === undefined) return idle
    // Waiting is what an abort cuts short; the queue itself runs on.
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })
    return Promise.race([idle, aborted])
  }

  async handleIncomingMessage(message: PawMessage, peer: PeerInfo, options?: AbortOptions): Promise<void> {
    checkSignal(options)
    return this.#services.messages.handleIncomingMessage(message, peer)
  }

  async onMessage(
    protocol: string,
    type: string,
    handler: MessageHandler,
    options?: { maxPayloadBytes?: number } & AbortOptions,
  ): Promise<void> {
    checkSignal(options)
    const maxPayloadBytes = options?.maxPayloadBytes
    return this.#services.messages.onMessage(
      protocol,
      type,
      handler,
      maxPayloadBytes === undefined ? undefined : { maxPayloadBytes },
    )
  }

  peers(): PeerInfo[] {
    return this.#services.peers.peers()
  }

  peer(peerId: string): PeerInfo | undefined {
    return this.#services.peers.peer(peerId)
  }

  stats(): NodeStats {
    return this.#services.peers.stats()
  }
}
