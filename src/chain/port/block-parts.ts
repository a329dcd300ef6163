/**
 * The reference chain's block encoding taken apart and put back (src/ports/chain.ts
 * BlockParts; docs/chain.md "Block: 189 + 152·n bytes"): the 185-byte header, a u32 BE
 * count n, then n 152-byte transactions. Compact relay moves the parts
 * (protocols/compact-blocks.md). Browser-safe.
 */
import type { BlockParts } from '../../ports/chain.ts'
import { equalBytes } from '../../wire/bytes.ts'
import { decodeHeader, HEADER_LENGTH, TRANSACTION_LENGTH } from '../encoding.ts'
import { merkleRoot } from '../hashing.ts'

const COUNT_BYTES = 4
const PREFIX = HEADER_LENGTH + COUNT_BYTES

export const REFERENCE_BLOCK_PARTS: BlockParts = {
  split(encoded) {
    if (encoded.length < PREFIX) return undefined
    const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength)
    const count = view.getUint32(HEADER_LENGTH)
    if (encoded.length !== PREFIX + count * TRANSACTION_LENGTH) return undefined
    const transactions: Uint8Array[] = []
    for (let i = 0, at = PREFIX; i < count; i++, at += TRANSACTION_LENGTH) {
      transactions.push(encoded.subarray(at, at + TRANSACTION_LENGTH))
    }
    return { header: encoded.subarray(0, HEADER_LENGTH), transactions }
  },
  join(header, transactions) {
    if (header.length !== HEADER_LENGTH) throw new RangeError(`a header is ${HEADER_LENGTH} bytes`)
    const out = new Uint8Array(PREFIX + transactions.length * TRANSACTION_LENGTH)
    out.set(header, 0)
    new DataView(out.buffer).setUint32(HEADER_LENGTH, transactions.length)
    transactions.forEach((transaction, i) => {
      if (transaction.length !== TRANSACTION_LENGTH)
        throw new RangeError(`a transaction is ${TRANSACTION_LENGTH} bytes`)
      out.set(transaction, PREFIX + i * TRANSACTION_LENGTH)
    })
    return out
  },
  commits(header, transactionIds) {
    let txRoot: Uint8Array
    try {
      txRoot = decodeHeader(header).txRoot
    } catch {
      return false
    }
    // No transaction twice: a repeated last one keeps the root (docs/chain.md "Hashing", reader.ts).
    if (hasRepeat(transactionIds)) return false
    return equalBytes(merkleRoot(transactionIds), txRoot)
  },
}

/** Whether an id is listed twice: bucketed by its first 6 bytes (a number), compared whole within a bucket. */
function hasRepeat(ids: readonly Uint8Array[]): boolean {
  const seen = new Map<number, Uint8Array[]>()
  for (const id of ids) {
    const key =
      (id[0] as number) * 2 ** 40 +
      (id[1] as number) * 2 ** 32 +
      (((id[2] as number) << 24) >>> 0) +
      (((id[3] as number) << 16) | ((id[4] as number) << 8) | (id[5] as number))
    const bucket = seen.get(key)
    if (bucket === undefined) seen.set(key, [id])
    else if (bucket.some((other) => equalBytes(other, id))) return true
    else bucket.push(id)
  }
  return false
}
