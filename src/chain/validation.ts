/**
 * The consensus rules (docs/chain.md "Validation"): each refusal is a ChainError whose
 * code names the rule. Three entry points:
 *
 * - validateHeader: what a light node can check with headers alone (chain, height, link,
 *   proof of work, target, timestamp);
 * - validateBlock: everything a full node checks, against the state at the parent;
 * - validateTransaction: one transaction against a state, for the mempool.
 *
 * Browser-safe.
 */
import { equalBytes, toHex } from '../wire/bytes.ts'
import { describeAmount } from './amount.ts'
import { encodedBlockLength, encodeTransaction, MAX_U64 } from './encoding.ts'
import { ChainError, ChainErrorCode, type ChainErrorCodeValue } from './errors.ts'
import { blockHash, merkleRoot, txHash } from './hashing.ts'
import { type HeaderLookup, meetsTarget, nextTarget } from './pow.ts'
import { verifyTransactionSignature } from './signing.ts'
import { applyBlock, type BlockUndo, getAccount, StateOverlay, type StateView } from './state.ts'
import type { StateRootAfter } from './state-commitment.ts'
import type { PendingUpdate } from './state-tree/index.ts'
import type { Block, BlockHeader, ChainParams, Transaction } from './types.ts'

/** A block's timestamp must exceed the median of this many before it (Bitcoin's rule). */
export const MEDIAN_TIME_BLOCKS = 11

/** What header validation needs beyond the header and its parent. */
export interface ValidationContext {
  params: ChainParams
  /**
   * Headers of the branch being extended, by height: ancestors of the parent (heights
   * below the parent's), which is the best chain only when the parent is on it. Used for
   * the median time and at retarget heights.
   */
  getHeaderAtHeight: HeaderLookup
  /** The validating node's clock, ms since the epoch. @default Date.now() */
  now?: number
}

function refuse(code: ChainErrorCodeValue, message: string): never {
  throw new ChainError(code, message)
}

function isZero(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0) return false
  return true
}

async function headerAt(
  height: number,
  parent: BlockHeader,
  getHeaderAtHeight: HeaderLookup,
): Promise<BlockHeader> {
  if (height === parent.height) return parent
  const header = await getHeaderAtHeight(height)
  if (header === undefined)
    refuse(ChainErrorCode.UnknownParent, `no header at height ${height} on this branch`)
  return header
}

/**
 * The median timestamp of the parent and the up to 10 blocks before it; with an even
 * count (near genesis), the upper middle one.
 */
export async function medianTimePast(parent: BlockHeader, getHeaderAtHeight: HeaderLookup): Promise<number> {
  const timestamps: number[] = []
  const first = Math.max(0, parent.height - MEDIAN_TIME_BLOCKS + 1)
  for (let height = first; height <= parent.height; height++) {
    timestamps.push((await headerAt(height, parent, getHeaderAtHeight)).timestamp)
  }
  timestamps.sort((a, b) => a - b)
  return timestamps[Math.floor(timestamps.length / 2)] as number
}

/**
 * The header rules, in this order: a canonical header (MALFORMED), the chain ID
 * (WRONG_CHAIN), height = parent + 1 (BAD_HEIGHT), previousHash = the parent's hash
 * (UNKNOWN_PARENT), hash ≤ its own target (BAD_PROOF_OF_WORK: cheap, so checked before
 * anything that looks up other headers), target = the one retargeting requires
 * (BAD_TARGET), timestamp > the median of the previous 11 and ≤ now + maxFutureDriftMs
 * (BAD_TIMESTAMP). A timestamp too far ahead may become valid later: do not ban for it.
 */
