/**
 * The reference chain's side of the transaction pool port (src/ports/transaction-pool.ts):
 * encodes what the mempool holds, and decodes and admits what peers fetched for it. The
 * network layer sees encodings and ids only. Browser-safe.
 */
import type { FetchedOutcome, FetchedTransaction, TransactionPoolPort } from '../../ports/transaction-pool.ts'
import { toHex } from '../../wire/bytes.ts'
import { decodeTransaction, encodeTransaction } from '../encoding.ts'
import { type ChainError, isChainError, PROVABLY_INVALID_CODES } from '../errors.ts'
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
