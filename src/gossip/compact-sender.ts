/**
 * A block as the compact block its announcer floods (protocols/compact-blocks.md
 * "Sending"): the header, a fresh random nonce, the first transaction prefilled (the
 * reference chain's coinbase: no mempool can hold it) and a short id for every other.
 * Relays never build one: gossipsub forwards the message as received. Browser-safe.
 */
import type { BlockParts, ChainPortBase } from '../ports/chain.ts'
import {
  COMPACT_NONCE_BYTES,
  type CompactShape,
  encodeCompactBlock,
  SHORT_ID_BYTES,
  shortId,
  shortIdKey,
} from '../wire/compact-block.ts'

/** What building a compact block needs of the chain. */
export interface CompactSource {
  parts: BlockParts
  chain: Pick<ChainPortBase<unknown, unknown, unknown>, 'readBlock'>
  shape: CompactShape
}

/** A random nonce (crypto.getRandomValues: in Node and browsers alike). */
export function randomNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(COMPACT_NONCE_BYTES))
}

/**
 * The compact block of `encoded`, or undefined if the chain does not read it as a block.
 * `nonce` is random unless given (tests, vectors).
 */
export function buildCompactBlock(
  encoded: Uint8Array,
  source: CompactSource,
  nonce: Uint8Array = randomNonce(),
): Uint8Array | undefined {
  const summary = source.chain.readBlock(encoded)
  const parts = source.parts.split(encoded)
  if (summary === undefined || parts === undefined) return undefined
  const { transactions } = parts
  const n = transactions.length
  const prefilled = n === 0 ? [] : [{ index: 0, transaction: transactions[0] as Uint8Array }]
  const key = shortIdKey(summary.header.hash, nonce)
  const shortIds = new Uint8Array(Math.max(0, n - 1) * SHORT_ID_BYTES)
  for (let i = 1; i < n; i++) {
    shortIds.set(shortId(key, summary.transactionIds[i] as Uint8Array), (i - 1) * SHORT_ID_BYTES)
  }
  return encodeCompactBlock(
    { header: parts.header, nonce, transactionCount: n, prefilled, shortIds },
    source.shape,
  )
}
