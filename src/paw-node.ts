/**
 * PawNode: a libp2p node composed with the PAW parts (handshake, connection manager,
 * message router). Each part is a small class; this one wires them and exposes the API
 * of src/api.ts. Browser-safe.
 */
import type { Libp2p, PeerId, StreamHandler } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import type {
  AnnounceResult,
  GossipBroadcast,
  MessageHandler,
  NodeChain,
  NodeStats,
  PawMessage,
  PawNode,
  PawNodeEvents,
  PeerInfo,
  SubmitResult,
  TransactionRequestResult,
} from './api.ts'
import { decodeBlock, decodeTransaction, encodeTransaction } from './chain/encoding.ts'
import { ChainError, ChainErrorCode, isChainError } from './chain/errors.ts'
import { blockHash, txHash } from './chain/hashing.ts'
import { transactionPoolPort } from './chain/mempool/pool-port.ts'
import { verifyTransactionSignature } from './chain/signing.ts'
import type { AddBlockOutcome, Block, Transaction } from './chain/types.ts'
import type { Settings } from './config/settings.ts'
import { NetworkError } from './errors.ts'
import { type GossipStats, gossipScoreOf, PawGossip, type PawPubSub } from './gossip/gossip-service.ts'
import type { Logger } from './logging.ts'
import { parsePeerAddress } from './peers/address.ts'
import type { AddressBook } from './peers/address-book.ts'
import type { Ban, BanList } from './peers/ban-list.ts'
import { Discovery, type DiscoveryStats } from './peers/discovery.ts'
import { Enforcer, type EnforcerStats } from './peers/enforcer.ts'
import { PeerManager, type ProtocolTraffic } from './peers/peer-manager.ts'
import type { PeerRateLimiter } from './peers/rate-limits.ts'
import type { Reputation } from './peers/reputation.ts'
import { BlocksProtocol, REQUEST_STREAMS_PER_PEER } from './protocols/blocks/blocks-protocol.ts'
import { HandshakeProtocol } from './protocols/handshake/handshake.ts'
import { MempoolProtocol, type MempoolSyncStats } from './protocols/mempool/mempool-protocol.ts'
import { MessageRouter } from './protocols/messages.ts'
import { PeersProtocol, type PeersStats } from './protocols/peers/peers-protocol.ts'
import { gateProtocols } from './protocols/shared/gate.ts'
import { MemoryBudget, type MemoryBudgetStats } from './protocols/shared/memory-budget.ts'
import { BlockSync, type SyncProgress, type SyncResult } from './sync/block-sync.ts'
import { HeaderSync } from './sync/header-sync.ts'
import { equalBytes, toHex } from './wire/bytes.ts'

interface PingService {
  ping(peer: PeerId, options?: { signal?: AbortSignal }): Promise<number>
}

export interface PawNodeParts {
  libp2p: Libp2p<{ ping: PingService; pubsub: unknown }>
  settings: Settings
  log: Logger
  chain: NodeChain | undefined
  reputation: Reputation
  limiter: PeerRateLimiter
  /** Sync when a peer connects or a gossiped block's parent is unknown. */
  autoSync: boolean
  addressBook: AddressBook
  bans: BanList
}

/** Bootstrap addresses without a peer ID (host:port): reached the way seeds are. */
function bootstrapWithoutId(bootstrap: readonly string[]): string[] {
  return bootstrap.filter(
    (text) =>
      !parsePeerAddress(text)
        .getComponents()
        .some((c) => c.name === 'p2p'),
  )
}

/** Pause before a failed background sync is tried again. */
const SYNC_RETRY_MS = 5_000

const FORWARDED_EVENTS = ['peer:state', 'peer:connected', 'peer:disconnected'] as const

export class PawNodeImpl extends TypedEventEmitter<PawNodeEvents> implements PawNode {
  readonly libp2p: Libp2p
  readonly settings: Settings
  readonly log: Logger
  readonly #peers: PeerManager
  readonly #handshake: HandshakeProtocol
  readonly #messages: MessageRouter
  readonly #gossip: PawGossip
  readonly #mempool: MempoolProtocol
  readonly #blocks: BlocksProtocol
  readonly #peerExchange: PeersProtocol
  readonly #discovery: Discovery
  readonly #addressBook: AddressBook
  #discoveryTimer: ReturnType<typeof setInterval> | undefined
  readonly #startedAt = Date.now()
  readonly #sync: BlockSync | HeaderSync | undefined
  readonly #autoSync: boolean
  readonly #enforcer: Enforcer
  readonly #budget: MemoryBudget
  readonly #chain: NodeChain | undefined
  #started = false

