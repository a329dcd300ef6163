/**
 * The public shape of a PAW node: what dApps, the CLI and tests program against.
 * Browser-safe types only.
 */

import type { Libp2p, PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { BlockStore } from './chain/store/block-store.ts'
import type {
  AddBlockOutcome,
  AddResult,
  Block,
  BlockHeader,
  Chain,
  ChainParams,
  HeaderChainEvents,
  Transaction,
  TransactionPool,
} from './chain/types.ts'
import type { NodeType } from './config/defaults.ts'
import type { Settings, SettingsInput } from './config/settings.ts'
import type { GossipStats } from './gossip/gossip-service.ts'
import type { Logger } from './logging.ts'
import type { AddressBookDocument } from './peers/address-book-document.ts'
import type { Ban, BanListDocument } from './peers/ban-list.ts'
import type { DiscoveryStats } from './peers/discovery.ts'
import type { EnforcerStats } from './peers/enforcer.ts'
import type { JsonStore } from './peers/json-store.ts'
import type { ProtocolTraffic } from './peers/peer-manager.ts'
import type { RateLimit, RateLimitName } from './peers/rate-limits.ts'
import type { MempoolSyncStats } from './protocols/mempool/mempool-protocol.ts'
import type { PeersStats } from './protocols/peers/peers-protocol.ts'
import type { MemoryBudgetStats } from './protocols/shared/memory-budget.ts'
import type { SyncProgress, SyncResult } from './sync/block-sync.ts'

/** 004 §3.2 connection states, per peer. */
export type PeerState = 'connecting' | 'handshaking' | 'connected' | 'disconnecting' | 'disconnected'

export type Direction = 'inbound' | 'outbound'

/** 004 §7.1 per-peer statistics, on /paw/* streams. */
export interface PeerStats {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
  /** ms since the connection opened (0 when disconnected). */
  connectionDurationMs: number
  /** Unix ms of the last frame or ping answer received. */
  lastActivity: number
  /** Last ping round trip in ms, if one completed. */
  rttMs: number | undefined
}

export interface PeerInfo {
  peerId: string
  state: PeerState
  direction: Direction | undefined
  remoteAddr: string | undefined
  /** Listed in persistent_peers: reconnected forever (004 §3.3). */
  persistent: boolean
  /** The peer's chain ID and node ID (hex) once its handshake completed. */
  chainId: string | undefined
  /** Why the last connection ended, if it did (e.g. "0x02 ChainIdMismatch: …"). */
  lastError: string | undefined
  stats: PeerStats
  /** Reputation: local penalties plus the gossipsub score (src/peers/reputation.ts). */
  score?: number
}

/** 004 §7.1 global statistics. */
export interface NodeStats {
  /** Connections opened since start (inbound and outbound, before handshake). */
  totalConnections: number
  successfulDials: number
  failedDials: number
  /** Inbound peers refused at the handshake (limits, reputation, wrong chain, bad handshake). */
  rejectedInbound: number
  /** Handshaken peers now, by direction. */
  inbound: number
  outbound: number
}

export interface PeerStateEvent {
  peerId: string
  state: PeerState
  previous: PeerState | undefined
  direction: Direction | undefined
  /** Set for transitions caused by an error (a reject, a timeout, a failed dial). */
  error?: { code: number | undefined; message: string }
}

export interface PawNodeEvents {
  /** Every 004 §3.2 state change of a peer. */
  'peer:state': CustomEvent<PeerStateEvent>
  /** A peer completed /paw/handshake/1 and may use the other /paw/* protocols. */
  'peer:connected': CustomEvent<PeerInfo>
  'peer:disconnected': CustomEvent<PeerInfo>
  /** A block from a peer (gossip) passed validation and was added to the chain (full, miner). */
  block: CustomEvent<ReceivedBlock>
  /** A block header from a peer (gossip) was added to the header chain (light). */
  header: CustomEvent<ReceivedHeader>
  /** A transaction from a peer (gossip or mempool sync) entered the mempool (full, miner). */
  transaction: CustomEvent<ReceivedTransaction>
  /** A running sync's progress: at most once a second, and once with `done` when it ends. */
  'sync:progress': CustomEvent<SyncProgress>
}

export interface ReceivedBlock {
  block: Block
  /** Block hash, hex. */
  hash: string
  /** The peer that delivered it. */
  from: string
  outcome: AddBlockOutcome
}

export interface ReceivedHeader {
  header: BlockHeader
  /** Block hash, hex. */
  hash: string
  from: string
  outcome: AddBlockOutcome
}

export interface ReceivedTransaction {
  transaction: Transaction
  /** Transaction hash, hex. */
  id: string
  from: string
  /** How it arrived: flooded by gossipsub, or fetched by /paw/mempool/1. */
  via: 'gossip' | 'mempool-sync'
}

/**
 * What a light node needs of its header chain (src/chain/header-chain.ts implements it).
 */
export interface HeaderSource extends TypedEventTarget<HeaderChainEvents> {
  readonly params: ChainParams
  tip(): { hash: Uint8Array; height: number; totalWork: bigint }
  addHeader(header: BlockHeader): Promise<AddBlockOutcome>
  /** Headers of the best header chain from `fromHeight`, at most `count` (served on /paw/blocks/1). */
  getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]>
  /** Adds headers in order; throws a ChainError (HeaderBatchError) at the first refused one. */
  addHeaders(headers: readonly BlockHeader[]): Promise<AddBlockOutcome[]>
  hasHeader(hash: Uint8Array): Promise<boolean>
  /** Checks a body fetched for a header we hold; throws a ChainError. */
  verifyBody(block: Block): Promise<void>
}

