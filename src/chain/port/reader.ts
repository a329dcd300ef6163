/**
 * What the network learns of the reference chain's encodings (src/ports/chain.ts
 * readHeader, readBlock, transactionId): ids, links, heights and fork-choice weight, read
 * without any state. Browser-safe.
 */
import type { BlockSummary, HeaderSummary, TipSummary } from '../../ports/chain.ts'
import { equalBytes, toHex } from '../../wire/bytes.ts'
import { decodeBlock, decodeHeader, decodeReceivedTransaction, encodeHeader } from '../encoding.ts'
import { blockHash, merkleRoot, txHash } from '../hashing.ts'
import { workForTarget } from '../pow.ts'
import type { BlockHeader, ChainPosition } from '../types.ts'

/** A decoded header's summary: its weight is the work its target proves (fork choice: most work). */
export function headerSummary(header: BlockHeader): HeaderSummary {
  return {
    hash: blockHash(header),
    parentHash: header.previousHash.slice(),
    height: header.height,
    weight: workForTarget(header.target),
  }
}

/** @throws ChainError MALFORMED if `encoded` is not a header */
export function readReferenceHeader(encoded: Uint8Array): HeaderSummary {
  return headerSummary(decodeHeader(encoded))
}

/**
 * The block's summary, or undefined unless its body is its header's: the transactions'
 * Merkle root is the header's txRoot and no transaction is listed twice. A repeated last
 * transaction keeps the root (docs/chain.md "Hashing", CVE-2012-2459), so without the
 * second check a forged body could take the real block's id (gossip/message-id.ts).
 */
export function readReferenceBlock(encoded: Uint8Array): BlockSummary | undefined {
  let block: ReturnType<typeof decodeBlock>
  try {
    block = decodeBlock(encoded)
  } catch {
    return undefined
  }
  const transactionIds = block.transactions.map(txHash)
  if (new Set(transactionIds.map(toHex)).size !== transactionIds.length) return undefined
  if (!equalBytes(merkleRoot(transactionIds), block.header.txRoot)) return undefined
  return {
    header: headerSummary(block.header),
    headerEncoding: encodeHeader(block.header),
    transactionIds,
  }
}

/** The transaction's hash (its id), or undefined if `encoded` is not a transaction. */
export function referenceTransactionId(encoded: Uint8Array): Uint8Array | undefined {
  try {
    return txHash(decodeReceivedTransaction(encoded))
  } catch {
    return undefined
  }
}

/** A chain position as the port's tip: the reference chain's weight is its total work. */
export function tipSummary(position: ChainPosition): TipSummary {
  return { hash: position.hash, height: position.height, totalWeight: position.totalWork }
}
