/**
 * A block as the compact block its announcer floods (protocols/compact-blocks.md
 * "Sending"): the header, a fresh random nonce, the first transaction prefilled (the
 * reference chain's coinbase: no mempool can hold it) and those its own mempool lacked, and
 * a short id for every other.
 * Relays never build one: gossipsub forwards the message as received. Browser-safe.
 */
import type { BlockParts, BlockSummary, ChainPortBase } from '../ports/chain.ts'
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
 * The first transaction is prefilled, and so is every place in `prefill`: the transactions
 * the announcer's own mempool did not hold (protocols/compact-blocks.md "Sending"), which
 * it never relayed, so its peers would have to ask for them, a round trip per hop.
 * `nonce` is random unless given (tests, vectors).
 */
export function buildCompactBlock(
  encoded: Uint8Array,
  source: CompactSource,
  nonce: Uint8Array = randomNonce(),
  prefill: ReadonlySet<number> = new Set(),
): Uint8Array | undefined {
  const summary = source.chain.readBlock(encoded)
  return summary === undefined ? undefined : compactBlockOf(encoded, summary, source, nonce, prefill)
}

/**
 * buildCompactBlock for a block its caller has read already (`summary`, the chain's
 * readBlock of `encoded`): reading a block hashes every transaction of it.
 */
export function compactBlockOf(
  encoded: Uint8Array,
  summary: BlockSummary,
  source: Omit<CompactSource, 'chain'>,
  nonce: Uint8Array = randomNonce(),
  prefill: ReadonlySet<number> = new Set(),
): Uint8Array | undefined {
  const parts = source.parts.split(encoded)
  if (parts === undefined) return undefined
  const { transactions } = parts
  const n = transactions.length
  const isPrefilled = (index: number) => index === 0 || prefill.has(index)
  const prefilled: Array<{ index: number; transaction: Uint8Array }> = []
  for (let index = 0; index < n; index++) {
    if (isPrefilled(index)) prefilled.push({ index, transaction: transactions[index] as Uint8Array })
  }
  const key = shortIdKey(summary.header.hash, nonce)
  const shortIds = new Uint8Array((n - prefilled.length) * SHORT_ID_BYTES)
  for (let i = 1, at = 0; i < n; i++) {
    if (isPrefilled(i)) continue
    shortIds.set(shortId(key, summary.transactionIds[i] as Uint8Array), at)
    at += SHORT_ID_BYTES
  }
  return encodeCompactBlock(
    { header: parts.header, nonce, transactionCount: n, prefilled, shortIds },
    source.shape,
  )
}
