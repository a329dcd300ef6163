/**
 * The sample block of protocols/gossip.md and blocks.md, built from the reference chain's
 * code: height 1 on the paw-devnet genesis, a coinbase and two transfers between the
 * devnet's funded accounts 0 and 1 (src/chain/params.ts `devnetAccount`), its stateRoot the
 * state tree's root after it (docs/chain.md "State tree"), mined from nonce 0. Every step
 * is deterministic (Ed25519 signatures are), so the bytes are the same on every run.
 *
 * What the generator can check without trusting the encoder, it checks: the header bytes
 * against the layout of protocols/gossip.md "Headers topic" written out by hand, and the
 * stateRoot against the plain model of the tree (test/chain/state-tree/model.ts) over the
 * whole state after the block. The block is then validated as a full node would.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import {
  encodeBlock,
  encodeHeader,
  encodeTransaction,
  HASH_LENGTH,
  HEADER_VERSION,
  SIGNATURE_LENGTH,
} from '../../../src/chain/encoding.ts'
import { genesisBlock, genesisState } from '../../../src/chain/genesis.ts'
import { blockHash, txRoot } from '../../../src/chain/hashing.ts'
import { BASE_UNITS_PER_PAW, devnetAccount, PAW_DEVNET } from '../../../src/chain/params.ts'
import { meetsTarget, mineHeader, nextTarget } from '../../../src/chain/pow.ts'
import { signTransaction } from '../../../src/chain/signing.ts'
import { applyBlock } from '../../../src/chain/state.ts'
import { blockState, stateTreeOf, treeChanges } from '../../../src/chain/state-commitment.ts'
import { accountKey, accountValue } from '../../../src/chain/state-tree/index.ts'
import type { Block, BlockHeader, Transaction } from '../../../src/chain/types.ts'
import { validateBlock } from '../../../src/chain/validation.ts'
import { fromHex, toHex, utf8Encode } from '../../../src/wire/bytes.ts'
import { modelRoot } from '../../chain/state-tree/model.ts'

const params = PAW_DEVNET

/** The sample block and what the vector files show of it, in hex. */
export interface SampleBlock {
  chainId: string
  genesisHash: string
  block: Block
  hex: string
  header: string
  hash: string
  txRoot: string
  stateRoot: string
  /** The coinbase, then t1 and t2 (152-byte encodings). */
  transactions: string[]
  /** A block of its coinbase-only sibling (gossip.md "Message IDs"): not mined. */
  coinbaseOnly: string
}

/** The u64 BE encoding of `value`. */
function u64(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(value))
  return out
}

/**
 * The header as protocols/gossip.md "Headers topic" lays it out, field by field: version,
 * chain ID field (UTF-8, zero-padded to 32), height, previousHash, timestamp, txRoot,
 * stateRoot, target, nonce.
 */
export function layoutHeader(header: BlockHeader): Uint8Array {
  const chainId = new Uint8Array(32)
  chainId.set(utf8Encode(header.chainId))
  const fields = [
    Uint8Array.of(header.version),
    chainId,
    u64(header.height),
    header.previousHash,
    u64(header.timestamp),
    header.txRoot,
    header.stateRoot,
    header.target,
    u64(header.nonce),
  ]
  return Uint8Array.from(fields.flatMap((field) => [...field]))
}

function coinbase(height: number, amount: bigint, to: Uint8Array): Transaction {
  return {
    from: new Uint8Array(32),
    to,
    amount,
    fee: 0n,
    nonce: BigInt(height),
    signature: new Uint8Array(SIGNATURE_LENGTH),
  }
}

/** The model's root over the whole state after `block` on genesis. */
function modelStateRoot(block: Block): Uint8Array {
  const after = genesisState(params)
  applyBlock(after, block)
  const leaves = new Map<string, Uint8Array>()
  for (const [address, account] of after) {
    const value = accountValue(account)
    if (value !== undefined) leaves.set(toHex(accountKey(fromHex(address))), value)
  }
  return modelRoot(leaves)
}

