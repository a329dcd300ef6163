/**
 * PAW nodes with real chains for e2e tests: a full node's ReferenceChain and mempool, or a
 * light node's HeaderChain, each on its own in-memory store, on a test chain whose genesis
 * funds as many accounts as a test needs and whose proof of work is trivial.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { PawNode, PawNodeInit } from '../../src/api/index.ts'
import { type FullChain, openFullChain } from '../../src/chain/full-chain.ts'
import { HeaderChain } from '../../src/chain/header-chain.ts'
import { buildTemplate } from '../../src/chain/miner.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import { bigIntToTarget, MAX_TARGET_VALUE, mineHeader } from '../../src/chain/pow.ts'
import { type Account, accountFromPrivateKey, signTransaction } from '../../src/chain/signing.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { Address, Block, ChainParams, Transaction } from '../../src/chain/types.ts'
import { TEST_CHAIN } from './nodes.ts'

/** Deterministic test accounts: the key of account i is SHA-256("paw-test-account-i"). */
export function testAccounts(count: number): Account[] {
  return Array.from({ length: count }, (_, index) =>
    accountFromPrivateKey(sha256(new TextEncoder().encode(`paw-test-account-${index}`))),
  )
}

/** A chain for tests: every hash meets the target, no retargeting, `accounts` funded. */
export function testChainParams(accounts: readonly Account[], chainId = TEST_CHAIN): ChainParams {
  return {
    ...PAW_DEVNET,
    chainId,
    genesisTimestamp: Date.now() - 3_600_000,
    allocations: accounts.map((account) => ({ address: account.address, amount: 1_000_000_000_000n })),
    initialTarget: bigIntToTarget(MAX_TARGET_VALUE),
    retargetInterval: 0,
  }
}

export function openTestFullChain(params: ChainParams): Promise<FullChain> {
  return openFullChain({ params, store: new MemoryBlockStore() })
}

export function openTestHeaderChain(params: ChainParams): Promise<HeaderChain> {
  return HeaderChain.open({ params, store: new MemoryBlockStore() })
}

/** A transfer from `from` with the given nonce (fee 1,000 base units unless given). */
export function transfer(
  params: ChainParams,
  from: Account,
  to: Address,
  nonce: bigint,
  options: { amount?: bigint; fee?: bigint } = {},
): Transaction {
  return signTransaction(
    { from: from.address, to, amount: options.amount ?? 1_000n, fee: options.fee ?? 1_000n, nonce },
    from.privateKey,
    params.chainId,
  )
}

/** The next block on `full`'s tip with its mempool's best transactions, mined (not added). */
export async function nextBlock(
  full: FullChain,
  reward: Address = new Uint8Array(32).fill(7),
): Promise<Block> {
  const { block } = await buildTemplate(full.chain, full.mempool, reward, Date.now())
  const header = await mineHeader(block.header)
  if (header === undefined) throw new Error('mining failed')
  return { header, transactions: block.transactions }
}

export interface ChainNode {
  node: PawNode
  full: FullChain | undefined
  headers: HeaderChain | undefined
}

/**
 * Starts a full (default) or light node on a fresh chain of `params` through `start`
 * (e.g. trackedNodes().node, so it is stopped after the test).
 */
export async function startChainNode(
  start: (init: PawNodeInit) => Promise<PawNode>,
  params: ChainParams,
  init: PawNodeInit & { type?: 'full' | 'light' } = {},
): Promise<ChainNode> {
  const { type = 'full', ...rest } = init
  if (type === 'light') {
    const headers = await openTestHeaderChain(params)
    const node = await start({ chainId: params.chainId, nodeType: 'light', chain: { headers }, ...rest })
    return { node, full: undefined, headers }
  }
  const full = await openTestFullChain(params)
  const node = await start({ chainId: params.chainId, nodeType: 'full', chain: full, ...rest })
  return { node, full, headers: undefined }
}