export async function validateHeader(
  header: BlockHeader,
  parent: BlockHeader,
  context: ValidationContext,
): Promise<void> {
  const { params, getHeaderAtHeight } = context
  const hash = blockHash(header)
  if (header.chainId !== params.chainId) {
    refuse(ChainErrorCode.WrongChain, `chain ${header.chainId}, expected ${params.chainId}`)
  }
  if (header.height !== parent.height + 1) {
    refuse(ChainErrorCode.BadHeight, `height ${header.height} on a parent at ${parent.height}`)
  }
  if (!equalBytes(header.previousHash, blockHash(parent))) {
    refuse(ChainErrorCode.UnknownParent, 'previousHash is not the parent block hash')
  }
  if (!meetsTarget(hash, header.target)) {
    refuse(ChainErrorCode.BadProofOfWork, 'block hash is above its target')
  }
  const required = await nextTarget(params, parent, getHeaderAtHeight)
  if (!equalBytes(header.target, required)) {
    refuse(ChainErrorCode.BadTarget, `target ${toHex(header.target)}, required ${toHex(required)}`)
  }
  const median = await medianTimePast(parent, getHeaderAtHeight)
  if (header.timestamp <= median) {
    refuse(ChainErrorCode.BadTimestamp, `timestamp ${header.timestamp} is not after the median ${median}`)
  }
  const latest = (context.now ?? Date.now()) + params.maxFutureDriftMs
  if (header.timestamp > latest) {
    refuse(ChainErrorCode.BadTimestamp, `timestamp ${header.timestamp} is more than the allowed drift ahead`)
  }
}

function checkTransferRules(tx: Transaction): void {
  if (isZero(tx.from)) refuse(ChainErrorCode.BadTransaction, 'only a coinbase is sent from the zero address')
  if (tx.amount === 0n) refuse(ChainErrorCode.BadTransaction, 'amount is 0')
  if (equalBytes(tx.from, tx.to)) refuse(ChainErrorCode.BadTransaction, 'sender and recipient are the same')
  if (tx.nonce === MAX_U64) refuse(ChainErrorCode.BadTransaction, 'nonce leaves no next nonce')
  if (tx.amount + tx.fee > MAX_U64) refuse(ChainErrorCode.BadTransaction, 'amount + fee overflows a u64')
}

/**
 * A transaction's rules that need no state: a canonical encoding (MALFORMED), not from
 * the zero address (only a coinbase is), amount > 0, from ≠ to, nonce < 2^64 − 1 and
 * amount + fee ≤ 2^64 − 1 (BAD_TRANSACTION).
 */
export function checkTransactionFields(tx: Transaction): void {
  encodeTransaction(tx)
  checkTransferRules(tx)
}

/**
 * The coinbase rule (BAD_COINBASE): exactly one, first, from the zero address, nonce =
 * height (so two coinbases never share a hash), fee 0, a zero signature, and amount =
 * blockReward + the block's fees.
 */
function checkCoinbase(block: Block, params: ChainParams): void {
  const { transactions, header } = block
  const coinbase = transactions[0]
  if (coinbase === undefined) refuse(ChainErrorCode.BadCoinbase, 'block has no coinbase')
  if (!isZero(coinbase.from))
    refuse(ChainErrorCode.BadCoinbase, 'first transaction is not from the zero address')
  if (coinbase.nonce !== BigInt(header.height)) {
    refuse(ChainErrorCode.BadCoinbase, `coinbase nonce ${coinbase.nonce}, expected height ${header.height}`)
  }
  if (coinbase.fee !== 0n) refuse(ChainErrorCode.BadCoinbase, 'coinbase fee is not 0')
  if (!isZero(coinbase.signature)) refuse(ChainErrorCode.BadCoinbase, 'coinbase signature is not zero')
  let fees = 0n
  for (let i = 1; i < transactions.length; i++) {
    const tx = transactions[i] as Transaction
    if (isZero(tx.from)) refuse(ChainErrorCode.BadCoinbase, `transaction ${i} is a second coinbase`)
    fees += tx.fee
  }
  const expected = params.blockReward + fees
  if (coinbase.amount !== expected) {
    refuse(ChainErrorCode.BadCoinbase, `coinbase pays ${coinbase.amount}, expected ${expected}`)
  }
}

/**
 * The body rules that need no state, given that the header is valid: the size
 * (BLOCK_TOO_LARGE), canonical transactions (MALFORMED), no transaction twice
 * (DUPLICATE_TRANSACTION), the Merkle root (BAD_TX_ROOT), the coinbase (BAD_COINBASE),
 * each transfer's fields (BAD_TRANSACTION) and signature (BAD_SIGNATURE). A light node
 * that fetched a body for a header it holds can run this alone. BLOCK_TOO_LARGE,
 * MALFORMED, DUPLICATE_TRANSACTION and BAD_TX_ROOT condemn this body, not the header
 * (see merkleRoot); once the root matches a list without duplicates, the header commits
 * to exactly these transactions, and later refusals condemn the header too.
 */
