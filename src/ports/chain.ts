/**
 * The chain port: the one interface through which the network layer (src/protocols,
 * src/gossip, src/sync, src/peers, src/wire) knows a chain (STYLE.md §5; Substrate's
 * sc-network-sync is generic over the block type the same way, CometBFT's reactors move
 * opaque bytes). The network moves encoded blocks, headers and transactions and asks the
 * port what it needs of them; it never decodes one. A chain plugs in by implementing this
 * (docs/chain-port.md); the reference chain's adapter is src/chain/port/. Browser-safe.
 *
 * Hashes and ids are byte strings of the chain's own length (32 for the reference chain);
 * the network compares and prints them (hex) but never computes one.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { TypedEventTarget } from 'main-event'
import type { TransactionPoolPort } from './transaction-pool.ts'

/**
 * The sizes a chain fixes on the wire (protocols/blocks.md, protocols/mempool.md): header
 * and transaction encodings travel unframed, packed at a fixed size; a block encoding is
 * length-prefixed and its length checked by `isBlockLength` before its bytes are read.
 */
export interface ChainShape {
  /** Bytes of every header encoding (185 for the reference chain). */
  readonly headerBytes: number
  /** Bytes of every transaction encoding (152 for the reference chain). */
  readonly transactionBytes: number
  /** Bytes of a block or transaction id, the hash the protocols carry (32). */
  readonly hashBytes: number
  /** The largest block encoding; at most a frame less 64 bytes (protocols/framing.md). */
  readonly maxBlockBytes: number
  /** Whether `length` can be a block encoding's (a `blocks` answer is refused, 0x05, if not). */
  isBlockLength(length: number): boolean
}

/** What the network needs to know of a header. */
export interface HeaderSummary {
  /** The block's id. */
  hash: Uint8Array
  parentHash: Uint8Array
  height: number
  /**
   * This block's fork-choice weight (the reference chain: the work its target proves; a
   * chain with another rule maps it to a number that sums the same way: the best chain
   * is the one with the most weight).
   */
  weight: bigint
}

/** A block encoding read by `readBlock`: its header, and the body already checked against it. */
export interface BlockSummary {
  header: HeaderSummary
  /** The header's own encoding (published on the headers topic for light nodes). */
  headerEncoding: Uint8Array
  /** Ids of the block's transactions, in block order. */
  transactionIds: Uint8Array[]
}

/** The best chain's tip. */
export interface TipSummary {
  hash: Uint8Array
  height: number
  /** Weight summed from genesis (fork choice). */
  totalWeight: bigint
}

/** What importing a block or header did to the best chain. */
export type ImportOutcome =
  /** Extends the best chain. */
  | 'extended'
  /** Stored on a side branch with less weight (not relayed). */
  | 'side-branch'
  /** Its branch is now the best: the tip moved to it. */
  | 'reorg'
  /** Already known. */
  | 'duplicate'

/**
 * The chain's word on something a peer sent, and so what the network does with it and its
 * sender (src/peers/offences.ts is the one table of what each costs):
 * - `accepted`: taken (relayed if it moved the best chain);
 * - `invalid`: no valid block, header or transaction can be this, so whoever relayed it
 *   vouched for garbage (gossip: Reject, and the offence its kind names);
 * - `unknown-parent`: it builds on something we do not have (not provable; we are behind);
 * - `refused`: not now or not here (a full pool, a clock ahead of ours): Ignore, no charge.
 * `code` is the chain's own stable code (logged, counted), `reason` a sentence, `cause` the
 * chain's own error if it has one (rethrown to a local caller: announceBlock, submitTransaction).
 */
export type Judgement<T> = { status: 'accepted'; value: T } | Refusal

/** A judgement other than `accepted`. */
export interface Refusal {
  status: 'invalid' | 'unknown-parent' | 'refused'
  code: string
  reason: string
  cause?: Error
}

