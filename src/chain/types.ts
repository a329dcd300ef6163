/**
 * The reference chain's data types and the `Chain` interface the networking layer uses.
 * src/protocols and src/peers know the chain only through these types (Lodestar keeps
 * its reqresp package free of chain imports; so do we), so a real PAW chain can replace
 * the reference one. Browser-safe.
 *
 * Byte layouts: docs/chain.md. All integers are big-endian; amounts are u64 (bigint).
 */
import type { TypedEventTarget } from 'main-event'

/** 32 bytes (SHA-256). */
export type Hash = Uint8Array

/** An account is its 32-byte Ed25519 public key. */
export type Address = Uint8Array

export interface Transaction {
  from: Address
  to: Address
  amount: bigint
  fee: bigint
  /** The sender's count of transactions already included: 0 for its first. */
  nonce: bigint
  /**
   * Ed25519 signature by `from` (64 bytes) over "paw-tx-v1", the 32-byte chain ID field and
   * the encoding of every other field (transactionSigningMessage): valid on one chain only.
   */
  signature: Uint8Array
}

export interface BlockHeader {
  /** Header format version: 2 (the first to commit to the state; docs/chain.md "Header"). */
  version: number
  chainId: string
  height: number
  previousHash: Hash
  /** Unix time in milliseconds. */
  timestamp: number
  /** Merkle root of the transaction hashes (docs/chain.md). */
  txRoot: Hash
  /**
   * Root of the state tree after this block's transactions (docs/chain.md "State tree"):
   * what a light client checks an account proof against.
   */
  stateRoot: Hash
  /** Proof of work: the header hash, read as a 256-bit big-endian number, is ≤ target. */
  target: Uint8Array
  nonce: bigint
}

/**
 * A block: the header and its transactions. The first transaction is the coinbase: from
 * the zero address, nonce = height, fee 0, a zero signature, paying the block reward plus
 * the block's fees to the miner.
 */
export interface Block {
  header: BlockHeader
  transactions: Transaction[]
}

/** An account: what the state holds per address (docs/chain.md "State"). */
export interface AccountState {
  readonly balance: bigint
  /** Transactions sent so far: the nonce its next transaction must carry. */
  readonly nonce: bigint
}

export interface GenesisAllocation {
  address: Address
  amount: bigint
}

/** A chain's built-in definition (or a genesis file in the home). */
export interface ChainParams {
  chainId: string
  genesisTimestamp: number
  allocations: GenesisAllocation[]
  /** Target of the first blocks, and the easiest retargeting allows; devnets and tests use an easy one. */
  initialTarget: Uint8Array
  /** The block time retargeting aims for. */
  targetBlockTimeMs: number
  /** Blocks between retargets (0 = never; 1 is not allowed). */
  retargetInterval: number
  blockReward: bigint
  /** A block's encoding must fit a 10 MiB frame with its header. */
  maxBlockBytes: number
  /** How far in the future a block's timestamp may be. */
  maxFutureDriftMs: number
}

/** A block's place in the chain. */
export interface ChainPosition {
  hash: Hash
  height: number
  /** Cumulative work up to and including this block (fork choice: most work wins). */
  totalWork: bigint
}

export type AddBlockOutcome =
  /** Extends the best chain. */
  | 'extended'
  /** Stored on a side branch with less work. */
  | 'side-branch'
  /** Its branch now has the most work: the tip moved to it (see the reorg event). */
  | 'reorg'
  /** Already known. */
  | 'duplicate'

export interface ChainEvents {
  /** The best tip changed. */
  tip: CustomEvent<{ tip: ChainPosition; block: Block }>
  /**
   * The best chain switched branches: blocks rolled back, then blocks applied; `restored`
   * lists the ids of the rolled-back transactions now back in the mempool (a chain with one).
   */
  reorg: CustomEvent<{ disconnected: Block[]; connected: Block[]; restored?: string[] }>
}

/** What the networking layer needs of a chain. */
export interface Chain extends TypedEventTarget<ChainEvents> {
  readonly params: ChainParams
  tip(): ChainPosition
  getBlock(hash: Hash): Promise<Block | undefined>
  getBlockAtHeight(height: number): Promise<Block | undefined>
  /** The block's stored encoding, served without re-encoding. */
  getEncodedBlock(hash: Hash): Promise<Uint8Array | undefined>
  /** Headers of the best chain from `fromHeight`, at most `count`. */
  getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]>
  /** Full validation against the block's parent state; throws a ChainError. */
  validateBlock(block: Block): Promise<void>
  /** Checks a transaction against the best tip's state; throws a ChainError. */
  validateTransaction(tx: Transaction): Promise<void>
  /** Validates and stores a block, moving the tip by fork choice. Throws a ChainError. */
  addBlock(block: Block): Promise<AddBlockOutcome>
}

/** What Mempool.add did. */
export interface AddResult {
  /** Transaction hash, hex. */
  id: string
  /** Ids of the transactions evicted to make room, worst first. */
  evicted: string[]
}

/**
 * What the networking layer needs of a mempool (src/chain/mempool implements it). Ids
 * are transaction hashes in lowercase hex.
 */
export interface TransactionPool {
  readonly size: number
  has(id: string): boolean
  get(id: string): Transaction | undefined
  /** Validates against the best tip and admits; throws a ChainError if refused. */
  add(tx: Transaction): AddResult
  /** Up to `max` pending ids, the highest fee per byte first (the mempool_hashes inventory). */
  bestIds(max: number): string[]
}

export interface HeaderChainEvents {
  /** The best header tip changed. */
  tip: CustomEvent<{ tip: ChainPosition; header: BlockHeader }>
  /** The best header chain switched branches: headers rolled back, then headers applied. */
  reorg: CustomEvent<{ disconnected: BlockHeader[]; connected: BlockHeader[] }>
}
