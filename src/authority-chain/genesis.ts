/**
 * A chain's definition checked at start-up, its genesis block, and a devnet anyone can
 * run (docs/authority-chain.md "Genesis"). Browser-safe.
 */
import { toHex, utf8Encode } from '../wire/bytes.ts'
import {
  HASH_BYTES,
  HEADER_VERSION,
  KEY_BYTES,
  MAX_U64,
  MAX_VALIDATORS,
  SIGNATURE_BYTES,
} from './constants.ts'
import { genesisCommitment } from './hashing.ts'
import { publicTestKey } from './keys.ts'
import type { AuthorityBlock, AuthorityGenesis, AuthorityKey } from './types.ts'

/** @throws TypeError naming the first field of `genesis` that no chain can have */
export function checkGenesis(genesis: AuthorityGenesis): void {
  const chainId = utf8Encode(genesis.chainId)
  if (chainId.length === 0 || chainId.length > 32 || chainId.includes(0)) {
    throw new TypeError('genesis chainId: 1..32 bytes of UTF-8 without NUL (the handshake field)')
  }
  const { validators, allocations } = genesis
  if (validators.length === 0 || validators.length > MAX_VALIDATORS) {
    throw new TypeError(`genesis validators: 1..${MAX_VALIDATORS} keys`)
  }
  const seen = new Set<string>()
  for (const validator of validators) {
    if (validator.length !== KEY_BYTES) throw new TypeError('genesis validators: 32-byte Ed25519 keys')
    if (seen.has(toHex(validator))) throw new TypeError(`genesis validators: ${toHex(validator)} twice`)
    seen.add(toHex(validator))
  }
  if (allocations.length > 0xffff_ffff) throw new TypeError('genesis allocations: at most 2^32 − 1')
  let total = 0n
  const funded = new Set<string>()
  for (const { address, amount } of allocations) {
    if (address.length !== KEY_BYTES) throw new TypeError('genesis allocations: 32-byte addresses')
    if (funded.has(toHex(address))) throw new TypeError(`genesis allocations: ${toHex(address)} twice`)
    funded.add(toHex(address))
    if (amount <= 0n) throw new TypeError('genesis allocations: amounts of at least 1')
    total += amount
  }
  // Transfers move value and never mint it: no balance can overflow a u64 after this.
  if (total > MAX_U64) throw new TypeError('genesis allocations: the total is over a u64')
  if (!Number.isSafeInteger(genesis.timestamp) || genesis.timestamp < 0) {
    throw new TypeError('genesis timestamp: Unix ms, a non-negative integer')
  }
  const interval = genesis.blockIntervalMs
  if (interval !== undefined && (!Number.isSafeInteger(interval) || interval < 1)) {
    throw new TypeError('genesis blockIntervalMs: a positive integer')
  }
}

/**
 * Height 0: no parent (zero hash), the genesis commitment as its txRoot, proposer 0 and a
 * zero signature (it is the definition, not signed), no transactions.
 */
export function genesisBlock(genesis: AuthorityGenesis): AuthorityBlock {
  return {
    header: {
      version: HEADER_VERSION,
      height: 0,
      parentHash: new Uint8Array(HASH_BYTES),
      timestamp: genesis.timestamp,
      txRoot: genesisCommitment(genesis),
      proposer: 0,
      signature: new Uint8Array(SIGNATURE_BYTES),
    },
    transactions: [],
  }
}

export interface Devnet {
  genesis: AuthorityGenesis
  /** The validators' keys, in proposing order. */
  validators: AuthorityKey[]
  /** Funded accounts' keys, 10^12 base units each. */
  accounts: AuthorityKey[]
}

export interface DevnetInit {
  /** @default 'paw-authority-devnet' */
  chainId?: string
  /** @default 3 */
  validators?: number
  /** @default 4 */
  accounts?: number
  /** @default one hour ago */
  timestamp?: number
  /** @default 2_000 */
  blockIntervalMs?: number
}

/**
 * A devnet whose keys anyone can derive ("paw-authority-validator-i", "paw-authority-account-i"):
 * for tests and local networks, never for value.
 */
export function authorityDevnet(init: DevnetInit = {}): Devnet {
  const validators = Array.from({ length: init.validators ?? 3 }, (_, i) =>
    publicTestKey(`paw-authority-validator-${i}`),
  )
  const accounts = Array.from({ length: init.accounts ?? 4 }, (_, i) =>
    publicTestKey(`paw-authority-account-${i}`),
  )
  const genesis: AuthorityGenesis = {
    chainId: init.chainId ?? 'paw-authority-devnet',
    validators: validators.map((key) => key.publicKey),
    allocations: accounts.map((key) => ({ address: key.publicKey, amount: 1_000_000_000_000n })),
    timestamp: init.timestamp ?? Date.now() - 3_600_000,
    blockIntervalMs: init.blockIntervalMs ?? 2_000,
  }
  checkGenesis(genesis)
  return { genesis, validators, accounts }
}