/** A block or header taken by the chain. */
export interface Imported<D> {
  outcome: ImportOutcome
  hash: Uint8Array
  height: number
  /** The header's encoding (of a header: itself): what a full node publishes for light nodes. */
  headerEncoding: Uint8Array
  /** The chain's own decoded form, handed to the node's events untouched. */
  decoded: D
  /** How many transactions the block holds (absent for a header): the operator's tip line. */
  transactionCount?: number
}

/**
 * What the pool made of a gossiped transaction. Besides the judgements, `early`: it may be
 * valid once the transaction the pool names `waitsFor` is in (the reference chain: the
 * sender's previous nonce). Gossip holds it, unanswered, until then (`provides` of an
 * admitted one names what it unblocks) or a short wait expires. `group` bounds how many one
 * origin (a sender) can park.
 */
export type GossipedTransaction<T> =
  | Judgement<{ id: Uint8Array; decoded: T; provides?: string }>
  | { status: 'early'; waitsFor: string; group: string; code: string; reason: string; cause?: Error }

/** The pool of a chain that has one: /paw/mempool/1 (TransactionPoolPort) and gossip. */
export interface ChainPool<T = unknown> extends TransactionPoolPort {
  /** Judges and admits a transaction gossiped by `from`. */
  admitGossiped(encoded: Uint8Array, from: string): GossipedTransaction<T>
  /**
   * Judges and admits a transaction this node's own user submits (submitTransaction);
   * `evicted` lists the ids (hex) of those it pushed out of a full pool.
   */
  admitLocal(encoded: Uint8Array): Judgement<{ id: Uint8Array; decoded: T; evicted: string[] }>
}

/**
 * Checks a peer's headers, headers-first (000 syncBlockchain), as a chain extending our best
 * chain's block at `ancestorHeight`: each must link to the one before and pass the rules a
 * header can be checked by without its body (the reference chain: proof of work, target,
 * timestamps). Built by `headerChecker` and fed batches in order; it keeps what later
 * headers' rules need of earlier ones.
 */
export interface HeaderChecker {
  /**
   * The summaries of `encoded`, every one checked; a `ChainPortRejection` names the first that
   * fails (the peer that sent it is charged).
   */
  check(encoded: readonly Uint8Array[], options?: AbortOptions): Promise<HeaderSummary[]>
}

/** Thrown by a HeaderChecker or a header import: the peer's data breaks a chain rule. */
export interface ChainPortRejection extends Error {
  readonly code: string
  /** `invalid` (charged) or `unknown-parent` (not charged: we may be behind). */
  readonly status: 'invalid' | 'unknown-parent'
}

export interface ChainPortEvents {
  /** The best tip moved (a block or header from any source): once per move. */
  tip: CustomEvent<{ tip: TipSummary }>
  /**
   * The best chain switched branches, right after the `tip` event of the same move: the ids
   * of the blocks rolled back, then of those applied, each list lowest height first (the
   * last applied is the new tip).
   */
  reorg: CustomEvent<{ disconnected: Uint8Array[]; connected: Uint8Array[] }>
}

/**
 * Options of an import. `from` names the peer that delivered the encoding (gossip, sync),
 * absent for the node's own: the node's events report it (src/assembly/import-origins.ts
 * reads it on its way to the chain); a chain may log it or ignore it.
 */
export interface ImportOptions extends AbortOptions {
  from?: string
}

/**
 * How a chain's own values become the encodings the network moves, for the node's API
 * (announceBlock, submitTransaction, fetchBlock): the network layer itself never calls it.
 */
export interface ChainCodec<B, T, H> {
  encodeBlock(block: B): Uint8Array
  decodeBlock(encoded: Uint8Array): B
  encodeTransaction(transaction: T): Uint8Array
  decodeTransaction(encoded: Uint8Array): T
  decodeHeader(encoded: Uint8Array): H
}

