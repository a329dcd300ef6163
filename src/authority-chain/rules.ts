/**
 * The rules that need no account state (docs/authority-chain.md "Validity"): a header
 * against its parent and the validator set, a body against its header, a transaction by
 * itself and against the height it would be included at. Each returns the Refusal of the
 * first rule broken, or undefined. Browser-safe.
 */
import { equalBytes, toHex } from '../wire/bytes.ts'
import { MAX_FUTURE_DRIFT_MS, MAX_TRANSACTION_LIFETIME } from './constants.ts'
import { AuthorityCode, invalid, type Refusal, refused } from './errors.ts'
import { transactionId, txRootOfIds } from './hashing.ts'
import { verifyHeaderSignature, verifyTransactionSignature } from './keys.ts'
import type {
  AuthorityBlock,
  AuthorityGenesis,
  AuthorityHeader,
  AuthorityTransaction,
  Hash,
} from './types.ts'

/** What a header's rules need of its parent. */
export interface ParentOf {
  height: number
  timestamp: number
}

/** The proposer of `height`: validators rotate, one height each. */
export function proposerIndex(height: number, validatorCount: number): number {
  return height % validatorCount
}

/**
 * A header's rules against its parent (the caller has matched parentHash): height, the
 * proposer's turn, timestamp after the parent's, the proposer's signature, all provable
 * (`invalid`); then, if `now` is given, a timestamp at most MAX_FUTURE_DRIFT_MS ahead of
 * it (`refused`: our clock may be the one behind).
 */
export function checkHeader(
  header: AuthorityHeader,
  parent: ParentOf,
  genesis: AuthorityGenesis,
  now?: number,
): Refusal | undefined {
  if (header.height !== parent.height + 1) {
    return invalid(AuthorityCode.BadHeight, `height ${header.height} on a parent at ${parent.height}`)
  }
  const turn = proposerIndex(header.height, genesis.validators.length)
  if (header.proposer !== turn) {
    return invalid(
      AuthorityCode.WrongProposer,
      `height ${header.height} is validator ${turn}'s, not ${header.proposer}'s`,
    )
  }
  if (header.timestamp <= parent.timestamp) {
    return invalid(AuthorityCode.BadTimestamp, `timestamp ${header.timestamp} is not after its parent's`)
  }
  if (!verifyHeaderSignature(header, genesis.validators[turn] as Uint8Array, genesis.chainId)) {
    return invalid(AuthorityCode.BadSignature, `header ${header.height} is not signed by validator ${turn}`)
  }
  if (now !== undefined && header.timestamp > now + MAX_FUTURE_DRIFT_MS) {
    return refused(
      AuthorityCode.FutureTimestamp,
      `timestamp ${header.timestamp} is ahead of this node's clock`,
    )
  }
  return undefined
}

/** A transaction's own rules: an amount, another recipient, its sender's signature. */
export function checkTransaction(tx: AuthorityTransaction, chainId: string): Refusal | undefined {
  if (tx.amount === 0n) return invalid(AuthorityCode.BadTransaction, 'a transfer of 0')
  if (equalBytes(tx.from, tx.to)) return invalid(AuthorityCode.BadTransaction, 'a transfer to its sender')
  if (!verifyTransactionSignature(tx, chainId)) {
    return invalid(AuthorityCode.BadTransactionSignature, 'not signed by its sender')
  }
  return undefined
}

/** Whether `tx` may be included at `height`: height ≤ expiry ≤ height + MAX_TRANSACTION_LIFETIME (`invalid` in a block). */
export function checkExpiry(tx: AuthorityTransaction, height: number): Refusal | undefined {
  if (tx.expiry < height) return invalid(AuthorityCode.Expired, `expired at ${tx.expiry}, before ${height}`)
  if (tx.expiry > height + MAX_TRANSACTION_LIFETIME) {
    return invalid(
      AuthorityCode.ExpiryTooFar,
      `expiry ${tx.expiry} is over ${MAX_TRANSACTION_LIFETIME} past ${height}`,
    )
  }
  return undefined
}

/**
 * The body against its header: the ids hash to its txRoot (BAD_TX_ROOT: this body is not
 * the header's, which says nothing of the header), and no id twice.
 */
export function bodyMatches(block: AuthorityBlock): { ids: Hash[] } | Refusal {
  const ids = block.transactions.map(transactionId)
  if (!equalBytes(txRootOfIds(ids), block.header.txRoot)) {
    return invalid(AuthorityCode.BadTxRoot, 'the transactions are not the ones its header names')
  }
  const seen = new Set<string>()
  for (const id of ids) {
    const hex = toHex(id)
    if (seen.has(hex)) return invalid(AuthorityCode.DuplicateTransaction, `transaction ${hex} twice`)
    seen.add(hex)
  }
  return { ids }
}

/**
 * Every transaction's own rules and expiry at the block's height. The body matched the
 * header first, so a failure here condemns the header (its txRoot commits to this body).
 */
export function checkTransactions(block: AuthorityBlock, chainId: string): Refusal | undefined {
  for (const tx of block.transactions) {
    const refusal = checkTransaction(tx, chainId) ?? checkExpiry(tx, block.header.height)
    if (refusal !== undefined) return refusal
  }
  return undefined
}

export function isRefusal(value: object): value is Refusal {
  return 'status' in value
}
