/**
 * Chain parameters: the built-in chains and the checks for a custom chain's definition
 * (docs/chain.md "Built-in chains"). Reading a genesis file is src/node's job; here
 * `paramsFromJson` turns its parsed JSON into ChainParams, loudly naming any bad field.
 * Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { fromHex, toHex, utf8Encode } from '../wire/bytes.ts'
import { MAX_FRAME_LENGTH } from '../wire/constants.ts'
import {
  ADDRESS_LENGTH,
  BLOCK_PREFIX_LENGTH,
  chainIdField,
  MAX_U64,
  TARGET_LENGTH,
  TRANSACTION_LENGTH,
} from './encoding.ts'
import { bigIntToTarget, targetToBigInt } from './pow.ts'
import { type Account, accountFromPrivateKey } from './signing.ts'
import type { ChainParams, GenesisAllocation } from './types.ts'

/** Base units in one PAW. */
export const BASE_UNITS_PER_PAW = 100_000_000n

/**
 * The largest block encoding: a 10 MiB frame (004 §1.1) less its type length field and
 * a type of up to 32 bytes, rounded down to leave 64 bytes for them.
 */
export const MAX_BLOCK_BYTES = MAX_FRAME_LENGTH - 64

/** A block may be dated at most 2 hours ahead of the validating node's clock (Bitcoin's bound). */
export const MAX_FUTURE_DRIFT_MS = 2 * 60 * 60 * 1000

/** 2026-01-01T00:00:00Z. */
const GENESIS_TIMESTAMP = 1_767_225_600_000

/** How many devnet accounts the devnet genesis funds. */
export const DEVNET_ACCOUNT_COUNT = 4

/** What each devnet account starts with: 1,000,000 PAW. */
export const DEVNET_ALLOCATION = 1_000_000n * BASE_UNITS_PER_PAW

/**
 * Devnet account `index`: its secret key is SHA-256("paw-devnet account <index>").
 * These keys are PUBLIC, written here for anyone to use: they exist so a devnet has
 * spendable funds from block 0. Never use them, or a chain that funds them, for value.
 */
export function devnetAccount(index: number): Account {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`devnet account index ${index}`)
  return accountFromPrivateKey(sha256(utf8Encode(`paw-devnet account ${index}`)))
}

/** A target of 2^bits − 1: on average 2^(256 − bits) hashes per block. */
function targetOfBits(bits: number): Uint8Array {
  return bigIntToTarget((1n << BigInt(bits)) - 1n)
}

/**
 * A local development chain. Its target of 2^244 − 1 needs ~4,096 hashes (about 10 ms on a
 * laptop), so a fresh devnet produces blocks at once; retargeting every 20 blocks then
 * hardens it at most 4× a step towards 2 s blocks.
 */
export const PAW_DEVNET: ChainParams = Object.freeze({
  chainId: 'paw-devnet',
  genesisTimestamp: GENESIS_TIMESTAMP,
  allocations: Array.from({ length: DEVNET_ACCOUNT_COUNT }, (_, index) => ({
    address: devnetAccount(index).address,
    amount: DEVNET_ALLOCATION,
  })),
  initialTarget: targetOfBits(244),
  targetBlockTimeMs: 2_000,
  retargetInterval: 20,
  blockReward: 50n * BASE_UNITS_PER_PAW,
  maxBlockBytes: MAX_BLOCK_BYTES,
  maxFutureDriftMs: MAX_FUTURE_DRIFT_MS,
})

/**
 * The public test chain: 60 s blocks, starting at 2^236 − 1 (~1M hashes, seconds for one
 * laptop core), which is also its easiest target. It retargets every 100 blocks (~100
 * min): a testnet's hash rate jumps by orders of magnitude when one miner joins or
 * leaves, and a short window lets it recover within hours, not weeks.
 */
export const PAW_TESTNET: ChainParams = Object.freeze({
  chainId: 'paw-testnet',
  genesisTimestamp: GENESIS_TIMESTAMP,
  allocations: [],
  initialTarget: targetOfBits(236),
  targetBlockTimeMs: 60_000,
  retargetInterval: 100,
  blockReward: 50n * BASE_UNITS_PER_PAW,
  maxBlockBytes: MAX_BLOCK_BYTES,
  maxFutureDriftMs: MAX_FUTURE_DRIFT_MS,
})