/**
 * A full node's answer to `get_account` (protocols/state.md), as the chain makes it: the
 * account's encoding and a proof against the state root of the block asked about, a proof
 * that the address holds nothing, or `unknown-block` (not on its best chain, or its state
 * there is no longer kept). Values and proofs are the chain's bytes: the network carries
 * them without reading them.
 */
export type AccountProof =
  | { status: 'found'; value: Uint8Array; proof: Uint8Array }
  | { status: 'absent'; proof: Uint8Array }
  | { status: 'unknown-block' }

/**
 * A full node's answer to `get_transaction_status`: in its pool (`pending`, proves nothing),
 * in a block of its best chain with a proof against that block's transaction root, or
 * `unknown` (proves nothing either).
 */
export type TransactionProof =
  | { status: 'pending' }
  | { status: 'included'; block: Uint8Array; proof: Uint8Array }
  | { status: 'unknown' }

/** What a full node's chain answers /paw/state/1 with (StateProofs.prove…). */
export interface StateProver {
  /**
   * The account `address` as of `block`. undefined when `address` is not an address of this
   * chain (the network answers the request as malformed, 0x05).
   */
  proveAccount(
    block: Uint8Array,
    address: Uint8Array,
    options?: AbortOptions,
  ): Promise<AccountProof | undefined>
  /** Where the transaction `id` is, with a proof when it is in a block. */
  proveTransaction(id: Uint8Array, options?: AbortOptions): Promise<TransactionProof>
}

/** An account a proof showed, as of a block of the checker's best chain. */
export interface VerifiedAccount<A> {
  /** The chain's decoded account (an absent address: what the chain says it holds, e.g. zero). */
  account: A
  block: Uint8Array
  height: number
}

/** A transaction a proof put in a block of the checker's best chain. */
export interface VerifiedInclusion {
  block: Uint8Array
  height: number
}

/**
 * What any node's chain checks /paw/state/1 answers with, against headers it holds.
 * Judgement `invalid`: the proof does not show what the answer claims (the answerer lied,
 * src/peers/offences.ts); `refused`: the block is not on this node's best chain (any more),
 * which proves nothing about the answerer.
 */
export interface StateVerifier<A = unknown> {
  /** Whether `address` is an address of this chain: a user's typo is refused before any peer is asked. */
  isAddress(address: Uint8Array): boolean
  verifyAccount(
    block: Uint8Array,
    address: Uint8Array,
    answer: Exclude<AccountProof, { status: 'unknown-block' }>,
    options?: AbortOptions,
  ): Promise<Judgement<VerifiedAccount<A>>>
  verifyTransaction(
    id: Uint8Array,
    block: Uint8Array,
    proof: Uint8Array,
    options?: AbortOptions,
  ): Promise<Judgement<VerifiedInclusion>>
}

/** What every chain offers, whole or headers only. */
export interface ChainPortBase<B, T, H> extends TypedEventTarget<ChainPortEvents> {
  /** The chain ID the handshake and the gossip topics carry. */
  readonly chainId: string
  readonly shape: ChainShape
  /** The average time between blocks the chain aims for (gossipsub's score parameters scale with it). */
  readonly blockIntervalMs: number
  readonly codec: ChainCodec<B, T, H>
  /** Summarises a header encoding; throws (any error) if it is not one. */
  readHeader(encoded: Uint8Array): HeaderSummary
  /**
   * Reads a block encoding and checks its body against its header (transaction root, no
   * transaction twice): undefined if it is not a block, or its body is not its header's.
   */
  readBlock(encoded: Uint8Array): BlockSummary | undefined
  /** A transaction encoding's id; undefined if it is not one. */
  transactionId(encoded: Uint8Array): Uint8Array | undefined
  tip(): TipSummary
  /** Encodings of the best chain's headers from `fromHeight`, at most `count` (served on /paw/blocks/1). */
  encodedHeaders(fromHeight: number, count: number, options?: AbortOptions): Promise<Uint8Array[]>
  /** A checker for a peer's headers extending our best chain at `ancestorHeight`. */
  headerChecker(ancestorHeight: number): HeaderChecker
  /**
   * Checks /paw/state/1 answers, for a chain whose headers commit to its state (the
   * reference chain's do, docs/chain.md "Header"); absent: the node neither asks nor serves.
   */
  readonly stateVerifier?: StateVerifier
}

