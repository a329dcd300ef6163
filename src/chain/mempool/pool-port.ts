/**
 * The reference chain's side of the transaction pool port (src/ports/transaction-pool.ts,
 * src/ports/chain.ts ChainPool): encodes what the mempool holds, and decodes and admits
 * what peers fetched or gossiped. The network layer sees encodings and ids only.
 * Browser-safe.
 */
import type { ChainPool, GossipedTransaction, Judgement } from '../../ports/chain.ts'
import type { FetchedOutcome, FetchedTransaction, TransactionPoolPort } from '../../ports/transaction-pool.ts'
import { toHex } from '../../wire/bytes.ts'
import { decodeReceivedTransaction, decodeTransaction, encodeTransaction } from '../encoding.ts'
import { type ChainError, ChainErrorCode, isChainError, PROVABLY_INVALID_CODES } from '../errors.ts'
import { txHash } from '../hashing.ts'
import { judgementOf } from '../port/judgement.ts'
import type { Transaction, TransactionPool } from '../types.ts'

export interface PoolPortEvents {
  /** A fetched transaction was added to the pool. */
  admitted(transaction: Transaction, id: string, from: string): void
  /** A fetched transaction no valid one can be: `from` vouched for it. */
  invalid(from: string, error: ChainError): void
}

interface Decoded {
  entry: FetchedTransaction
  transaction: Transaction
}

/**
 * `decoded` with each sender's transactions in nonce order, in the positions that sender
 * held: the inventory is in fee order, and a sender's later nonce would be refused before
 * its predecessor.
 */
export function nonceOrdered<T extends { transaction: Transaction }>(decoded: readonly T[]): T[] {
  const bySender = new Map<string, T[]>()
  for (const item of decoded) {
    const sender = toHex(item.transaction.from)
    const list = bySender.get(sender) ?? []
    list.push(item)
    bySender.set(sender, list)
  }
  for (const list of bySender.values()) {
    list.sort((a, b) =>
      a.transaction.nonce < b.transaction.nonce ? -1 : a.transaction.nonce > b.transaction.nonce ? 1 : 0,
    )
  }
  const next = new Map<string, number>()
  return decoded.map((item) => {
    const sender = toHex(item.transaction.from)
    const index = next.get(sender) ?? 0
    next.set(sender, index + 1)
    return (bySender.get(sender) as T[])[index] as T
  })
}

export function transactionPoolPort(pool: TransactionPool, events: PoolPortEvents): TransactionPoolPort {
  return {
    has: (id) => pool.has(id),
    encoded: (id) => {
      const transaction = pool.get(id)
      return transaction === undefined ? undefined : encodeTransaction(transaction)
    },
    bestIds: (max) => pool.bestIds(max),
    admitFetched(fetched, from) {
      const outcomes = new Map<string, FetchedOutcome>()
      const decoded: Decoded[] = []
      for (const entry of fetched) {
        try {
          decoded.push({ entry, transaction: decodeTransaction(entry.encoded) })
        } catch (error) {
          if (!isChainError(error)) throw error
          outcomes.set(entry.id, 'invalid')
          events.invalid(from, error)
        }
      }
      for (const { entry, transaction } of nonceOrdered(decoded)) {
        try {
          pool.add(transaction)
          outcomes.set(entry.id, 'admitted')
          events.admitted(transaction, entry.id, from)
        } catch (error) {
          if (!isChainError(error)) throw error
          const invalid = PROVABLY_INVALID_CODES.has(error.code)
          outcomes.set(entry.id, invalid ? 'invalid' : 'refused')
          if (invalid) events.invalid(from, error)
        }
      }
      return outcomes
    },
  }
}

/** What an admitted transaction of `from` at `nonce` unblocks, and what its successor waits for. */
function nonceKey(from: Uint8Array, nonce: bigint): string {
  return `${toHex(from)}:${nonce}`
}

/**
 * Judges and admits a gossiped transaction. The mempool keeps no future nonces
 * (mempool.ts), and gossip takes different paths, so nonce n + 1 can overtake n: a
 * BAD_NONCE above 0 is `early`, held by gossip until the sender's previous nonce is
 * admitted (it `provides` the key this one `waitsFor`) or a short wait expires. The pool
 * cannot tell a nonce ahead of the sender's from one already spent without the tip state,
 * so both wait: a spent one just expires. Nonce 0 can wait for nothing.
 */
export function admitGossiped(pool: TransactionPool, encoded: Uint8Array): GossipedTransaction<Transaction> {
  let transaction: Transaction
  try {
    transaction = decodeReceivedTransaction(encoded)
  } catch (error) {
    if (!isChainError(error)) throw error
    return judgementOf(error, 'transaction')
  }
  const id = txHash(transaction)
  if (pool.has(toHex(id))) {
    return { status: 'refused', code: ChainErrorCode.DuplicateTransaction, reason: 'already pending' }
  }
  try {
    pool.add(transaction)
  } catch (error) {
    if (!isChainError(error)) throw error
    if (error.code === ChainErrorCode.BadNonce && transaction.nonce > 0n) {
      return {
        status: 'early',
        waitsFor: nonceKey(transaction.from, transaction.nonce - 1n),
        group: toHex(transaction.from),
        code: error.code,
        reason: error.message,
        cause: error,
      }
    }
    return judgementOf(error, 'transaction')
  }
  return {
    status: 'accepted',
    value: { id, decoded: transaction, provides: nonceKey(transaction.from, transaction.nonce) },
  }
}

/** Admits a transaction this node's own user submits; a refusal carries the ChainError as `cause`. */
export function admitLocal(
  pool: TransactionPool,
  encoded: Uint8Array,
): Judgement<{ id: Uint8Array; decoded: Transaction; evicted: string[] }> {
  try {
    const transaction = decodeTransaction(encoded)
    const { evicted } = pool.add(transaction)
    return { status: 'accepted', value: { id: txHash(transaction), decoded: transaction, evicted } }
  } catch (error) {
    if (!isChainError(error)) throw error
    return judgementOf(error, 'transaction')
  }
}

/** The reference chain's ChainPool: the pool port, gossip admission and the user's own. */
export function referenceChainPool(pool: TransactionPool, events: PoolPortEvents): ChainPool<Transaction> {
  return {
    ...transactionPoolPort(pool, events),
    admitGossiped: (encoded) => admitGossiped(pool, encoded),
    admitLocal: (encoded) => admitLocal(pool, encoded),
  }
}