export function checkBlockBody(block: Block, params: ChainParams): void {
  const size = encodedBlockLength(block)
  if (size > params.maxBlockBytes) {
    refuse(ChainErrorCode.BlockTooLarge, `block is ${size} bytes, over ${params.maxBlockBytes}`)
  }
  const { transactions } = block
  const hashes = transactions.map(txHash)
  const seen = new Set<string>()
  for (const hash of hashes) {
    const key = toHex(hash)
    if (seen.has(key)) refuse(ChainErrorCode.DuplicateTransaction, `transaction ${key} appears twice`)
    seen.add(key)
  }
  if (!equalBytes(merkleRoot(hashes), block.header.txRoot)) {
    refuse(ChainErrorCode.BadTxRoot, 'txRoot is not the Merkle root of the transactions')
  }
  checkCoinbase(block, params)
  for (let i = 1; i < transactions.length; i++) checkTransferRules(transactions[i] as Transaction)
  for (let i = 1; i < transactions.length; i++) {
    if (!verifyTransactionSignature(transactions[i] as Transaction, params.chainId)) {
      refuse(ChainErrorCode.BadSignature, `transaction ${i} has a bad signature`)
    }
  }
}

/** A block that passed every rule: the state after it, not yet written anywhere. */
export interface ValidatedBlock {
  /** The parent's state with the block applied (commit it to the parent state to accept). */
  overlay: StateOverlay
  undo: BlockUndo
  /** The state tree's version after the block, its root the header's stateRoot: commit it with the block. */
  stateRoot: PendingUpdate
}

/**
 * Every rule: the size first (before hashing megabytes), the header (validateHeader),
 * the body (checkBlockBody), then the transfers in order against the parent's state
 * (BAD_NONCE: a sender's transactions in one block carry consecutive nonces;
 * INSUFFICIENT_BALANCE; BAD_TRANSACTION for a recipient balance overflow; BAD_COINBASE
 * if the miner's would), and last the header's stateRoot against the root of the state
 * after the block, which `stateRootAfter` computes (BAD_STATE_ROOT). `parentState` is not
 * changed: the result holds the state after the block for the caller to commit.
 */
export async function validateBlock(
  block: Block,
  parent: BlockHeader,
  parentState: StateView,
  context: ValidationContext,
  stateRootAfter: StateRootAfter,
): Promise<ValidatedBlock> {
  const size = encodedBlockLength(block)
  if (size > context.params.maxBlockBytes) {
    refuse(ChainErrorCode.BlockTooLarge, `block is ${size} bytes, over ${context.params.maxBlockBytes}`)
  }
  await validateHeader(block.header, parent, context)
  checkBlockBody(block, context.params)
  const overlay = new StateOverlay(parentState)
  const undo = applyBlock(overlay, block)
  const stateRoot = checkStateRoot(
    block,
    stateRootAfter(
      overlay,
      undo.previous.map(([key]) => key),
    ),
  )
  return { overlay, undo, stateRoot }
}

/** Rule 20 (BAD_STATE_ROOT) for a block whose state after it is `pending`; returns it. */
export function checkStateRoot(block: Block, pending: PendingUpdate): PendingUpdate {
  if (!equalBytes(pending.root, block.header.stateRoot)) {
    refuse(
      ChainErrorCode.BadStateRoot,
      `block ${block.header.height}: stateRoot ${toHex(block.header.stateRoot)}, the state after it has ${toHex(pending.root)}`,
    )
  }
  return pending
}

/**
 * One transaction against `state` (for the mempool): its fields, its signature for
 * params.chainId, nonce = the sender's next (BAD_NONCE), and a balance covering amount +
 * fee (INSUFFICIENT_BALANCE). To accept a sender's second pending transaction, pass a
 * state with the first applied (a StateOverlay), so nonce and balance count both.
 */
export function validateTransaction(tx: Transaction, state: StateView, params: ChainParams): void {
  checkTransactionFields(tx)
  if (!verifyTransactionSignature(tx, params.chainId)) refuse(ChainErrorCode.BadSignature, 'bad signature')
  const sender = getAccount(state, tx.from)
  if (tx.nonce !== sender.nonce)
    refuse(ChainErrorCode.BadNonce, `nonce ${tx.nonce}, expected ${sender.nonce}`)
  if (sender.balance < tx.amount + tx.fee) {
    refuse(
      ChainErrorCode.InsufficientBalance,
      `balance ${describeAmount(sender.balance)}, needs ${describeAmount(tx.amount + tx.fee)}`,
    )
  }
}
