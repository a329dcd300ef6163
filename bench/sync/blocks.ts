/**
 * Valid blocks for bench/sync, built without validating them (the chains that store them
 * do that): transfers signed with node:crypto (test/support/bulk-sign.ts), a coinbase of
 * reward + fees, txRoot, stateRoot, and a header mined on the test chain's trivial target. Block k's
 * timestamp is the genesis timestamp + k s, so a chain of up to 3,600 blocks is never ahead
 * of the clock (testChainParams puts genesis an hour back).
 */
import { SIGNATURE_LENGTH } from '../../src/chain/encoding.ts'
import { genesisBlock, genesisState } from '../../src/chain/genesis.ts'
import { blockHash, txRoot } from '../../src/chain/hashing.ts'
import { mineHeader } from '../../src/chain/pow.ts'
import { blockState, stateTreeOf } from '../../src/chain/state-commitment.ts'
import type { Address, Block, BlockHeader, ChainParams, Transaction } from '../../src/chain/types.ts'
import { type BulkAccount, signBulk } from '../../test/support/bulk-sign.ts'

const MINER: Address = new Uint8Array(32).fill(0x4d)
const TO: Address = new Uint8Array(32).fill(9)

function coinbase(height: number, amount: bigint): Transaction {
  return {
    from: new Uint8Array(32),
    to: MINER,
    amount,
    fee: 0n,
    nonce: BigInt(height),
    signature: new Uint8Array(SIGNATURE_LENGTH),
  }
}

/**
 * `blocks` blocks on the genesis of `params`, each with `perBlock` transfers: every account
 * sends perBlock / accounts.length per block, nonces ascending across blocks.
 */
export async function buildBlocks(
  params: ChainParams,
  accounts: readonly BulkAccount[],
  blocks: number,
  perBlock: number,
): Promise<Block[]> {
  if (perBlock % accounts.length !== 0) throw new RangeError('accounts must divide the block size')
  const perAccount = perBlock / accounts.length
  const out: Block[] = []
  let parent = genesisBlock(params).header
  const state = genesisState(params)
  const tree = stateTreeOf(state, { keep: 1 })
  for (let k = 0; k < blocks; k++) {
    const transfers: Transaction[] = []
    for (let i = 0; i < perBlock; i++) {
      const account = accounts[i % accounts.length] as BulkAccount
      const nonce = BigInt(k * perAccount + Math.floor(i / accounts.length))
      transfers.push(signBulk(params.chainId, account, TO, nonce))
    }
    const height = parent.height + 1
    const fees = transfers.reduce((sum, tx) => sum + tx.fee, 0n)
    const transactions = [coinbase(height, params.blockReward + fees), ...transfers]
    const draft: BlockHeader = {
      version: 2,
      chainId: params.chainId,
      height,
      previousHash: blockHash(parent),
      timestamp: params.genesisTimestamp + height * 1_000,
      txRoot: txRoot(transactions),
      stateRoot: parent.stateRoot,
      target: parent.target,
      nonce: 0n,
    }
    const after = blockState(tree, parent.stateRoot, state, { header: draft, transactions })
    draft.stateRoot = after.stateRoot.root
    after.overlay.commit(state)
    after.stateRoot.commit()
    tree.prune()
    const header = await mineHeader(draft, { maxIterations: 1_000_000 })
    if (header === undefined) throw new Error('mining failed on the test target')
    out.push({ header, transactions })
    parent = header
  }
  return out
}
