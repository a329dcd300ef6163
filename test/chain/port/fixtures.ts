/**
 * Real reference chains for the port adapter's tests: an easy target, blocks mined on
 * demand. Self-contained (not test/support/chain-nodes.ts, which imports the whole node).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { type FullChain, openFullChain } from '../../../src/chain/full-chain.ts'
import { txRoot } from '../../../src/chain/hashing.ts'
import { HeaderChain } from '../../../src/chain/header-chain.ts'
import { buildTemplate, coinbaseTransaction } from '../../../src/chain/miner.ts'
import { PAW_DEVNET } from '../../../src/chain/params.ts'
import { bigIntToTarget, MAX_TARGET_VALUE, mineHeader } from '../../../src/chain/pow.ts'
import { type Account, accountFromPrivateKey, signTransaction } from '../../../src/chain/signing.ts'
import { MemoryBlockStore } from '../../../src/chain/store/memory-store.ts'
import type { Address, Block, ChainParams, Transaction } from '../../../src/chain/types.ts'

const account = (index: number): Account =>
  accountFromPrivateKey(sha256(new TextEncoder().encode(`paw-test-account-${index}`)))

export const alice = account(0)
export const bob = account(1)
const MINER: Address = new Uint8Array(32).fill(7)

/** About 16 hashes a block: cheap to mine, and a nonce picked at random mostly fails. */
export const params: ChainParams = {
  ...PAW_DEVNET,
  chainId: 'paw-test',
  genesisTimestamp: Date.now() - 3_600_000,
  allocations: [alice, bob].map(({ address }) => ({ address, amount: 1_000_000_000_000n })),
  initialTarget: bigIntToTarget(MAX_TARGET_VALUE >> 4n),
  retargetInterval: 0,
}

export function openFull(chainParams: ChainParams = params): Promise<FullChain> {
  return openFullChain({ params: chainParams, store: new MemoryBlockStore() })
}

export function openHeaders(): Promise<HeaderChain> {
  return HeaderChain.open({ params, store: new MemoryBlockStore() })
}

export function transfer(from: Account, to: Address, nonce: bigint, amount = 1_000n): Transaction {
  return signTransaction(
    { from: from.address, to, amount, fee: 1_000n, nonce },
    from.privateKey,
    params.chainId,
  )
}

/** The next block on `full`'s tip with exactly `transfers` (not checked against the state), mined. */
export async function blockWith(full: FullChain, transfers: Transaction[], miner = MINER): Promise<Block> {
  const { block } = await buildTemplate(full.chain, { select: () => [] }, miner, Date.now())
  const fees = transfers.reduce((sum, tx) => sum + tx.fee, 0n)
  const transactions = [
    coinbaseTransaction(block.header.height, params.blockReward + fees, miner),
    ...transfers,
  ]
  const header = await mineHeader({ ...block.header, txRoot: txRoot(transactions) })
  if (header === undefined) throw new Error('mining failed')
  return { header, transactions }
}

/** Grows `full` by `count` blocks of its mempool's transactions, paying `miner`. */
export async function grow(full: FullChain, count: number, miner = MINER): Promise<Block[]> {
  const blocks: Block[] = []
  for (let i = 0; i < count; i++) {
    const { block } = await buildTemplate(full.chain, full.mempool, miner, Date.now())
    const header = await mineHeader(block.header)
    if (header === undefined) throw new Error('mining failed')
    const mined = { header, transactions: block.transactions }
    await full.chain.addBlock(mined)
    blocks.push(mined)
  }
  return blocks
}

export async function grownChain(count: number, miner = MINER): Promise<FullChain> {
  const full = await openFull()
  await grow(full, count, miner)
  return full
}
