/**
 * Built-in chains, the genesis block and custom chain definitions from JSON.
 */

import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { encodeBlock } from '../../src/chain/encoding.ts'
import { genesisBlock, genesisHash, genesisState } from '../../src/chain/genesis.ts'
import { blockHash, txRoot } from '../../src/chain/hashing.ts'
import {
  BASE_UNITS_PER_PAW,
  BUILT_IN_CHAINS,
  builtInParams,
  DEVNET_ACCOUNT_COUNT,
  DEVNET_ALLOCATION,
  devnetAccount,
  MAX_BLOCK_BYTES,
  PAW_DEVNET,
  PAW_MAINNET,
  PAW_TESTNET,
  paramsFromJson,
  paramsToJson,
  validateParams,
} from '../../src/chain/params.ts'
import { workForTarget } from '../../src/chain/pow.ts'
import { getAccount } from '../../src/chain/state.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import { MAX_FRAME_LENGTH } from '../../src/wire/constants.ts'
import { hex } from '../support/vectors.ts'

/**
 * Pinned: a change to the encoding, hashing or devnet definition changes these, and every
 * devnet node running older code would disagree. Update them only on purpose.
 */
const GENESIS_HASHES: Record<string, string> = {
  'paw-devnet': '8f3873fcd3eb2ddfaacd7e5e667753843c67e0d1ca729561c4a156b8641f8cbe',
  'paw-testnet': 'ffc19a3a5c90c44f26ee4fbc2b1c0915b49141461cb8493e2b5aa14813f7a43f',
  'paw-mainnet': '82788490222d50236b57491dd15f5aa2b68664264fadda532fc67e7a6e511b59',
}

describe('built-in chains', () => {
  it('are valid definitions', () => {
    for (const params of Object.values(BUILT_IN_CHAINS)) expect(() => validateParams(params)).not.toThrow()
    expect(builtInParams('paw-devnet')).toBe(PAW_DEVNET)
    expect(builtInParams('toString')).toBeUndefined()
    expect(builtInParams('paw-nope')).toBeUndefined()
  })

  it('devnet: easy, 2 s blocks, retarget every 20, 50 PAW, funded public devnet accounts', () => {
    expect(workForTarget(PAW_DEVNET.initialTarget)).toBe(4096n)
    expect(PAW_DEVNET.targetBlockTimeMs).toBe(2_000)
    expect(PAW_DEVNET.retargetInterval).toBe(20)
    expect(PAW_DEVNET.blockReward).toBe(50n * 10n ** 8n)
    expect(PAW_DEVNET.allocations).toHaveLength(DEVNET_ACCOUNT_COUNT)
    expect(PAW_DEVNET.allocations[0]?.address).toEqual(devnetAccount(0).address)
    expect(hex(devnetAccount(0).privateKey)).toBe(
      hex(new Uint8Array(createHash('sha256').update('paw-devnet account 0').digest())),
    )
    // docs/chain.md "Built-in chains": account 0's seed and address, and the order of the allocations.
    expect(hex(devnetAccount(0).privateKey)).toBe(
      '19ba828811889dd49ab282719639686323218ca0b53b0e8e9410cf90f10a6670',
    )
    expect(hex(devnetAccount(0).address)).toBe(
      '532684725070fccab7954b10686fcfa3439a5ffc1a5e5232c9dbdc02f18504e5',
    )
    expect(PAW_DEVNET.allocations.map((a) => hex(a.address))).toEqual(
      [0, 1, 2, 3].map((i) => hex(devnetAccount(i).address)),
    )
  })

  it('testnet and mainnet: harder, 60 s blocks, no premine', () => {
    for (const params of [PAW_TESTNET, PAW_MAINNET]) {
      expect(workForTarget(params.initialTarget)).toBeGreaterThan(
        workForTarget(PAW_DEVNET.initialTarget) * 100n,
      )
      expect(params.targetBlockTimeMs).toBe(60_000)
      expect(params.allocations).toEqual([])
    }
    expect(PAW_TESTNET.retargetInterval).toBe(100)
    expect(PAW_MAINNET.retargetInterval).toBe(2016)
  })

  it('a maximal block fits a 10 MiB frame with its type', () => {
    expect(MAX_BLOCK_BYTES).toBe(10 * 1024 * 1024 - 64)
    expect(MAX_BLOCK_BYTES + 2 + 32).toBeLessThanOrEqual(MAX_FRAME_LENGTH)
    expect(PAW_DEVNET.maxFutureDriftMs).toBe(2 * 60 * 60 * 1000)
  })
})

