/**
 * The authority chain's values: a proof-of-authority chain whose blocks are signed by a
 * fixed validator set in turn, and whose transfers carry a salt and an expiry height
 * instead of a nonce (docs/authority-chain.md). Browser-safe.
 */

/** 32 bytes: a block hash (SHA-256 of the header) or a transaction id (SHA-256 of the transaction). */
export type Hash = Uint8Array

/** An account or a validator is its 32-byte Ed25519 public key. */
export type PublicKey = Uint8Array

export interface AuthorityHeader {
  /** Header format version: 1. */
  version: number
  /** 0 for genesis; at most 2^32 − 1. */
  height: number
  parentHash: Hash
  /** Unix time in milliseconds. */
  timestamp: number
  /** txRoot of the block's transactions (hashing.ts); genesis: the genesis commitment. */
  txRoot: Hash
  /** Index in the validator list of the validator who signed: height mod the list's length. */
  proposer: number
  /** Ed25519 signature of the proposer over headerSigningMessage (genesis: 64 zero bytes). */
  signature: Uint8Array
}

/** A transfer. No nonce: `salt` makes it unique, `expiry` bounds how long its id is remembered. */
export interface AuthorityTransaction {
  from: PublicKey
  to: PublicKey
  /** Base units, at least 1. */
  amount: bigint
  /** 16 random bytes: two transfers of the same amount between the same accounts differ. */
  salt: Uint8Array
  /** The last height the transfer may be included at. */
  expiry: number
  /** Ed25519 signature of `from` over transactionSigningMessage. */
  signature: Uint8Array
}

export interface AuthorityBlock {
  header: AuthorityHeader
  transactions: AuthorityTransaction[]
}

export interface GenesisAllocation {
  address: PublicKey
  amount: bigint
}

/** What defines a chain: every node of it holds the same (its hash is genesis's txRoot). */
export interface AuthorityGenesis {
  /** The chain ID the handshake and the gossip topics carry: 1..32 bytes of UTF-8, no NUL. */
  chainId: string
  /** The validators, in proposing order: the proposer of height h is validators[h mod length]. */
  validators: PublicKey[]
  allocations: GenesisAllocation[]
  /** Genesis's timestamp, Unix ms. */
  timestamp: number
  /**
   * The time between blocks the validators aim for, ms (gossipsub's score parameters scale
   * with it). Not a validity rule, so not part of the genesis commitment. @default 5_000
   */
  blockIntervalMs?: number
}

/** An Ed25519 key pair: a validator's or an account's. */
export interface AuthorityKey {
  /** The 32-byte secret seed. Keep it secret. */
  secretKey: Uint8Array
  publicKey: PublicKey
}
