/**
 * createPawNode for any platform: the libp2p configuration PAW needs (DECISIONS.md
 * "Transport and security"), with the platform's extra transports and encrypters given
 * by the entry point (src/node adds TCP, TLS and listeners). Browser-safe.
 */
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type {
  ConnectionEncrypter,
  ConnectionGater,
  Metrics,
  PeerId,
  PrivateKey,
  Transport,
} from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import type { NodeChain, PawNode, PawNodeInit } from './api/index.ts'
import { chainPortOf } from './assembly/chain-port-of.ts'
import { HeaderChain } from './chain/header-chain.ts'
import { builtInParams } from './chain/params.ts'
import type { BlockStore } from './chain/store/block-store.ts'
import { MemoryBlockStore } from './chain/store/memory-store.ts'
import type { ChainParams } from './chain/types.ts'
import { resolveOptions, type Settings } from './config/settings.ts'
import { pawGossipsubOptions } from './gossip/gossipsub-options.ts'
import { createLogger, libp2pLogger } from './logging.ts'
import { PawNodeImpl } from './paw-node.ts'
import { parsePeerAddress } from './peers/address.ts'
import { AddressBook } from './peers/address-book.ts'
import { BanList } from './peers/ban-list.ts'
import { MemoryJsonStore } from './peers/json-store.ts'
import { ERROR_ACTIONS } from './peers/offences.ts'
import { ipOf } from './peers/peer-addresses.ts'
import { PeerRateLimiter } from './peers/rate-limits.ts'
import { Reputation } from './peers/reputation.ts'
import { countStreamTraffic } from './peers/stream-traffic-metrics.ts'
import type { ChainPort } from './ports/chain.ts'
import { AGENT_VERSION, VERSION } from './version.ts'

// biome-ignore lint/suspicious/noExplicitAny: libp2p's component factories are typed per transport
type Factory<T> = (components: any) => T

/** What an entry point adds for its platform. */
export interface PlatformParts {
  transports: Array<Factory<Transport>>
  connectionEncrypters: Array<Factory<ConnectionEncrypter>>
  /** Listen multiaddrs built from the settings (none in a browser). */
  listen(settings: Settings): string[]
  /** libp2p's metrics (src/node: a Prometheus registry per node). */
  metrics?: Factory<Metrics>
  /** The WebSockets transport, when the platform configures its own (src/node: wss). */
  webSockets?: (settings: Settings) => Factory<Transport>
}

/** Browsers: WebSockets only, dial-only. */
export const browserPlatform: PlatformParts = {
  transports: [],
  connectionEncrypters: [],
  listen: () => [],
}

/** Without a chain, scoring assumes mainnet's block interval. */
const DEFAULT_BLOCK_INTERVAL_MS = 60_000

/** A chain of the node's chain ID and of the kind its type needs (light ↔ headers). */
function checkChainBinding(chain: ChainPort | undefined, settings: Settings): void {
  if (chain === undefined) return
  if (chain.chainId !== settings.chainId) {
    throw new TypeError(`the chain given is ${chain.chainId}, the settings say ${settings.chainId}`)
  }
  if (settings.nodeType === 'light' && chain.kind !== 'headers') {
    throw new TypeError('a light node follows a header chain: give chain: { headers } (or a headers port)')
  }
  if (settings.nodeType !== 'light' && chain.kind !== 'full') {
    throw new TypeError(`a ${settings.nodeType} node needs chain: { chain, mempool } (or a full chain port)`)
  }
}

/**
 * A light node's own header chain, when it was given none: the built-in chain of its
 * chain ID (or `params`), in `store` (memory unless given; IndexedDB in a browser).
 */
async function ownHeaderChain(
  settings: Settings,
  params: ChainParams | undefined,
  store: BlockStore | undefined,
): Promise<NodeChain> {
  const chainParams = params ?? builtInParams(settings.chainId)
  if (chainParams === undefined) {
    throw new TypeError(`${settings.chainId} is not a built-in chain: give params (or chain: { headers })`)
  }
  if (chainParams.chainId !== settings.chainId) {
    throw new TypeError(`the params given are ${chainParams.chainId}, the settings say ${settings.chainId}`)
  }
  return { headers: await HeaderChain.open({ params: chainParams, store: store ?? new MemoryBlockStore() }) }
}