function check(what: string, ok: boolean): void {
  if (!ok) throw new Error(`sample block: ${what}`)
}

export async function buildSampleBlock(): Promise<SampleBlock> {
  const genesis = genesisBlock(params)
  const state = genesisState(params)
  const tree = stateTreeOf(state)
  const [a0, a1] = [devnetAccount(0), devnetAccount(1)]
  // tx1 and tx2 of protocols/mempool.md, signed by funded keys: alice's and bob's are not.
  const t1 = signTransaction(
    { from: a0.address, to: a1.address, amount: BASE_UNITS_PER_PAW, fee: 10_000n, nonce: 0n },
    a0.privateKey,
    params.chainId,
  )
  const t2 = signTransaction(
    { from: a1.address, to: a0.address, amount: BASE_UNITS_PER_PAW / 2n, fee: 5_000n, nonce: 0n },
    a1.privateKey,
    params.chainId,
  )
  const draft: BlockHeader = {
    version: HEADER_VERSION,
    chainId: params.chainId,
    height: 1,
    previousHash: blockHash(genesis.header),
    timestamp: genesis.header.timestamp + params.targetBlockTimeMs,
    txRoot: new Uint8Array(HASH_LENGTH),
    stateRoot: new Uint8Array(HASH_LENGTH),
    target: await nextTarget(params, genesis.header, (height) => (height === 0 ? genesis.header : undefined)),
    nonce: 0n,
  }
  /** `transactions` under `draft`, with their txRoot and the stateRoot after them. */
  const sealed = (transactions: Transaction[]): Block => {
    const header = { ...draft, txRoot: txRoot(transactions) }
    const after = blockState(tree, genesis.header.stateRoot, state, { header, transactions })
    return { header: { ...header, stateRoot: after.stateRoot.root }, transactions }
  }

  const fees = t1.fee + t2.fee
  const unmined = sealed([coinbase(1, params.blockReward + fees, a1.address), t1, t2])
  const header = await mineHeader(unmined.header)
  if (header === undefined) throw new Error('sample block: not mined')
  const block: Block = { header, transactions: unmined.transactions }

  const only = sealed([coinbase(1, params.blockReward, a0.address)])
  check(
    'the coinbase-only block meets the target at nonce 0',
    !meetsTarget(blockHash(only.header), only.header.target),
  )

  for (const { header: h } of [block, only]) {
    check(
      'encodeHeader differs from the documented layout',
      toHex(encodeHeader(h)) === toHex(layoutHeader(h)),
    )
    check('blockHash is not SHA-256 of the header', toHex(blockHash(h)) === toHex(sha256(layoutHeader(h))))
  }
  check('stateRoot differs from the model', toHex(block.header.stateRoot) === toHex(modelStateRoot(block)))
  check(
    'coinbase-only stateRoot differs from the model',
    toHex(only.header.stateRoot) === toHex(modelStateRoot(only)),
  )
  const validated = await validateBlock(
    block,
    genesis.header,
    state,
    { params, now: block.header.timestamp, getHeaderAtHeight: (h) => (h === 0 ? genesis.header : undefined) },
    (view, touched) => tree.prepare(treeChanges(touched, view), { base: genesis.header.stateRoot }),
  )
  check(
    'validation found another stateRoot',
    toHex(validated.stateRoot.root) === toHex(block.header.stateRoot),
  )

  return {
    chainId: params.chainId,
    genesisHash: toHex(blockHash(genesis.header)),
    block,
    hex: toHex(encodeBlock(block)),
    header: toHex(encodeHeader(block.header)),
    hash: toHex(blockHash(block.header)),
    txRoot: toHex(block.header.txRoot),
    stateRoot: toHex(block.header.stateRoot),
    transactions: block.transactions.map((tx) => toHex(encodeTransaction(tx))),
    coinbaseOnly: toHex(encodeBlock(only)),
  }
}
