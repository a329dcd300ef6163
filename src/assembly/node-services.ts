/**
 * The one place that builds a node's services (STYLE.md "our layout": assembly): the
 * enforcer and memory budget every /paw/* protocol shares, the peer manager, the five
 * /paw/* protocols (and the state client over /paw/state/1), gossip, sync and discovery,
 * each given what it needs of the others.
 * PawNodeImpl (src/paw-node.ts) starts, stops and exposes them. Browser-safe.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { PawNodeEvents } from '../api/index.ts'
import type { Settings } from '../config/settings.ts'
import { gossipScoreOf, PawGossip, type PawPubSub } from '../gossip/gossip-service.ts'
import type { Logger } from '../logging.ts'
import { parsePeerAddress } from '../peers/address.ts'
import type { AddressBook } from '../peers/address-book.ts'
import type { BanList } from '../peers/ban-list.ts'
import { Discovery } from '../peers/discovery.ts'
import { Enforcer } from '../peers/enforcer.ts'
import { PeerManager } from '../peers/peer-manager.ts'
import type { PeerRateLimiter } from '../peers/rate-limits.ts'
import type { Reputation } from '../peers/reputation.ts'
import type { ChainPort } from '../ports/chain.ts'
import { BlocksProtocol, REQUEST_STREAMS_PER_PEER } from '../protocols/blocks/blocks-protocol.ts'
import { HandshakeProtocol } from '../protocols/handshake/handshake.ts'
import { MempoolProtocol } from '../protocols/mempool/mempool-protocol.ts'
import { MessageRouter } from '../protocols/messages.ts'
import { PeersProtocol } from '../protocols/peers/peers-protocol.ts'
import { MemoryBudget } from '../protocols/shared/memory-budget.ts'
import { StateClient, servesState } from '../protocols/state/state-client.ts'
import { StateProtocol } from '../protocols/state/state-protocol.ts'
import { SyncRunner } from '../sync/sync-runner.ts'
import type { SyncProgress } from '../sync/types.ts'
import { ChainActions } from './chain-actions.ts'
import { ChainFeed } from './chain-feed.ts'
import { ImportOrigins } from './import-origins.ts'

interface PingService {
  ping(peer: PeerId, options?: { signal?: AbortSignal }): Promise<number>
}

/** What createPawNode (src/create-paw-node.ts) has built: libp2p, settings, stores, the chain. */
export interface PawNodeParts {
  libp2p: Libp2p<{ ping: PingService; pubsub: unknown }>
  settings: Settings
  log: Logger
  /** The chain, through its port (src/assembly/chain-port-of.ts). */
  chain: ChainPort | undefined
  reputation: Reputation
  limiter: PeerRateLimiter
  /** Sync when a peer connects or a gossiped block's parent is unknown. */
  autoSync: boolean
  /** Relay blocks compact (PawNodeInit.gossip.compactBlocks). */
  compactBlocks: boolean
  addressBook: AddressBook
  bans: BanList
}

/** What the services need of the node that holds them. */
export interface NodeHooks {
  dispatch: <K extends keyof PawNodeEvents<unknown, unknown, unknown>>(
    name: K,
    detail: PawNodeEvents<unknown, unknown, unknown>[K] extends CustomEvent<infer D> ? D : never,
  ) => void
  isRunning: () => boolean
  disconnectPeer: (peerId: string) => void
  /** Whether anyone listens to the node's event `name` (what no one hears is not built). */
  hasListeners: (name: keyof PawNodeEvents<unknown, unknown, unknown>) => boolean
}

export interface NodeServices<B = unknown, T = unknown> {
  enforcer: Enforcer
  budget: MemoryBudget
  peers: PeerManager
  handshake: HandshakeProtocol
  messages: MessageRouter
  gossip: PawGossip
  mempool: MempoolProtocol
  blocks: BlocksProtocol
  peerExchange: PeersProtocol
  /**
   * /paw/state/1 (protocols/state.md): served where the chain has a prover (full nodes),
   * asked where it has a verifier; undefined on a node whose chain has neither.
   */
  state: StateProtocol | undefined
  /** Verified reads from peers over `state`; undefined without the chain's verifier. */
  stateClient: StateClient | undefined
  discovery: Discovery
  /** Undefined on a node without a chain. */
  sync: SyncRunner | undefined
  chainActions: ChainActions<B, T>
  /** The chain events (block or header, reorg, tip); undefined on a node without a chain. */
  chainFeed: ChainFeed | undefined
}

