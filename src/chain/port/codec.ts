/**
 * The reference chain's encodings as the port's codec (src/ports/chain.ts ChainCodec), for
 * the node's API: the network layer moves the bytes and never calls these (docs/chain.md
 * "Byte layouts"). Browser-safe.
 */
import type { ChainCodec } from '../../ports/chain.ts'
import { decodeBlock, decodeHeader, decodeTransaction, encodeBlock, encodeTransaction } from '../encoding.ts'
import type { Block, BlockHeader, Transaction } from '../types.ts'

export const REFERENCE_CODEC: ChainCodec<Block, Transaction, BlockHeader> = Object.freeze({
  encodeBlock,
  decodeBlock: (encoded: Uint8Array) => decodeBlock(encoded),
  encodeTransaction,
  decodeTransaction: (encoded: Uint8Array) => decodeTransaction(encoded),
  decodeHeader: (encoded: Uint8Array) => decodeHeader(encoded),
})