/** What an embedded node logs when given neither `logger` nor `logLevel`. */
export const LIBRARY_LOG_LEVEL = 'warn'

export async function buildPawNode(
  init: PawNodeInit,
  platform: PlatformParts,
): Promise<PawNode<unknown, unknown, unknown, unknown>> {
  const {
    privateKey: givenKey,
    logger,
    chain: givenChain,
    gossip,
    rateLimits,
    autoSync,
    addressBookStore,
    banStore,
    type,
    headerStore,
    params,
    ...input
  } = init
  if (type !== undefined && input.nodeType !== undefined && type !== input.nodeType) {
    throw new TypeError(`type ${type} contradicts nodeType ${input.nodeType}`)
  }
  const settings = resolveOptions({ ...input, ...(type === undefined ? {} : { nodeType: type }) })
  const given =
    givenChain ??
    (settings.nodeType === 'light' ? await ownHeaderChain(settings, params, headerStore) : undefined)
  const chain = given === undefined ? undefined : chainPortOf(given)
  checkChainBinding(chain, settings)
  // A library is quiet unless asked: with no logger and no logLevel, warnings and errors only
  // (the CLI passes its own logger at log.level, INFO by default).
  const log =
    logger ?? createLogger({ level: input.logLevel ?? LIBRARY_LOG_LEVEL, format: settings.logFormat })
  const privateKey: PrivateKey = givenKey ?? (await generateKeyPair('Ed25519'))
  if (privateKey.type !== 'Ed25519') throw new TypeError('a PAW node identity must be an Ed25519 key')
  // libp2p's bootstrap dials addresses with a peer ID; one without (host:port) is crawled
  // like a seed (src/peers/discovery.ts).
  const bootstrapList = [...settings.bootstrap, ...settings.persistentPeers]
    .map((text) => parsePeerAddress(text))
    .filter((address) => address.getComponents().some((c) => c.name === 'p2p'))
    .map((address) => address.toString())
  const { limits, inbound, timeouts } = settings
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const addressBook = await AddressBook.open({
    self: peerId,
    chainId: settings.chainId,
    store: addressBookStore ?? new MemoryJsonStore(),
  })
  const { loaded, ignoredEntries, ignoredDocument } = addressBook.loadReport
  if (loaded > 0 || ignoredEntries > 0 || ignoredDocument !== undefined) {
    log.info('address book loaded', {
      entries: loaded,
      ignored: ignoredEntries,
      ...(ignoredDocument ? { ignoredDocument } : {}),
    })
  }
  const bans = await BanList.open({ store: banStore ?? new MemoryJsonStore() })
  if (bans.list().length > 0) log.info('bans loaded', { active: bans.list().length })
  const reputation = new Reputation()
  const limiter = new PeerRateLimiter({
    limits: rateLimits,
    onViolation: ({ peerId, limit, refused }) => {
      const score = reputation.penalize(peerId, ERROR_ACTIONS.RateLimited.penalty ?? 'rateLimited')
      log.warn('peer over its rate limit: throttled', {
        peer: peerId,
        limit,
        refused,
        score: Math.round(score),
      })
    },
  })
  const { compactBlocks, ...gossipTuning } = gossip ?? {}
  const gossipOptions = pawGossipsubOptions({
    chainId: settings.chainId,
    blockIntervalMs: chain?.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS,
    messageIds: chain,
    ...gossipTuning,
    appSpecificScore: (peerId) => reputation.localScore(peerId),
  })

  const options: Libp2pOptions<{ ping: ReturnType<ReturnType<typeof ping>>; pubsub: unknown }> = {
    privateKey,
    start: false,
    // libp2p's debug log, still on with DEBUG=libp2p:*, without three debug instances kept
    // per connection and stream while it is off (src/logging.ts).
    logger: libp2pLogger,
    nodeInfo: { name: 'paw-node', version: VERSION, userAgent: AGENT_VERSION },
    addresses: { listen: platform.listen(settings) },
    transports: [platform.webSockets?.(settings) ?? webSockets(), ...platform.transports],
    connectionEncrypters: [noise(), ...platform.connectionEncrypters],
    // libp2p's per-stream read buffer keeps its default (4 MB): PAW streams never pause
    // (src/protocols/shared/frame-channel.ts bounds what they hold itself), so it fills only
    // in the moment before a handler attaches.
    streamMuxers: [yamux()],
    connectionManager: {
      // PAW limits apply to handshaken peers (src/peers); libp2p's cap leaves room for the
      // connections still handshaking, so an over-limit peer hears 0x06 instead of a reset.
      maxConnections: limits.maxPeers + inbound.maxPending,
      maxIncomingPendingConnections: inbound.maxPending,
      inboundConnectionThreshold: inbound.perHostPerSecond,
      dialTimeout: timeouts.dialMs,
      maxDialQueueLength: settings.dialQueueSize,
      // Reconnecting is the PAW connection manager's job (backoff of DECISIONS.md).
      reconnectRetries: 0,
    },
    // Keep-alive pings are sent by the connection manager (004 §10.1 interval, RTT per peer).
    connectionMonitor: { enabled: false },
    connectionGater: banGater(bans),
    // libp2p's metrics, if the platform has them, with every stream counted per peer (004 §7.1).
    metrics: countStreamTraffic(platform.metrics),
    services: {
      // Run once a connection completes /paw/handshake/1 (node-services.ts), not when it
      // opens: a peer that never handshakes is not identified, and identify's exchange (a
      // signed peer record each way) stays off the handshake's round trip. Requests from
      // peers are answered as always.
      identify: identify({ runOnConnectionOpen: false }),
      ping: ping(),
      pubsub: gossipsub(gossipOptions),
      ...(bootstrapList.length > 0 ? { bootstrap: bootstrap({ list: bootstrapList }) } : {}),
    } as never,
  }
  const libp2p = await createLibp2p(options)
  return new PawNodeImpl({
    libp2p,
    settings,
    log,
    chain,
    reputation,
    limiter,
    autoSync: autoSync ?? true,
    compactBlocks: compactBlocks ?? true,
    addressBook,
    bans,
  })
}

