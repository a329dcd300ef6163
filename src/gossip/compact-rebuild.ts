/**
 * A block rebuilt from a compact block and the mempool (protocols/compact-blocks.md
 * "Rebuilding"): the prefilled transactions at their places, and for each short id the one
 * pool transaction with that short id. A short id that matches no pool transaction, or
 * more than one, or that the message itself lists twice, leaves its place missing: the
 * receiver asks for those by index (BIP152: ask rather than guess; a wrong guess would only
 * show as a wrong transaction root later).
 *
 * Ids first, encodings after: the transaction root is checked from the ids (the chain's
 * BlockParts.commits) and the block forwarded before the pool is asked for the encodings
 * its import needs (`takeFromPool`). Browser-safe.
 */
import type { TransactionPoolPort } from '../ports/transaction-pool.ts'
import { equalBytes, fromHex } from '../wire/bytes.ts'
import {
  type CompactBlock,
  SHORT_ID_BYTES,
  shortIdKey,
  shortIdNumber,
  shortIdValue,
} from '../wire/compact-block.ts'

export interface Rebuilt {
  /** Every place's transaction id, where known. */
  ids: Array<Uint8Array | undefined>
  /** Every place's encoding, where held: prefilled and fetched ones; the pool's after takeFromPool. */
  transactions: Array<Uint8Array | undefined>
  /** Places matched in the pool, with the pool's id (hex). */
  pooled: Map<number, string>
  /** The places still unknown, in increasing order. */
  missing: number[]
  /** Short ids that named two pool transactions, or that the message listed twice. */
  collisions: number
}

/**
 * Rebuilds `compact` (whose block id is `blockId`) from `pool` (every pending id, through
 * its port) and the prefilled transactions (their ids by `transactionId`, the chain's). A
 * prefilled transaction the chain does not read leaves its place missing.
 */
export function rebuildFromPool(
  compact: CompactBlock,
  blockId: Uint8Array,
  pool: Pick<TransactionPoolPort, 'bestIds'>,
  transactionId: (encoded: Uint8Array) => Uint8Array | undefined,
): Rebuilt {
  const n = compact.transactionCount
  const ids: Array<Uint8Array | undefined> = new Array(n)
  const transactions: Array<Uint8Array | undefined> = new Array(n)
  const prefilledAt = new Set<number>()
  for (const { index, transaction } of compact.prefilled) {
    prefilledAt.add(index)
    const id = transactionId(transaction)
    if (id === undefined) continue
    ids[index] = id
    transactions[index] = transaction
  }
  // Places not prefilled take the short ids in order; -1 marks a short id proved ambiguous.
  const wanted = new Map<number, number>()
  let collisions = 0
  let place = 0
  for (let at = 0; at < compact.shortIds.length; at += SHORT_ID_BYTES) {
    while (prefilledAt.has(place)) place++
    const id = shortIdNumber(compact.shortIds, at)
    if (wanted.has(id)) {
      if (wanted.get(id) !== -1) collisions++
      wanted.set(id, -1)
    } else {
      wanted.set(id, place)
    }
    place++
  }
  const key = shortIdKey(blockId, compact.nonce)
  const pooled = new Map<number, string>()
  if (wanted.size > 0) {
    for (const hex of pool.bestIds(Number.MAX_SAFE_INTEGER)) {
      const id = fromHex(hex)
      const sid = shortIdValue(key, id)
      const at = wanted.get(sid)
      if (at === undefined || at === -1) continue
      if (pooled.has(at)) {
        // Two pool transactions with one short id: which one the block holds is unknown.
        pooled.delete(at)
        ids[at] = undefined
        wanted.set(sid, -1)
        collisions++
        continue
      }
      pooled.set(at, hex)
      ids[at] = id
    }
  }
  return { ids, transactions, pooled, missing: missingOf(ids), collisions }
}

/** The places whose id is still unknown. */
export function missingOf(ids: ReadonlyArray<Uint8Array | undefined>): number[] {
  const missing: number[] = []
  for (let at = 0; at < ids.length; at++) if (ids[at] === undefined) missing.push(at)
  return missing
}

/**
 * Takes the encodings of the pool's matches from `pool`; the places whose transaction has
 * left the pool since (mined, evicted) are returned, to be fetched.
 */
export function takeFromPool(rebuilt: Rebuilt, pool: Pick<TransactionPoolPort, 'encoded'>): number[] {
  const gone: number[] = []
  for (const [at, hex] of rebuilt.pooled) {
    const encoded = pool.encoded(hex)
    if (encoded === undefined) gone.push(at)
    else rebuilt.transactions[at] = encoded
  }
  return gone.sort((a, b) => a - b)
}

/**
 * Whether `compact` describes exactly the block of `transactions` and `transactionIds`
 * (prefilled bytes, count, and every short id), once the real block is known: false means
 * the message, not a collision in our pool, is wrong.
 */
export function compactDescribes(
  compact: CompactBlock,
  blockId: Uint8Array,
  transactions: readonly Uint8Array[],
  transactionIds: readonly Uint8Array[],
): boolean {
  if (compact.transactionCount !== transactions.length) return false
  const prefilledAt = new Set<number>()
  for (const { index, transaction } of compact.prefilled) {
    const real = transactions[index]
    if (real === undefined || !equalBytes(real, transaction)) return false
    prefilledAt.add(index)
  }
  const key = shortIdKey(blockId, compact.nonce)
  let at = 0
  for (let place = 0; place < transactions.length; place++) {
    if (prefilledAt.has(place)) continue
    if (shortIdNumber(compact.shortIds, at) !== shortIdValue(key, transactionIds[place] as Uint8Array))
      return false
    at += SHORT_ID_BYTES
  }
  return true
}