/**
 * The main chain: 60 s blocks, starting at 2^232 − 1 (~16M hashes). It retargets every
 * 2,016 blocks (~1.4 days), Bitcoin's window: a long window averages out honest timestamp
 * noise and gives a miner who lies about time less leverage, at the cost of a slower
 * response, which a mainnet's steadier hash rate can afford. No premine.
 */
export const PAW_MAINNET: ChainParams = Object.freeze({
  chainId: 'paw-mainnet',
  genesisTimestamp: GENESIS_TIMESTAMP,
  allocations: [],
  initialTarget: targetOfBits(232),
  targetBlockTimeMs: 60_000,
  retargetInterval: 2_016,
  blockReward: 50n * BASE_UNITS_PER_PAW,
  maxBlockBytes: MAX_BLOCK_BYTES,
  maxFutureDriftMs: MAX_FUTURE_DRIFT_MS,
})

/** The built-in chains by chain ID. */
export const BUILT_IN_CHAINS: Readonly<Record<string, ChainParams>> = Object.freeze({
  [PAW_DEVNET.chainId]: PAW_DEVNET,
  [PAW_TESTNET.chainId]: PAW_TESTNET,
  [PAW_MAINNET.chainId]: PAW_MAINNET,
})

/** The built-in definition of `chainId`, if there is one. */
export function builtInParams(chainId: string): ChainParams | undefined {
  return Object.hasOwn(BUILT_IN_CHAINS, chainId) ? BUILT_IN_CHAINS[chainId] : undefined
}

function fail(field: string, message: string): never {
  throw new TypeError(field === '' ? `chain params ${message}` : `chain params: ${field} ${message}`)
}

function checkInteger(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(field, `must be an integer ≥ ${min}, got ${String(value)}`)
  }
  return value
}

function checkU64(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) fail(field, 'must be a u64 bigint')
  return value
}

function checkBytes(value: unknown, length: number, field: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) fail(field, `must be ${length} bytes`)
  return value
}

/**
 * Checks every field of a chain definition, at start-up, so a bad one fails loudly
 * instead of producing a chain no one else agrees with.
 * @throws TypeError naming the first bad field
 */
export function validateParams(params: ChainParams): void {
  try {
    chainIdField(params.chainId)
  } catch (error) {
    fail('chainId', (error as Error).message)
  }
  checkInteger(params.genesisTimestamp, 'genesisTimestamp', 0)
  if (!Array.isArray(params.allocations)) fail('allocations', 'must be an array')
  const seen = new Set<string>()
  let total = 0n
  params.allocations.forEach((allocation: GenesisAllocation, i) => {
    const address = checkBytes(allocation?.address, ADDRESS_LENGTH, `allocations[${i}].address`)
    const amount = checkU64(allocation.amount, `allocations[${i}].amount`)
    if (amount === 0n) fail(`allocations[${i}].amount`, 'must be > 0')
    const key = toHex(address)
    if (seen.has(key)) fail(`allocations[${i}].address`, 'is allocated twice')
    if (address.every((byte) => byte === 0)) fail(`allocations[${i}].address`, 'must not be the zero address')
    seen.add(key)
    total += amount
  })
  if (total > MAX_U64) fail('allocations', 'add up to more than a u64')
  const target = checkBytes(params.initialTarget, TARGET_LENGTH, 'initialTarget')
  if (targetToBigInt(target) === 0n) fail('initialTarget', 'must not be 0')
  const blockTime = checkInteger(params.targetBlockTimeMs, 'targetBlockTimeMs', 1)
  const interval = checkInteger(params.retargetInterval, 'retargetInterval', 0)
  // The window spans interval − 1 block times: one block times nothing.
  if (interval === 1) fail('retargetInterval', 'must be 0 (never) or ≥ 2')
  if (!Number.isSafeInteger(interval * blockTime))
    fail('retargetInterval', 'times targetBlockTimeMs is too large')
  checkU64(params.blockReward, 'blockReward')
  const maxBlockBytes = checkInteger(
    params.maxBlockBytes,
    'maxBlockBytes',
    BLOCK_PREFIX_LENGTH + TRANSACTION_LENGTH,
  )
  if (maxBlockBytes > MAX_BLOCK_BYTES) fail('maxBlockBytes', `must be ≤ ${MAX_BLOCK_BYTES} (one frame)`)
  if (BLOCK_PREFIX_LENGTH + params.allocations.length * TRANSACTION_LENGTH > maxBlockBytes) {
    fail('allocations', 'are too many for the genesis block to fit maxBlockBytes')
  }
  checkInteger(params.maxFutureDriftMs, 'maxFutureDriftMs', 0)
}