/**
 * A block encoding taken apart into its header's and transactions' encodings, and put back
 * together: what compact relay moves instead of the block (protocols/compact-blocks.md).
 */
export interface BlockParts {
  /** The header and transaction encodings of a block encoding (views); undefined if it is none. */
  split(encoded: Uint8Array): { header: Uint8Array; transactions: Uint8Array[] } | undefined
  /** The block encoding of a header and its transactions, in order (the inverse of `split`). */
  join(header: Uint8Array, transactions: readonly Uint8Array[]): Uint8Array
  /**
   * Whether the transactions `transactionIds` names, in this order, are the body the header
   * encoding `header` commits to (the reference chain: their Merkle root is its txRoot and
   * none is there twice): readBlock's body check, from ids, before the encodings are put
   * together. False for a header that does not decode.
   */
  commits(header: Uint8Array, transactionIds: readonly Uint8Array[]): boolean
}

/** A full (or miner) node's chain: blocks, validated and stored, and a pool. */
export interface FullChainPort<B = unknown, T = unknown, H = unknown> extends ChainPortBase<B, T, H> {
  readonly kind: 'full'
  readonly pool: ChainPool<T>
  /** A stored block's encoding, served as it is. */
  encodedBlock(hash: Uint8Array, options?: AbortOptions): Promise<Uint8Array | undefined>
  /** Validates and stores a block, moving the tip by fork choice. */
  importBlock(encoded: Uint8Array, options?: ImportOptions): Promise<Judgement<Imported<B>>>
  /** Answers /paw/state/1 (with stateVerifier); absent: the protocol is not served. */
  readonly stateProver?: StateProver
  /**
   * Splits and joins block encodings, for compact relay (protocols/compact-blocks.md);
   * absent: the node floods whole blocks on the blocks/1 topic only.
   */
  readonly blockParts?: BlockParts
}

/** A light node's chain: headers only. */
export interface HeaderChainPort<B = unknown, T = unknown, H = unknown> extends ChainPortBase<B, T, H> {
  readonly kind: 'headers'
  /** Validates and stores one header (gossip). */
  importHeader(encoded: Uint8Array, options?: ImportOptions): Promise<Judgement<Imported<H>>>
  /**
   * Adds headers in order (sync); how many were new. Throws a ChainPortRejection at the
   * first refused one.
   */
  importHeaders(encoded: readonly Uint8Array[], options?: ImportOptions): Promise<number>
  /** Whether the header `hash` is held (on any branch): where a peer's headers can be joined. */
  hasHeader(hash: Uint8Array, options?: AbortOptions): Promise<boolean>
  /**
   * The checks a node without state can make of a transaction its user submits (the
   * reference chain: the signature), so that it does not relay one its peers would charge it for.
   */
  checkTransaction(encoded: Uint8Array): Judgement<{ id: Uint8Array; decoded: T }>
  /** Checks a block fetched for a header we hold (fetchBlock). */
  verifyBlock(encoded: Uint8Array, options?: AbortOptions): Promise<Judgement<B>>
}

/** A chain as the network layer knows it. */
export type ChainPort<B = unknown, T = unknown, H = unknown> =
  | FullChainPort<B, T, H>
  | HeaderChainPort<B, T, H>

/** Whether `error` is a ChainPortRejection (by its shape: it may come from another copy of a chain package). */
export function isChainPortRejection(error: unknown): error is ChainPortRejection {
  return (
    error instanceof Error &&
    typeof (error as Partial<ChainPortRejection>).code === 'string' &&
    ((error as Partial<ChainPortRejection>).status === 'invalid' ||
      (error as Partial<ChainPortRejection>).status === 'unknown-parent')
  )
}