  constructor(parts: PawNodeParts) {
    super()
    this.libp2p = parts.libp2p
    this.settings = parts.settings
    this.log = parts.log
    const { libp2p, settings, log, reputation } = parts
    this.#chain = parts.chain
    // The one place a peer pays for what it did (src/peers/enforcer.ts); its callbacks
    // reach the peer manager, built next.
    this.#enforcer = new Enforcer({
      reputation,
      ban: (peerId, options) => this.#peers.ban(peerId, options),
      isBanned: (peerId) => parts.bans.isBanned(peerId) !== undefined,
      disconnect: (peerId, error) => this.#peers.disconnect(peerId, error),
      isConnected: (peerId) => this.#peers.peer(peerId)?.state === 'connected',
      log: log.child({ component: 'enforcer' }),
    })
    const MiB = 1024 * 1024
    this.#budget = new MemoryBudget(
      { nodeBytes: settings.bufferMemory.nodeMiB * MiB, peerBytes: settings.bufferMemory.peerMiB * MiB },
      {
        onRevoke: (peerId, bytes) =>
          this.#enforcer.charge(
            peerId,
            'budgetHog',
            `held the most when the node's memory budget ran out: ${bytes} bytes taken back`,
            'memory budget',
          ),
      },
    )
    const budget = this.#budget
    const enforcer = this.#enforcer
    this.#peers = new PeerManager({
      libp2p,
      settings,
      log: log.child({ component: 'peers' }),
      ping: libp2p.services.ping,
      reputation,
      enforcer,
      addressBook: parts.addressBook,
      bans: parts.bans,
    })
    this.#addressBook = parts.addressBook
    const publicKey = libp2p.peerId.publicKey
    if (publicKey?.type !== 'Ed25519') throw new TypeError('a PAW node identity must be an Ed25519 key')
    this.#handshake = new HandshakeProtocol(libp2p, {
      chainId: settings.chainId,
      nodeId: publicKey.raw,
      handshakeTimeoutMs: settings.timeouts.handshakeMs,
      writeTimeoutMs: settings.timeouts.writeMs,
      log: log.child({ component: 'handshake' }),
      hooks: this.#peers,
      budget,
    })
    this.#messages = new MessageRouter({
      libp2p,
      peers: this.#peers,
      settings,
      log: log.child({ component: 'messages' }),
      isHandshaken: (connection) => this.#handshake.isComplete(connection),
      enforcer,
      budget,
    })
    const chainParams = parts.chain?.chain?.params ?? parts.chain?.headers?.params
    const pubsub = libp2p.services.pubsub as PawPubSub
    reputation.setGossipScore((peerId) => gossipScoreOf(pubsub, peerId))
    this.#gossip = new PawGossip({
      pubsub,
      chainId: settings.chainId,
      chain: parts.chain,
      reputation,
      limiter: parts.limiter,
      isHandshaken: (peerId) => this.#peers.peer(peerId)?.state === 'connected',
      connectedPeers: () => this.#peers.connected().map(({ info }) => info.peerId),
      enforcer,
      dispatch: (name, detail) => {
        this.safeDispatchEvent(name, { detail } as never)
      },
      log: log.child({ component: 'gossip' }),
      onUnknownParent: () => this.#backgroundSync(),
    })
    this.#mempool = new MempoolProtocol({
      libp2p,
      peers: this.#peers,
      settings,
      log: log.child({ component: 'mempool' }),
      isHandshaken: (connection) => this.#handshake.isComplete(connection),
      pool:
        parts.chain?.mempool === undefined
          ? undefined
          : transactionPoolPort(parts.chain.mempool, {
              admitted: (transaction, id, from) =>
                this.safeDispatchEvent('transaction', {
                  detail: { transaction, id, from, via: 'mempool-sync' },
                }),
              invalid: (from, error) =>
                enforcer.charge(
                  from,
                  'invalidTransaction',
                  `${error.code}: ${error.message}`,
                  'mempool sync',
                ),
            }),
      limiter: parts.limiter,
      enforcer,
      budget,
    })
    this.#blocks = new BlocksProtocol({
      libp2p,
      peers: this.#peers,
      settings,
      log: log.child({ component: 'blocks' }),
      isHandshaken: (connection) => this.#handshake.isComplete(connection),
      source: parts.chain?.chain ?? parts.chain?.headers,
      limiter: parts.limiter,
      enforcer,
      budget,
      ...(chainParams === undefined ? {} : { maxBlockBytes: chainParams.maxBlockBytes }),
    })
    const fullChain = parts.chain?.chain
    this.#autoSync = parts.autoSync
    const syncPeers = () => this.#peers.connected().map(({ info }) => info.peerId)
    const onProgress = (detail: SyncProgress) => this.safeDispatchEvent('sync:progress', { detail })
    const headerChain = parts.chain?.headers
    if (fullChain !== undefined) {
      this.#sync = new BlockSync({
        chain: fullChain,
        fetcher: this.#blocks,
        peers: syncPeers,
        reputation,
        log: log.child({ component: 'sync' }),
        requestsPerPeer: REQUEST_STREAMS_PER_PEER,
        onProgress,
      })
    } else if (headerChain !== undefined) {
      this.#sync = new HeaderSync({
        headers: headerChain,
        fetcher: this.#blocks,
        peers: syncPeers,
        reputation,
        log: log.child({ component: 'sync' }),
        onProgress,
      })
    }
    this.#peerExchange = new PeersProtocol({
      libp2p,
      peers: this.#peers,
      settings,
      log: log.child({ component: 'pex' }),
      isHandshaken: (connection) => this.#handshake.isComplete(connection),
      limiter: parts.limiter,
      enforcer,
      budget,
      // DECISIONS.md "Peer exchange": never the requester itself, never a banned peer.
      answer: (requester) => {
        const exclude = new Set([requester, ...parts.bans.list().map((ban) => ban.peerId)])
        return parts.addressBook
          .forPeerList(exclude)
          .map(({ peerId, ip, port }) => ({ id: peerId, ip, port }))
      },
      seedMode: settings.seedMode,
      disconnect: (peerId) => this.disconnectPeer(peerId),
    })
    this.#discovery = new Discovery({
      book: parts.addressBook,
      peers: {
        connectToPeer: (address) => this.#peers.connectToPeer(address),
        connectedPeers: () => this.#peers.connected().map(({ info }) => info),
        disconnectPeer: (peerId) => this.disconnectPeer(peerId),
        outbound: () => this.#peers.outboundActive(),
        minOutbound: () => settings.limits.minOutbound,
        hasCandidates: () => this.#peers.hasOutboundCandidates(),
      },
      getPeers: (peerId) => this.#peerExchange.getPeers(peerId),
      mayAsk: (peerId) => this.#peerExchange.mayAsk(peerId),
      // A seed does not crawl seeds: it learns the network from the nodes that dial it.
      seeds: settings.seedMode ? [] : [...settings.seeds, ...bootstrapWithoutId(settings.bootstrap)],
      log: log.child({ component: 'discovery' }),
    })
    // Eviction protects peers that recently brought us something new.
    this.addEventListener('block', (event) => this.#peers.noteDelivery(event.detail.from, 'block'))
    this.addEventListener('transaction', (event) =>
      this.#peers.noteDelivery(event.detail.from, 'transaction'),
    )
    // 000 MEMPOOL_SYNC: every new peer hears our pending set once.
    this.#peers.addEventListener('peer:connected', (event) => {
      this.#mempool.announceTo(event.detail.peerId).catch((error: unknown) => {
        this.log.debug('mempool sync failed', { peer: event.detail.peerId, error: (error as Error).message })
      })
      // A new peer may hold blocks we lack.
      this.#backgroundSync()
      // And addresses we lack (peer exchange), unless in seed mode (we answer, not ask).
      if (!settings.seedMode) void this.#discovery.onConnected(event.detail)
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
    await this.#mempool.start()
    await this.#blocks.start()
    await this.#peerExchange.start()
    await this.libp2p.start()
    await this.#gateGossipStreams()
    this.#gossip.start()
    await this.#peers.start()
    this.#discoveryTimer = setInterval(() => void this.#discovery.tick(), this.settings.maintenanceIntervalMs)
    void this.#discovery.tick()
    this.#started = true
    this.log.info('node started', {
      peerId: this.peerId.toString(),
      chainId: this.settings.chainId,
      listen: this.getMultiaddrs().map(String),
    })
  }

  /**
   * gossipsub's inbound streams wait for /paw/handshake/1 (gate.ts holdUntilHandshake):
   * before it, a peer could otherwise make the node buffer a 10 MiB gossip message on each
   * connection, and its gossip would only be ignored afterwards.
   */
  async #gateGossipStreams(): Promise<void> {
    // gossipsub 17 keeps these private; read as it declares them, checked at run time.
    const pubsub = this.libp2p.services.pubsub as PawPubSub & {
      onIncomingStream?: StreamHandler
      maxInboundStreams?: number
      maxOutboundStreams?: number
    }
    const handler = pubsub.onIncomingStream?.bind(pubsub)
    if (typeof handler !== 'function' || !Array.isArray(pubsub.protocols)) {
      this.log.warn('gossipsub streams not gated by the handshake: this gossipsub has no onIncomingStream')
      return
    }
    await gateProtocols(
      this.libp2p,
      pubsub.protocols,
      handler,
      {
        ...(pubsub.maxInboundStreams === undefined ? {} : { maxInboundStreams: pubsub.maxInboundStreams }),
        ...(pubsub.maxOutboundStreams === undefined ? {} : { maxOutboundStreams: pubsub.maxOutboundStreams }),
      },
      {
        whenComplete: (connection) => this.#handshake.whenComplete(connection),
        isComplete: (connection) => this.#handshake.isComplete(connection),
      },
    )
  }

  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.log.info('node stopping')
    clearInterval(this.#discoveryTimer)
    await this.#peers.stop()
    await this.#peerExchange.stop()
    await this.#gossip.stop()
    await this.#mempool.stop()
    await this.#blocks.stop()
    await this.#syncing?.catch(() => {})
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

  discoverPeers(): Promise<number> {
    return this.#discovery.discoverPeers()
  }

  disconnectPeer(peerId: string): void {
    this.#peers.disconnect(peerId, new NetworkError('disconnected by this node'))
  }

  ban(peerId: string, options: { durationMs: number; reason: string }): Promise<Ban> {
    return this.#peers.ban(peerId, { ...options, source: 'operator' })
  }

  unban(peerId: string): Promise<boolean> {
    return this.#peers.unban(peerId)
  }

  bans(): Ban[] {
    return this.#peers.bans()
  }

  addressBookStats(): { entries: number; groups: number } {
    return { entries: this.#addressBook.size, groups: this.#addressBook.groups().size }
  }

  chainTip(): { height: number; hash: Uint8Array } | undefined {
    const tip = this.#chain?.chain?.tip() ?? this.#chain?.headers?.tip()
    return tip === undefined ? undefined : { height: tip.height, hash: tip.hash }
  }

  /** The memory budget of /paw/* streams and its use now (docs/configuration.md "Memory budget"). */
  memoryBudget(): MemoryBudgetStats {
    return this.#budget.stats()
  }

  /** Offences charged, bans and disconnects since start (src/peers/enforcer.ts). */
  enforcement(): EnforcerStats {
    return this.#enforcer.stats()
  }

  protocolTraffic(): Record<string, ProtocolTraffic> {
    return this.#peers.protocolTraffic()
  }

  rejectionsByCode(): Record<string, number> {
    return this.#peers.rejectionsByCode()
  }

  discoveryStats(): DiscoveryStats & { exchange: PeersStats } {
    return { ...this.#discovery.stats(), exchange: this.#peerExchange.stats() }
  }

  uptimeMs(): number {
    return Date.now() - this.#startedAt
  }

  async broadcastMessage(message: PawMessage | GossipBroadcast): Promise<{ sent: number; failed: number }> {
    if ('protocol' in message) return this.#messages.broadcastMessage(message)
    const sent =
      message.kind === 'block'
        ? (await this.announceBlock(message.block)).recipients
        : (await this.submitTransaction(message.transaction)).recipients
    return { sent, failed: 0 }
  }

  async announceBlock(block: Block): Promise<AnnounceResult> {
    const hash = toHex(blockHash(block.header))
    let outcome: AddBlockOutcome
    if (this.#chain?.chain !== undefined) outcome = await this.#chain.chain.addBlock(block)
    else if (this.#chain?.headers !== undefined) outcome = await this.#chain.headers.addHeader(block.header)
    else throw new TypeError('announceBlock needs a node with a chain')
    // A block that lost the race to another of the same height would only be Ignored.
    if (outcome === 'side-branch') return { hash, outcome, recipients: 0 }
    const recipients = await this.#gossip.publishBlock(block)
    this.log.debug('block announced', { height: block.header.height, hash, outcome, recipients })
    return { hash, outcome, recipients }
  }

  async submitTransaction(transaction: Transaction): Promise<SubmitResult> {
    const encoded = encodeTransaction(transaction)
    let result: { id: string; evicted: string[] }
    if (this.#chain?.mempool !== undefined) {
      result = this.#chain.mempool.add(transaction)
    } else {
      // A light node cannot check balances or nonces; its full peers do. It can refuse a
      // transaction that would only cost it score with them.
      if (!verifyTransactionSignature(transaction, this.settings.chainId)) {
        throw new ChainError(ChainErrorCode.BadSignature, 'the signature does not verify for this chain')
      }
      result = { id: toHex(txHash(transaction)), evicted: [] }
    }
    const recipients = await this.#gossip.publishTransaction(encoded)
    return { ...result, recipients }
  }

  async requestTransactions(peerId: string, ids: readonly string[]): Promise<TransactionRequestResult> {
    const { found, notFound } = await this.#mempool.requestTransactions(peerId, ids)
    return { found: found.map((encoded) => decodeTransaction(encoded)), notFound }
  }

  mempoolSyncStats(): MempoolSyncStats {
    return this.#mempool.stats()
  }

  syncBlockchain(): Promise<SyncResult> {
    if (this.#sync === undefined)
      return Promise.reject(new TypeError('syncBlockchain needs a node with a chain'))
    return this.#runSync(this.#sync)
  }

  #runSync(sync: BlockSync | HeaderSync): Promise<SyncResult> {
    return sync instanceof BlockSync ? sync.syncBlockchain() : sync.syncHeaders()
  }

  async fetchBlock(hash: Uint8Array): Promise<Block | undefined> {
    for (const { info } of this.#peers.connected()) {
      let bytes: Uint8Array | undefined
      try {
        bytes = await this.#blocks.getBlock(info.peerId, hash)
      } catch (error) {
        this.log.debug('block request failed', { peer: info.peerId, error: (error as Error).message })
        continue
      }
      if (bytes === undefined) continue
      try {
        const block = decodeBlock(bytes)
        if (!equalBytes(blockHash(block.header), hash))
          throw new ChainError(ChainErrorCode.Malformed, 'not the block asked for')
        await this.#chain?.headers?.verifyBody(block)
        return block
      } catch (error) {
        if (!isChainError(error)) throw error
        // UNKNOWN_PARENT from verifyBody means we lack the header: not the peer's fault.
        if (error.code !== ChainErrorCode.UnknownParent) {
          this.#enforcer.charge(
            info.peerId,
            'invalidMessage',
            `block refused: ${error.code}: ${error.message}`,
            'fetchBlock',
          )
        } else {
          this.log.warn('block refused', { peer: info.peerId, code: error.code, error: error.message })
        }
      }
    }
    return undefined
  }

  requestBlock(peerId: string, hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#blocks.getBlock(peerId, hash)
  }

  #syncing: Promise<unknown> | undefined
  #syncAgain = false

  /** Starts a sync unless one runs; if one runs, another follows it (new peers, new blocks). */
  #backgroundSync(): void {
    if (this.#sync === undefined || !this.#autoSync || !this.#started) return
    if (this.#syncing !== undefined) {
      this.#syncAgain = true
      return
    }
    this.#syncing = this.#runSync(this.#sync)
      .catch((error: unknown) => {
        this.log.warn('sync failed; retrying in 5 s', { error: (error as Error).message })
        // Peers may recover or others connect: try again while the node runs.
        const retry = setTimeout(() => this.#backgroundSync(), SYNC_RETRY_MS)
        ;(retry as { unref?: () => void }).unref?.()
      })
      .finally(() => {
        this.#syncing = undefined
        if (this.#syncAgain) {
          this.#syncAgain = false
          this.#backgroundSync()
        }
      })
  }

  gossipStats(): GossipStats {
    return this.#gossip.stats()
  }

  gossipIdle(): Promise<void> {
    return this.#gossip.idle()
  }

  handleIncomingMessage(message: PawMessage, peer: PeerInfo): Promise<void> {
    return this.#messages.handleIncomingMessage(message, peer)
  }

  onMessage(
    protocol: string,
    type: string,
    handler: MessageHandler,
    options?: { maxPayloadBytes?: number },
  ): Promise<void> {
    return this.#messages.onMessage(protocol, type, handler, options)
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
