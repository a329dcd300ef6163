/**
 * TRANSACTION_REQUEST (protocols/mempool.md "TRANSACTION_REQUEST alone"): a stream whose
 * first frame is `get_transactions`, answered by one `transactions` frame that must match
 * the request. What it brings is returned to the caller, not added to the mempool.
 */
import { fromHex } from '../../wire/bytes.ts'
import { MAX_TRANSACTIONS_PER_REQUEST } from '../../wire/mempool.ts'

/**
 * The hashes of `ids` (hex transaction hashes, 1..256, distinct), in order.
 * @throws RangeError for no ids or more than 256; TypeError for an id that is not 64 hex
 *   digits, or one given twice
 */
export function requestHashes(ids: readonly string[]): Uint8Array[] {
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_TRANSACTIONS_PER_REQUEST) {
    throw new RangeError(
      `a transaction request holds 1..${MAX_TRANSACTIONS_PER_REQUEST} ids, got ${Array.isArray(ids) ? ids.length : typeof ids}`,
    )
  }
  const seen = new Set<string>()
  return ids.map((id) => {
    if (typeof id !== 'string' || !/^[0-9a-fA-F]{64}$/.test(id)) {
      throw new TypeError(`a transaction id is 64 hex digits (a 32-byte hash), got ${JSON.stringify(id)}`)
    }
    const key = id.toLowerCase()
    if (seen.has(key)) throw new TypeError(`transaction id ${key} is listed twice`)
    seen.add(key)
    return fromHex(key)
  })
}