/**
 * Bans enforced by libp2p itself, before any PAW code runs: a banned peer ID is not dialled,
 * nor kept on a connection we dialled once Noise reveals it; a banned IP is refused as soon
 * as the socket opens, on dial and inbound (issue 7 "enforced by the connection gater"). A
 * banned peer ID that dials us is let through to /paw/handshake/1, whose listener refuses
 * it with a `reject` of 0x07 naming the ban's end (protocols/handshake.md), so it learns
 * why rather than seeing a connection drop.
 */
function banGater(bans: BanList): ConnectionGater {
  const ipBanned = (address: Multiaddr): boolean => {
    const ip = ipOf(address)
    return ip !== undefined && bans.isIpBanned(ip) !== undefined
  }
  const peerBanned = (peerId: PeerId): boolean => bans.isBanned(peerId.toString()) !== undefined
  return {
    denyDialPeer: peerBanned,
    denyDialMultiaddr: ipBanned,
    denyInboundConnection: (maConn) => ipBanned(maConn.remoteAddr),
    denyOutboundEncryptedConnection: peerBanned,
  }
}

/**
 * A PAW node for browsers and other platforms without TCP: dials over WebSockets. On
 * another chain's port (src/ports/chain.ts), typed by that chain's block, transaction and header.
 */
export function createPawNode<B, T, H>(
  init: PawNodeInit & { chain: ChainPort<B, T, H> },
): Promise<PawNode<B, T, H, unknown>>
export function createPawNode(init?: PawNodeInit): Promise<PawNode>
export function createPawNode(init: PawNodeInit = {}): Promise<PawNode<unknown, unknown, unknown, unknown>> {
  return buildPawNode({ tcpPort: null, wsPort: null, ...init }, browserPlatform)
}