/**
 * The chain a node serves and follows (000 "Node Types"). Without one, a node speaks the
 * handshake and the message functions only (no gossip validation, no mempool).
 */
export type NodeChain =
  /** full and miner: the whole chain, validated, and a mempool. */
  | { chain: Chain; mempool: TransactionPool; headers?: undefined }
  /** light: headers only. */
  | { headers: HeaderSource; chain?: undefined; mempool?: undefined }

/** What announceBlock did. */
export interface AnnounceResult {
  /** Block hash, hex. */
  hash: string
  /** What the local chain made of it ('duplicate' if it was already stored, e.g. by the miner). */
  outcome: AddBlockOutcome
  /** Peers the block was sent to directly (gossipsub floods on from there). */
  recipients: number
}

/** What submitTransaction did. */
export interface SubmitResult extends AddResult {
  /** Peers the transaction was sent to directly. */
  recipients: number
}

/** 000 broadcastMessage for what gossipsub floods: a block or a transaction. */
export type GossipBroadcast =
  | { kind: 'block'; block: Block }
  | { kind: 'transaction'; transaction: Transaction }

/** A message of the 000 vocabulary as it travels: a frame on a /paw/* protocol. */
export interface PawMessage {
  /** The /paw/* protocol the frame belongs to. */
  protocol: string
  type: string
  payload: Uint8Array
}

/** What a TRANSACTION_REQUEST brought (PawNode.requestTransactions). */
export interface TransactionRequestResult {
  /** The transactions the peer held, in request order. */
  found: Transaction[]
  /** The ids (hex hashes) it did not hold, in request order. */
  notFound: string[]
}

export type MessageHandler = (message: PawMessage, peer: PeerInfo) => void | Promise<void>

export interface PawNodeInit extends SettingsInput {
  /** Ed25519 identity; a new one is generated if absent (src/node keeps it in the home). */
  privateKey?: PrivateKey
  /** @default a logger at settings.logLevel / logFormat writing to stderr (console.error) */
  logger?: Logger
  /** The chain this node follows; its type must match settings.nodeType (light ↔ headers). */
  chain?: NodeChain
  /** Gossip tuning (src/gossip/gossipsub-options.ts). */
  gossip?: {
    /** Peak network-wide transactions/s the score parameters tolerate. @default 50 */
    expectedTxPerSecond?: number
    /** gossipsub P3 (too few block deliveries). @default on for paw-testnet and paw-mainnet only */
    meshDeliveryPenalties?: boolean
  }
  /**
   * Sync by itself when a peer connects or a gossiped block's parent is unknown (full and
   * miner nodes). @default true
   */
  autoSync?: boolean
  /** Per-peer rate limits replacing the defaults of src/peers/rate-limits.ts RATE_LIMITS. */
  rateLimits?: Partial<Record<RateLimitName, RateLimit>>
  /**
   * Where the address book is kept across restarts. @default memory (src/node's start
   * keeps it in <home>/data/addrbook.json)
   */
  addressBookStore?: JsonStore<AddressBookDocument>
  /** Where bans are kept across restarts. @default memory (<home>/data/bans.json under start) */
  banStore?: JsonStore<BanListDocument>
  /** Same as `nodeType` (`createPawNode({ type: 'light', bootstrap: [...] })`). */
  type?: NodeType
  /**
   * A light node given no `chain` keeps its own header chain of `chainId` (a built-in
   * chain, or `params`) in this store: IndexedDbBlockStore in a browser, so a reload
   * resumes. @default memory
   */
  headerStore?: BlockStore
  /** The chain's parameters for a light node given no `chain`, when `chainId` is not built in. */
  params?: ChainParams
}