describe('genesis', () => {
  it('is deterministic: the same bytes every time, and the pinned hash', () => {
    for (const params of Object.values(BUILT_IN_CHAINS)) {
      const first = encodeBlock(genesisBlock(params))
      const second = encodeBlock(genesisBlock({ ...params }))
      expect(hex(second)).toBe(hex(first))
      expect(hex(genesisHash(params))).toBe(GENESIS_HASHES[params.chainId])
    }
    // docs/chain.md "Built-in chains": the devnet's four allocations; no allocations, the empty tree.
    expect(hex(genesisBlock(PAW_DEVNET).header.stateRoot)).toBe(
      'ba2c6b2d805502bf05ae0d60785d062488cee1d9cb4e8c144e549a998a90a97f',
    )
    expect(hex(genesisBlock(PAW_TESTNET).header.stateRoot)).toBe('00'.repeat(32))
  })

  it('height 0, previousHash zero, the genesis timestamp and initial target, nonce 0', () => {
    const { header, transactions } = genesisBlock(PAW_DEVNET)
    expect(header).toMatchObject({ version: 2, chainId: 'paw-devnet', height: 0, nonce: 0n })
    expect(header.previousHash).toEqual(new Uint8Array(32))
    expect(header.timestamp).toBe(PAW_DEVNET.genesisTimestamp)
    expect(header.target).toEqual(PAW_DEVNET.initialTarget)
    expect(header.txRoot).toEqual(txRoot(transactions))
    expect(blockHash(header)).toEqual(genesisHash(PAW_DEVNET))
  })

  it('mints each allocation, so the genesis hash commits to the balances', () => {
    const { transactions } = genesisBlock(PAW_DEVNET)
    expect(transactions).toHaveLength(DEVNET_ACCOUNT_COUNT)
    expect(transactions[1]).toMatchObject({ amount: DEVNET_ALLOCATION, fee: 0n, nonce: 0n })
    expect(transactions[1]?.from).toEqual(new Uint8Array(32))
    const state = genesisState(PAW_DEVNET)
    expect(state.size).toBe(DEVNET_ACCOUNT_COUNT)
    expect(getAccount(state, devnetAccount(3).address)).toEqual({
      balance: 1_000_000n * BASE_UNITS_PER_PAW,
      nonce: 0n,
    })
    const richer = {
      ...PAW_DEVNET,
      allocations: [{ ...PAW_DEVNET.allocations[0], amount: 1n }],
    } as ChainParams
    expect(genesisHash(richer)).not.toEqual(genesisHash(PAW_DEVNET))
  })
})

describe('paramsFromJson', () => {
  const json = paramsToJson(PAW_DEVNET)

  it('reads back what paramsToJson wrote', () => {
    expect(paramsFromJson(JSON.parse(JSON.stringify(json)))).toEqual(PAW_DEVNET)
  })

  it('defaults maxBlockBytes and maxFutureDriftMs; takes amounts as safe integers too', () => {
    const { maxBlockBytes: _a, maxFutureDriftMs: _b, ...rest } = json
    const params = paramsFromJson({ ...rest, blockReward: 7 })
    expect(params.maxBlockBytes).toBe(MAX_BLOCK_BYTES)
    expect(params.maxFutureDriftMs).toBe(2 * 3_600_000)
    expect(params.blockReward).toBe(7n)
  })

  const allocation = json.allocations[0] as { address: string; amount: string }
  it.each([
    ['not an object', [], /must be a JSON object/],
    ['an unknown field', { ...json, reward: '1' }, /reward is not a known field/],
    ['chainId missing', { ...json, chainId: undefined }, /chainId must be a string/],
    ['chainId too long', { ...json, chainId: 'x'.repeat(33) }, /chainId/],
    ['genesisTimestamp negative', { ...json, genesisTimestamp: -1 }, /genesisTimestamp/],
    ['allocations not an array', { ...json, allocations: {} }, /allocations must be an array/],
    [
      'an allocation address short',
      { ...json, allocations: [{ ...allocation, address: 'ab' }] },
      /allocations\[0\]\.address/,
    ],
    [
      'an allocation amount not decimal',
      { ...json, allocations: [{ ...allocation, amount: '0x10' }] },
      /allocations\[0\]\.amount/,
    ],
    [
      'an allocation amount over u64',
      { ...json, allocations: [{ ...allocation, amount: '18446744073709551616' }] },
      /allocations\[0\]\.amount/,
    ],
    [
      'an allocation amount 0',
      { ...json, allocations: [{ ...allocation, amount: '0' }] },
      /allocations\[0\]\.amount must be > 0/,
    ],
    [
      'an allocation field unknown',
      { ...json, allocations: [{ ...allocation, memo: 'x' }] },
      /allocations\[0\]\.memo/,
    ],
    [
      'an address allocated twice',
      { ...json, allocations: [allocation, allocation] },
      /allocations\[1\]\.address is allocated twice/,
    ],
    [
      'allocations over u64 in total',
      {
        ...json,
        allocations: [allocation, { ...(json.allocations[1] as object), amount: '18446744073709551615' }],
      },
      /allocations add up/,
    ],
    ['initialTarget not hex', { ...json, initialTarget: 'zz'.repeat(32) }, /initialTarget/],
    ['initialTarget zero', { ...json, initialTarget: '00'.repeat(32) }, /initialTarget must not be 0/],
    ['targetBlockTimeMs 0', { ...json, targetBlockTimeMs: 0 }, /targetBlockTimeMs/],
    ['retargetInterval 1', { ...json, retargetInterval: 1 }, /retargetInterval must be 0 \(never\) or ≥ 2/],
    ['retargetInterval fractional', { ...json, retargetInterval: 2.5 }, /retargetInterval/],
    ['blockReward negative', { ...json, blockReward: '-1' }, /blockReward/],
    ['maxBlockBytes over a frame', { ...json, maxBlockBytes: MAX_BLOCK_BYTES + 1 }, /maxBlockBytes/],
    ['maxBlockBytes too small for a coinbase', { ...json, maxBlockBytes: 200 }, /maxBlockBytes/],
    ['maxFutureDriftMs a string', { ...json, maxFutureDriftMs: '7200000' }, /maxFutureDriftMs/],
  ])('refuses %s with a TypeError naming the field', (_name, input, message) => {
    expect(() => paramsFromJson(input)).toThrow(TypeError)
    expect(() => paramsFromJson(input)).toThrow(message)
  })
})
