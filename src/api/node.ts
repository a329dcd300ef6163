/**
 * The public shape of a PAW node: what dApps, the CLI and tests program against. Browser-safe
 * types only; besides the other public types, they name the chain port (src/ports), the
 * reference chain's types and block store, and the settings (derived from their definitions
 * in src/config/setting-definitions.ts).
 */

import type { AbortOptions, Libp2p, PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { BlockStore } from '../chain/store/block-store.ts'
import type {
  AccountState,
  AddBlockOutcome,
  AddResult,
  Block,
  BlockHeader,
  Chain,
  ChainParams,
  HeaderChainEvents,
  Transaction,
  TransactionPool,
} from '../chain/types.ts'
import type { Settings, SettingsInput } from '../config/settings.ts'
import type { ChainPort, ImportOutcome } from '../ports/chain.ts'
import type {
  ChainTip,
  HashInput,
  ReceivedBlock,
  ReceivedHeader,
  ReorgEvent,
  TipEvent,
} from './chain-events.ts'
import type { Logger } from './logger.ts'
import type { MessageHandler, PawMessage } from './messages.ts'
import type {
  NodeStats,
  PeerInfo,
  PeerStateEvent,
  ProtocolTraffic,
  RateLimit,
  RateLimitName,
} from './peers.ts'
import type { AccountReading, TransactionConfirmation, WaitForTransactionOptions } from './state-reads.ts'
import type {
  DiscoveryStats,
  EnforcerStats,
  GossipStats,
  MemoryBudgetStats,
  MempoolSyncStats,
  PeersStats,
  SyncProgress,
  SyncResult,
} from './stats.ts'
import type { AddressBookDocument, Ban, BanListDocument, JsonStore } from './stores.ts'

/**
 * A ban of an IP address or a subnet (PawNode.banIp): every connection from or to an address
 * inside it is refused, whoever the peer is. Kept in the ban list's document beside the
 * peer bans (src/peers/ban-list.ts).
 */
export interface IpBan extends Omit<Ban, 'peerId' | 'ip'> {
  /** `10.1.2.3`, or `10.1.0.0/16` for a subnet (host bits cleared); IPv6 in RFC 5952 form. */
  readonly ip: string
}

/** 000 node types: full (whole chain), light (headers only), miner (full + produces blocks). */
export type NodeType = Settings['nodeType']

/**
 * A node's events. `B`, `T`, `H` are the chain's own block, transaction and header types
 * (the reference chain's by default; a node on another chain's port has that chain's).
 *
 * The chain events (`block` or `header`, `reorg`, `tip`) follow the best chain whatever
 * moved it — gossip, sync, this node's own blocks — in the order the chain moved, shortly
 * after it did: for each move, `reorg` (if the chain switched branches), then one `block`
 * (full, miner) or `header` (light) per block joining the best chain, lowest first, then
 * `tip`. Hashes are lowercase hex strings, as everywhere in the node's API.
 */
export interface PawNodeEvents<B = Block, T = Transaction, H = BlockHeader> {
  /** Every 004 §3.2 state change of a peer. */
  'peer:state': CustomEvent<PeerStateEvent>
  /** A peer completed /paw/handshake/1 and may use the other /paw/* protocols. */
  'peer:connected': CustomEvent<PeerInfo>
  'peer:disconnected': CustomEvent<PeerInfo>
  /** A block joined the best chain (full, miner): gossiped, synced, or this node's own. */
  block: CustomEvent<ReceivedBlock<B>>
  /** A block header joined the best header chain (light): gossiped, synced, or announced here. */
  header: CustomEvent<ReceivedHeader<H>>
  /** The best chain's tip moved: once per move, after the `block`/`header` events that moved it. */
  tip: CustomEvent<TipEvent>
  /** The best chain switched branches: before the `block`/`header` events of the branch it took. */
  reorg: CustomEvent<ReorgEvent>
  /** A transaction from a peer (gossip or mempool sync) entered the mempool (full, miner). */
  transaction: CustomEvent<ReceivedTransaction<T>>
  /** A running sync's progress: at most once a second, and once with `done` when it ends. */
  'sync:progress': CustomEvent<SyncProgress>
}

export interface ReceivedTransaction<T = Transaction> {
  transaction: T
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
  /**
   * The header of `hash` if it is on the best header chain (HeaderChain has it): with it a
   * light node checks /paw/state/1 answers (getAccount, waitForTransaction).
   */
  bestHeader?(hash: Uint8Array): Promise<BlockHeader | undefined>
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
  outcome: ImportOutcome
  /** Peers the block was sent to directly (gossipsub floods on from there). */
  recipients: number
}

/** What submitTransaction did. */
export interface SubmitResult extends AddResult {
  /** Peers the transaction was sent to directly. */
  recipients: number
}

/** 000 broadcastMessage for what gossipsub floods: a block or a transaction. */
export type GossipBroadcast<B = Block, T = Transaction> =
  | { kind: 'block'; block: B }
  | { kind: 'transaction'; transaction: T }

/** What a TRANSACTION_REQUEST brought (PawNode.requestTransactions). */
export interface TransactionRequestResult<T = Transaction> {
  /** The transactions the peer held, in request order. */
  found: T[]
  /** The ids (hex hashes) it did not hold, in request order. */
  notFound: string[]
}

export interface PawNodeInit extends SettingsInput {
  /** Ed25519 identity; a new one is generated if absent (src/node keeps it in the home). */
  privateKey?: PrivateKey
  /**
   * @default a logger writing to stderr (console.error) at `logLevel` if given, else `warn`
   * (an embedded node is quiet unless asked), in `logFormat`
   */
  logger?: Logger
  /**
   * The chain this node follows; its type must match settings.nodeType (light ↔ headers).
   * The reference chain's objects, or any chain's port (src/ports/chain.ts; docs/chain-port.md).
   */
  // biome-ignore lint/suspicious/noExplicitAny: a port of any chain's block, transaction and header types
  chain?: NodeChain | ChainPort<any, any, any>
  /** Gossip tuning (src/gossip/gossipsub-options.ts). */
  gossip?: {
    /** Peak network-wide transactions/s the score parameters tolerate. @default 50 */
    expectedTxPerSecond?: number
    /** gossipsub P3 (too few block deliveries). @default on for paw-testnet and paw-mainnet only */
    meshDeliveryPenalties?: boolean
    /**
     * Relay blocks as compact blocks on /paw/<chainId>/blocks/2 (protocols/compact-blocks.md):
     * the header, short ids and the coinbase, rebuilt from the mempool, forwarded after the
     * header check. A full node still hears whole blocks on blocks/1 either way, and sends
     * them whole there too while a peer takes no compact blocks (other implementations,
     * older nodes: protocols/compact-blocks.md "Mixed networks"). Off: whole blocks on
     * blocks/1 only, each validated before it is forwarded. @default true
     */
    compactBlocks?: boolean
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

/**
 * A PAW node. `B`, `T`, `H`, `A`: the block, transaction, header and account types of its
 * chain (the reference chain's unless created on another chain's port). Every async method
 * takes libp2p's `AbortOptions`: an aborted call rejects with the signal's reason.
 */
export interface PawNode<B = Block, T = Transaction, H = BlockHeader, A = AccountState>
  extends TypedEventTarget<PawNodeEvents<B, T, H>> {
  readonly peerId: PeerId
  readonly settings: Settings
  readonly libp2p: Libp2p
  readonly log: Logger
  start(options?: AbortOptions): Promise<void>
  /** Graceful shutdown (004 §5.2): stop dialling, close every connection, stop libp2p. */
  stop(options?: AbortOptions): Promise<void>
  /** Full listen multiaddrs, each ending in /p2p/<peer id>. */
  getMultiaddrs(): Multiaddr[]
  /** 000 connectToPeer: dial and complete /paw/handshake/1; rejects with a PawError if refused. */
  connectToPeer(address: string | Multiaddr, options?: AbortOptions): Promise<PeerInfo>
  /** 000 managePeerConnections: one maintenance pass (min outbound, inactivity, persistent peers). */
  managePeerConnections(options?: AbortOptions): Promise<void>
  /**
   * 000 discoverPeers: asks every connected peer for its peers (/paw/peers/1, at most once
   * per peer per 10 s), and the seeds if the address book is empty. Resolves with the
   * number of new addresses.
   */
  discoverPeers(options?: AbortOptions): Promise<number>
  /** Closes a peer's connection (it may reconnect; ban it to keep it out). */
  disconnectPeer(peerId: string): void
  /** Bans a peer for `durationMs` (persisted): disconnected now, refused on dial and inbound. */
  ban(peerId: string, options: { durationMs: number; reason: string } & AbortOptions): Promise<Ban>
  /** Lifts a ban; false if there was none. */
  unban(peerId: string, options?: AbortOptions): Promise<boolean>
  /** Active bans, soonest-expiring first. */
  bans(): Ban[]
  /**
   * Bans an IP address or a subnet in CIDR form (`10.1.2.3`, `10.1.0.0/16`, `2001:db8::/32`),
   * as Bitcoin Core's `setban`, for `durationMs` (persisted): peers connected from inside it
   * are disconnected now, and it is refused on dial and inbound whatever the peer's identity.
   * @throws TypeError for text that is neither an IP nor a subnet
   */
  banIp(ip: string, options: { durationMs: number; reason: string } & AbortOptions): Promise<IpBan>
  /** Lifts the ban on exactly this IP or subnet (as banIp wrote it, or any text of the same); false if there was none. */
  unbanIp(ip: string, options?: AbortOptions): Promise<boolean>
  /** Active IP and subnet bans, soonest-expiring first. */
  ipBans(): IpBan[]
  addressBookStats(): { entries: number; groups: number }
  /**
   * Bytes and messages by protocol since start, every protocol stream (/paw/*, gossipsub,
   * identify, ping), without yamux or encryption overhead (src/peers/traffic.ts).
   */
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
  broadcastMessage(
    message: PawMessage | GossipBroadcast<B, T>,
    options?: AbortOptions,
  ): Promise<{ sent: number; failed: number }>
  /**
   * 000 announceBlock: adds the block to the local chain (full and miner nodes; it must be
   * valid) and floods it, with its header for light nodes. Throws the ChainError of an
   * invalid block.
   */
  announceBlock(block: B, options?: AbortOptions): Promise<AnnounceResult>
  /** announceBlock for a block already encoded (the chain's encoding: src/ports/chain.ts). */
  announceEncodedBlock(encoded: Uint8Array, options?: AbortOptions): Promise<AnnounceResult>
  /**
   * 000 NEW_TRANSACTION: validates the transaction, adds it to the mempool and floods it.
   * Throws the ChainError of an invalid or unwanted transaction.
   */
  submitTransaction(transaction: T, options?: AbortOptions): Promise<SubmitResult>
  /** submitTransaction for a transaction already encoded. */
  submitEncodedTransaction(encoded: Uint8Array, options?: AbortOptions): Promise<SubmitResult>
  /**
   * 000 TRANSACTION_REQUEST over /paw/mempool/1: fetches transactions by id (hex hash, at
   * most 256) from a connected peer. Fetched transactions are not added to the mempool.
   */
  requestTransactions(
    peerId: string,
    ids: readonly string[],
    options?: AbortOptions,
  ): Promise<TransactionRequestResult<T>>
  /**
   * 000 syncBlockchain: headers first from every connected peer, then bodies from the peers
   * of the chain with the most work, in parallel; each block validated and stored as it
   * comes (full and miner nodes). Runs by itself when a peer connects and when a gossiped
   * block's parent is unknown; a second call joins the one running.
   */
  syncBlockchain(options?: AbortOptions): Promise<SyncResult>
  /**
   * The tip of the chain this node follows (its header chain on a light node); undefined
   * without one. The `tip` event says when it moves.
   */
  chainTip(): ChainTip | undefined
  /**
   * 000 BLOCK_REQUEST over /paw/blocks/1: a block's encoding by hash (hex; bytes are
   * accepted but deprecated) from a peer (undefined: not_found).
   * @throws TypeError for a hash that is not hex
   */
  requestBlock(peerId: string, hash: HashInput, options?: AbortOptions): Promise<Uint8Array | undefined>
  /**
   * A block by hash (hex; bytes are accepted but deprecated) from whichever connected peer
   * has it, checked before it is returned: it must hash to `hash`, and on a light node its
   * body must match the header it holds. A peer that sends a wrong block is charged and the
   * next one asked. Undefined if none has it.
   * @throws TypeError for a hash that is not hex
   */
  fetchBlock(hash: HashInput, options?: AbortOptions): Promise<B | undefined>
  /**
   * An account as of the best chain's tip, verified: a light node asks full nodes over
   * /paw/state/1 and checks the proof against a header it holds (a peer whose proof fails
   * is charged and the next asked; if peers are a block behind, the block below the tip);
   * a full node reads its own state. `address`: hex, or bytes (the reference chain: 32).
   * @throws TypeError for text that is not hex, or not an address of this chain
   * @throws StateReadError ERR_STATE_UNAVAILABLE (no peer answered with a proof that
   *   verified), ERR_STATE_UNSUPPORTED (a chain whose headers commit to no state)
   */
  getAccount(address: HashInput, options?: AbortOptions): Promise<AccountReading<A>>
  /**
   * Follows a transaction (id: hex) into the best chain, at each new tip and reorg (no
   * polling): `onProgress` hears pending → included at height h (and each confirmation) →
   * reorged-out if its block leaves the best chain; resolves once `confirmations` blocks
   * hold it. A light node checks each inclusion against the header of the block named.
   * @throws StateReadError ERR_TRANSACTION_DROPPED after `dropAfterBlocks` tips at which no
   *   one held it; the signal's reason when aborted
   */
  waitForTransaction(id: HashInput, options?: WaitForTransactionOptions): Promise<TransactionConfirmation>
  /** 000 handleIncomingMessage: dispatch a received message to the handler of its protocol and type. */
  handleIncomingMessage(message: PawMessage, peer: PeerInfo, options?: AbortOptions): Promise<void>
  /**
   * Registers the handler handleIncomingMessage dispatches to. A frame of this type larger
   * than `maxPayloadBytes` (default 64 KiB) is refused from its header with 0x04 and the
   * sender disconnected (protocols/framing.md "Frame limits").
   */
  onMessage(
    protocol: string,
    type: string,
    handler: MessageHandler,
    options?: { maxPayloadBytes?: number } & AbortOptions,
  ): Promise<void>
  peers(): PeerInfo[]
  peer(peerId: string): PeerInfo | undefined
  stats(): NodeStats
  /** Gossip processing: queue lanes (queued, processed, dropped), verdicts by topic, throttling. */
  gossipStats(): GossipStats
  /** /paw/mempool/1: inventories, requests, transactions served and fetched, refusals by reason. */
  mempoolSyncStats(): MempoolSyncStats
  /** Resolves once every gossip message received so far has been validated (tests, benchmarks). */
  gossipIdle(options?: AbortOptions): Promise<void>
}
