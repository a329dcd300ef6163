/**
 * What the network asks of an encoding (src/ports/chain.ts readHeader, readBlock,
 * transactionId), answered from the bytes alone: no signature is checked here, only what
 * the encoding says and whether a body is its header's. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { BlockSummary, ChainShape, HeaderSummary } from '../ports/chain.ts'
import { equalBytes } from '../wire/bytes.ts'
import { BLOCK_WEIGHT } from './block-tree.ts'
import { HASH_BYTES, HEADER_BYTES, MAX_BLOCK_BYTES, TRANSACTION_BYTES } from './constants.ts'
import { decodeBlock, decodeHeader, decodeTransaction, isBlockLength } from './encoding.ts'
import { bodyMatches, isRefusal } from './rules.ts'
import type { AuthorityBlock, AuthorityHeader, Hash } from './types.ts'

/** The authority chain's sizes on the wire (docs/authority-chain.md "Byte layouts"). */
export const AUTHORITY_SHAPE: ChainShape = Object.freeze({
  headerBytes: HEADER_BYTES,
  transactionBytes: TRANSACTION_BYTES,
  hashBytes: HASH_BYTES,
  maxBlockBytes: MAX_BLOCK_BYTES,
  isBlockLength,
})

/** A header's summary and decoded form; throws a MalformedError if the bytes are not one. */
export function readHeaderEncoding(encoded: Uint8Array): { summary: HeaderSummary; header: AuthorityHeader } {
  const header = decodeHeader(encoded)
  return {
    header,
    summary: {
      hash: sha256(encoded),
      parentHash: header.parentHash,
      height: header.height,
      weight: BLOCK_WEIGHT,
    },
  }
}

export interface ReadBlock {
  summary: BlockSummary
  block: AuthorityBlock
  ids: Hash[]
}

/**
 * A block encoding read and its body checked against its header; undefined if it is not a
 * block or its body is not its header's. `genesisEncoding` is this chain's genesis: its
 * txRoot is the genesis commitment, so it is recognised by its bytes.
 */
export function readBlockEncoding(encoded: Uint8Array, genesisEncoding: Uint8Array): ReadBlock | undefined {
  let block: AuthorityBlock
  try {
    block = decodeBlock(encoded)
  } catch {
    return undefined
  }
  let ids: Hash[] = []
  if (!equalBytes(encoded, genesisEncoding)) {
    const matched = bodyMatches(block)
    if (isRefusal(matched)) return undefined
    ids = matched.ids
  }
  const headerEncoding = encoded.slice(0, HEADER_BYTES)
  const header: HeaderSummary = {
    hash: sha256(headerEncoding),
    parentHash: block.header.parentHash,
    height: block.header.height,
    weight: BLOCK_WEIGHT,
  }
  return { summary: { header, headerEncoding, transactionIds: ids }, block, ids }
}

/** A transaction encoding's id (SHA-256 of its 156 bytes); undefined if it is not one. */
export function transactionIdOf(encoded: Uint8Array): Uint8Array | undefined {
  try {
    decodeTransaction(encoded)
  } catch {
    return undefined
  }
  return sha256(encoded)
}