/** A chain definition as JSON: byte fields as hex, u64 amounts as decimal strings. */
export interface ChainParamsJson {
  chainId: string
  genesisTimestamp: number
  allocations: Array<{ address: string; amount: string }>
  initialTarget: string
  targetBlockTimeMs: number
  retargetInterval: number
  blockReward: string
  /** @default MAX_BLOCK_BYTES */
  maxBlockBytes?: number
  /** @default MAX_FUTURE_DRIFT_MS */
  maxFutureDriftMs?: number
}

const JSON_FIELDS = new Set([
  'chainId',
  'genesisTimestamp',
  'allocations',
  'initialTarget',
  'targetBlockTimeMs',
  'retargetInterval',
  'blockReward',
  'maxBlockBytes',
  'maxFutureDriftMs',
])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function hexField(value: unknown, length: number, field: string): Uint8Array {
  if (typeof value !== 'string' || value.length !== 2 * length || !/^[0-9a-fA-F]*$/.test(value)) {
    fail(field, `must be ${2 * length} hex digits`)
  }
  return fromHex(value)
}

/** A u64 as a decimal string (JSON numbers lose precision past 2^53) or a safe integer. */
function amountField(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(value)) {
    fail(field, 'must be a decimal string of a u64')
  }
  return checkU64(BigInt(value), field)
}

/**
 * A custom chain's definition from its parsed JSON (a genesis file).
 * @throws TypeError naming the first bad or unknown field
 */
export function paramsFromJson(json: unknown): ChainParams {
  if (!isRecord(json)) fail('', 'must be a JSON object')
  for (const key of Object.keys(json)) if (!JSON_FIELDS.has(key)) fail(key, 'is not a known field')
  if (typeof json.chainId !== 'string') fail('chainId', 'must be a string')
  if (!Array.isArray(json.allocations)) fail('allocations', 'must be an array')
  const params: ChainParams = {
    chainId: json.chainId,
    genesisTimestamp: checkInteger(json.genesisTimestamp, 'genesisTimestamp', 0),
    allocations: json.allocations.map((entry: unknown, i) => {
      if (!isRecord(entry)) fail(`allocations[${i}]`, 'must be an object')
      for (const key of Object.keys(entry)) {
        if (key !== 'address' && key !== 'amount') fail(`allocations[${i}].${key}`, 'is not a known field')
      }
      return {
        address: hexField(entry.address, ADDRESS_LENGTH, `allocations[${i}].address`),
        amount: amountField(entry.amount, `allocations[${i}].amount`),
      }
    }),
    initialTarget: hexField(json.initialTarget, TARGET_LENGTH, 'initialTarget'),
    targetBlockTimeMs: checkInteger(json.targetBlockTimeMs, 'targetBlockTimeMs', 1),
    retargetInterval: checkInteger(json.retargetInterval, 'retargetInterval', 0),
    blockReward: amountField(json.blockReward, 'blockReward'),
    maxBlockBytes: json.maxBlockBytes === undefined ? MAX_BLOCK_BYTES : (json.maxBlockBytes as number),
    maxFutureDriftMs:
      json.maxFutureDriftMs === undefined ? MAX_FUTURE_DRIFT_MS : (json.maxFutureDriftMs as number),
  }
  validateParams(params)
  return params
}

/** The JSON form of a chain definition, which paramsFromJson reads back to equal params. */
export function paramsToJson(params: ChainParams): ChainParamsJson {
  return {
    chainId: params.chainId,
    genesisTimestamp: params.genesisTimestamp,
    allocations: params.allocations.map(({ address, amount }) => ({
      address: toHex(address),
      amount: amount.toString(),
    })),
    initialTarget: toHex(params.initialTarget),
    targetBlockTimeMs: params.targetBlockTimeMs,
    retargetInterval: params.retargetInterval,
    blockReward: params.blockReward.toString(),
    maxBlockBytes: params.maxBlockBytes,
    maxFutureDriftMs: params.maxFutureDriftMs,
  }
}