/** libp2p's identify service, when the node has one. */
function identifyOf(libp2p: Libp2p): { identify(connection: Connection): Promise<unknown> } | undefined {
  const service = (libp2p.services as { identify?: { identify?: unknown } }).identify
  return typeof service?.identify === 'function'
    ? (service as { identify(connection: Connection): Promise<unknown> })
    : undefined
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

export function assembleServices<B, T>(parts: PawNodeParts, node: NodeHooks): NodeServices<B, T> {
  const { libp2p, settings, log, reputation } = parts
  // The one place a peer pays for what it did (src/peers/enforcer.ts); its callbacks
  // reach the peer manager, built next.
  const enforcer: Enforcer = new Enforcer({
    reputation,
    ban: (peerId, options) => peers.ban(peerId, options),
    isBanned: (peerId) => parts.bans.isBanned(peerId) !== undefined,
    disconnect: (peerId, error) => peers.disconnect(peerId, error),
    isConnected: (peerId) => peers.peer(peerId)?.state === 'connected',
    log: log.child({ component: 'enforcer' }),
  })
  const MiB = 1024 * 1024
  const budget = new MemoryBudget(
    { nodeBytes: settings.bufferMemory.nodeMiB * MiB, peerBytes: settings.bufferMemory.peerMiB * MiB },
    {
      onRevoke: (peerId, bytes) =>
        enforcer.charge(
          peerId,
          'budgetHog',
          `held the most when the node's memory budget ran out: ${bytes} bytes taken back`,
          'memory budget',
        ),
    },
  )
  const peers: PeerManager = new PeerManager({
    libp2p,
    settings,
    log: log.child({ component: 'peers' }),
    ping: libp2p.services.ping,
    reputation,
    enforcer,
    addressBook: parts.addressBook,
    bans: parts.bans,
  })
  const publicKey = libp2p.peerId.publicKey
  if (publicKey?.type !== 'Ed25519') throw new TypeError('a PAW node identity must be an Ed25519 key')
  const handshake = new HandshakeProtocol(libp2p, {
    chainId: settings.chainId,
    nodeId: publicKey.raw,
    handshakeTimeoutMs: settings.timeouts.handshakeMs,
    writeTimeoutMs: settings.timeouts.writeMs,
    log: log.child({ component: 'handshake' }),
    hooks: peers,
    budget,
    // identify waits for the handshake (create-paw-node.ts: not run on connection open).
    afterComplete: (connection) => {
      identifyOf(libp2p)
        ?.identify(connection)
        .catch(() => {})
    },
  })
  // What every /paw/* stream service shares: libp2p, the peers, the settings, the handshake
  // gate (protocols/handshake.md: nothing before it), the rate limiter, the enforcer and the
  // memory budget.
  const streams = {
    libp2p,
    peers,
    settings,
    isHandshaken: (connection: Connection) => handshake.isComplete(connection),
    limiter: parts.limiter,
    enforcer,
    budget,
  }
  const messages = new MessageRouter({
    ...streams,
    log: log.child({ component: 'messages' }),
  })
  const { chain } = parts
  // Gossip, sync and the API import through views of the port that record who brought
  // what, so the chain events can say it (src/assembly/import-origins.ts).
  const origins = new ImportOrigins()
  const importing = (source: 'gossip' | 'sync' | 'local') =>
    chain === undefined ? undefined : origins.portFor(chain, source)
  const chainFeed =
    chain === undefined
      ? undefined
      : new ChainFeed({
          chain,
          origins,
          dispatch: (name, detail) => node.dispatch(name, detail as never),
          hasListeners: node.hasListeners,
          log: log.child({ component: 'chain-events' }),
        })
  const pubsub = libp2p.services.pubsub as PawPubSub
  reputation.setGossipScore((peerId) => gossipScoreOf(pubsub, peerId))
  const gossip: PawGossip = new PawGossip({
    pubsub,
    chainId: settings.chainId,
    chain: importing('gossip'),
    reputation,
    limiter: parts.limiter,
    isHandshaken: (peerId) => peers.isConnected(peerId),
    connectedPeers: () => peers.connected().map(({ info }) => info.peerId),
    enforcer,
    onAccepted: (accepted) => {
      if (accepted.kind === 'transaction') {
        const { decoded, id, from } = accepted
        node.dispatch('transaction', { transaction: decoded as never, id, from, via: 'gossip' })
      } else if (accepted.kind === 'block') {
        // Eviction protects peers that recently brought us a block first (it moved our best
        // chain). The `block` event would not do: it also reports synced and local blocks.
        peers.noteDelivery(accepted.from, 'block')
      }
      // Blocks and headers reach the node's events from the chain's own (ChainFeed).
    },
    log: log.child({ component: 'gossip' }),
    onUnknownParent: () => sync?.inBackground(),
    // Compact relay (protocols/compact-blocks.md): what a compact block's receiver lacks is asked for on /paw/blocks/1.
    ...(parts.compactBlocks
      ? {
          blockFetcher: {
            getBlock: (peerId, hash, options) => blocks.getBlock(peerId, hash, options),
            getBlockTransactions: (peerId, hash, indexes, options) =>
              blocks.getBlockTransactions(peerId, hash, indexes, options),
          },
        }
      : {}),
  })
  const mempool = new MempoolProtocol({
    ...streams,
    log: log.child({ component: 'mempool' }),
    chain,
    onAdmitted: ({ id, encoded, from }) => {
      if (chain === undefined) return
      const transaction = chain.codec.decodeTransaction(encoded)
      node.dispatch('transaction', { transaction, id, from, via: 'mempool-sync' })
    },
  })
  const blocks: BlocksProtocol = new BlocksProtocol({
    ...streams,
    log: log.child({ component: 'blocks' }),
    chain,
    // A block forwarded after its header check is served before it is stored (protocols/gossip.md).
    relayedBlock: (hash) => gossip.relayedBlock(hash),
  })
  const connectedPeers = () => peers.connected().map(({ info }) => info.peerId)
  const sync =
    chain === undefined
      ? undefined
      : new SyncRunner({
          chain: origins.portFor(chain, 'sync'),
          fetcher: blocks,
          peers: connectedPeers,
          enforcer,
          log: log.child({ component: 'sync' }),
          requestsPerPeer: REQUEST_STREAMS_PER_PEER,
          onProgress: (detail: SyncProgress) => node.dispatch('sync:progress', detail),
          mayRunInBackground: () => parts.autoSync && node.isRunning(),
        })
  const chainActions = new ChainActions<B, T>({
    chain: importing('local'),
    gossip,
    blocks,
    mempool,
    connectedPeers,
    enforcer,
    log,
  })
  const peerExchange = new PeersProtocol({
    ...streams,
    log: log.child({ component: 'pex' }),
    // DECISIONS.md "Peer exchange": never the requester itself, never a banned peer.
    answer: (requester) => {
      const exclude = new Set([requester, ...parts.bans.list().map((ban) => ban.peerId)])
      return parts.addressBook.forPeerList(exclude).map(({ peerId, ip, port }) => ({ id: peerId, ip, port }))
    },
    seedMode: settings.seedMode,
    disconnect: (peerId) => node.disconnectPeer(peerId),
  })
  const stateProver = chain?.kind === 'full' ? chain.stateProver : undefined
  const stateVerifier = chain?.stateVerifier
  const state =
    stateProver === undefined && stateVerifier === undefined
      ? undefined
      : new StateProtocol({ ...streams, log: log.child({ component: 'state' }), prover: stateProver })
  const stateClient =
    state === undefined || stateVerifier === undefined
      ? undefined
      : new StateClient({
          protocol: state,
          verifier: stateVerifier,
          // Handshaken peers, unless identify says they do not serve it (light nodes).
          candidates: () =>
            Promise.all(
              peers.connected().map(async ({ info, connection }) => ({
                peerId: info.peerId,
                score: reputation.score(info.peerId),
                serves: await servesState(libp2p.peerStore, connection.remotePeer),
              })),
            ),
          enforcer,
          log: log.child({ component: 'state' }),
        })
  const discovery = new Discovery({
    book: parts.addressBook,
    peers: {
      connectToPeer: (address) => peers.connectToPeer(address),
      connectedPeers: () => peers.connected().map(({ info }) => info),
      disconnectPeer: (peerId) => node.disconnectPeer(peerId),
      outbound: () => peers.outboundActive(),
      minOutbound: () => settings.limits.minOutbound,
      hasCandidates: () => peers.hasOutboundCandidates(),
    },
    getPeers: (peerId) => peerExchange.getPeers(peerId),
    mayAsk: (peerId) => peerExchange.mayAsk(peerId),
    // A seed does not crawl seeds: it learns the network from the nodes that dial it.
    seeds: settings.seedMode ? [] : [...settings.seeds, ...bootstrapWithoutId(settings.bootstrap)],
    log: log.child({ component: 'discovery' }),
  })
  return {
    enforcer,
    budget,
    peers,
    handshake,
    messages,
    gossip,
    mempool,
    blocks,
    peerExchange,
    state,
    stateClient,
    discovery,
    sync,
    chainActions,
    chainFeed,
  }
}
