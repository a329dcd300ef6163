/**
 * The reference chain's sizes on the wire (src/ports/chain.ts ChainShape; docs/chain.md
 * "Header: 185 bytes", "Transaction: 152 bytes", "Block"). protocols/blocks.md and
 * protocols/mempool.md carry encodings of these sizes on a PAW network. Browser-safe.
 */
import type { ChainShape } from '../../ports/chain.ts'
import { BLOCK_PREFIX_LENGTH, HASH_LENGTH, HEADER_LENGTH, TRANSACTION_LENGTH } from '../encoding.ts'
import { MAX_BLOCK_BYTES } from '../params.ts'

/** A block encoding is the header, a u32 count and count × 152-byte transactions: 189 + 152·n bytes. */
function isReferenceBlockLength(length: number): boolean {
  return (
    Number.isInteger(length) &&
    length >= BLOCK_PREFIX_LENGTH &&
    length <= MAX_BLOCK_BYTES &&
    (length - BLOCK_PREFIX_LENGTH) % TRANSACTION_LENGTH === 0
  )
}

export const REFERENCE_SHAPE: ChainShape = Object.freeze({
  headerBytes: HEADER_LENGTH,
  transactionBytes: TRANSACTION_LENGTH,
  hashBytes: HASH_LENGTH,
  maxBlockBytes: MAX_BLOCK_BYTES,
  isBlockLength: isReferenceBlockLength,
})