export interface PawNode extends TypedEventTarget<PawNodeEvents> {
  readonly peerId: PeerId
  readonly settings: Settings
  readonly libp2p: Libp2p
  readonly log: Logger
  start(): Promise<void>
  /** Graceful shutdown (004 §5.2): stop dialling, close every connection, stop libp2p. */
  stop(): Promise<void>
  /** Full listen multiaddrs, each ending in /p2p/<peer id>. */
  getMultiaddrs(): Multiaddr[]
  /** 000 connectToPeer: dial and complete /paw/handshake/1; rejects with a PawError if refused. */
  connectToPeer(address: string | Multiaddr, options?: { signal?: AbortSignal }): Promise<PeerInfo>
  /** 000 managePeerConnections: one maintenance pass (min outbound, inactivity, persistent peers). */
  managePeerConnections(): Promise<void>
  /**
   * 000 discoverPeers: asks every connected peer for its peers (/paw/peers/1, at most once
   * per peer per 10 s), and the seeds if the address book is empty. Resolves with the
   * number of new addresses.
   */
  discoverPeers(): Promise<number>
  /** Closes a peer's connection (it may reconnect; ban it to keep it out). */
  disconnectPeer(peerId: string): void
  /** Bans a peer for `durationMs` (persisted): disconnected now, refused on dial and inbound. */
  ban(peerId: string, options: { durationMs: number; reason: string }): Promise<Ban>
  /** Lifts a ban; false if there was none. */
  unban(peerId: string): Promise<boolean>
  /** Active bans, soonest-expiring first. */
  bans(): Ban[]
  addressBookStats(): { entries: number; groups: number }
  /** Bytes and frames by /paw/* protocol since start (PAW frames only: no identify, ping or yamux). */
  protocolTraffic(): Record<string, ProtocolTraffic>
  /** Refused handshakes by PAW error code ("0x06": 3), since start. */
  rejectionsByCode(): Record<string, number>
  /**
   * The memory budget of /paw/* streams and its use now: limits, bytes held, the peers
   * holding the most, refusals and revocations (docs/configuration.md "Memory budget").
   */
  memoryBudget(): MemoryBudgetStats
  /** Offences charged, bans and disconnects since start (protocols/errors.md "What each code costs"). */
  enforcement(): EnforcerStats
  discoveryStats(): DiscoveryStats & { exchange: PeersStats }
  /** ms since this node object was created. */
  uptimeMs(): number
  /**
   * 000 broadcastMessage. A PawMessage is sent as one frame to every handshaken peer. A
   * block or transaction is flooded by gossipsub (announceBlock / submitTransaction).
   * Resolves to how many peers it was sent to directly.
   */
  broadcastMessage(message: PawMessage | GossipBroadcast): Promise<{ sent: number; failed: number }>
  /**
   * 000 announceBlock: adds the block to the local chain (full and miner nodes; it must be
   * valid) and floods it, with its header for light nodes. Throws the ChainError of an
   * invalid block.
   */
  announceBlock(block: Block): Promise<AnnounceResult>
  /**
   * 000 NEW_TRANSACTION: validates the transaction, adds it to the mempool and floods it.
   * Throws the ChainError of an invalid or unwanted transaction.
   */
  submitTransaction(transaction: Transaction): Promise<SubmitResult>
  /**
   * 000 TRANSACTION_REQUEST over /paw/mempool/1: fetches transactions by id (hex hash, at
   * most 256) from a connected peer. Fetched transactions are not added to the mempool.
   */
  requestTransactions(peerId: string, ids: readonly string[]): Promise<TransactionRequestResult>
  /**
   * 000 syncBlockchain: headers first from every connected peer, then bodies from the peers
   * of the chain with the most work, in parallel; each block validated and stored as it
   * comes (full and miner nodes). Runs by itself when a peer connects and when a gossiped
   * block's parent is unknown; a second call joins the one running.
   */
  syncBlockchain(): Promise<SyncResult>
  /** The tip of the chain this node follows (its header chain on a light node); undefined without one. */
  chainTip(): { height: number; hash: Uint8Array } | undefined
  /** 000 BLOCK_REQUEST over /paw/blocks/1: a block's encoding by hash from a peer (undefined: not_found). */
  requestBlock(peerId: string, hash: Uint8Array): Promise<Uint8Array | undefined>
  /**
   * A block by hash from whichever connected peer has it, checked before it is returned: it
   * must hash to `hash`, and on a light node its body must match the header it holds. A peer
   * that sends a wrong block is charged and the next one asked. Undefined if none has it.
   */
  fetchBlock(hash: Uint8Array): Promise<Block | undefined>
  /** 000 handleIncomingMessage: dispatch a received message to the handler of its protocol and type. */
  handleIncomingMessage(message: PawMessage, peer: PeerInfo): Promise<void>
  /**
   * Registers the handler handleIncomingMessage dispatches to. A frame of this type larger
   * than `maxPayloadBytes` (default 64 KiB) is refused from its header with 0x04 and the
   * sender disconnected (protocols/framing.md "Frame limits").
   */
  onMessage(
    protocol: string,
    type: string,
    handler: MessageHandler,
    options?: { maxPayloadBytes?: number },
  ): Promise<void>
  peers(): PeerInfo[]
  peer(peerId: string): PeerInfo | undefined
  stats(): NodeStats
  /** Gossip processing: queue lanes (queued, processed, dropped), verdicts by topic, throttling. */
  gossipStats(): GossipStats
  /** /paw/mempool/1: inventories, requests, transactions served and fetched, refusals by reason. */
  mempoolSyncStats(): MempoolSyncStats
  /** Resolves once every gossip message received so far has been validated (tests, benchmarks). */
  gossipIdle(): Promise<void>
}
