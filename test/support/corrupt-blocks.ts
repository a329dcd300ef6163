/**
 * Chains that lie, for sync tests (serve them with wireBlocks): the headers are the honest
 * chain's, so a syncing node picks the chain, but the bodies are wrong.
 */
import { decodeHeader, HEADER_LENGTH } from '../../src/chain/encoding.ts'
import { referenceFullPort } from '../../src/chain/port/full-port.ts'
import type { Chain, TransactionPool } from '../../src/chain/types.ts'
import type { BlockServingChain } from '../../src/protocols/blocks/types.ts'

/**
 * How a served block is corrupted:
 * - 'signature': one bit of the last transaction's signature flipped (the header, hence the
 *   block hash, is intact: only the txRoot check can tell);
 * - 'other-block': the encoding of its parent instead (a valid block, not the one asked for).
 */
export type Corruption = 'signature' | 'other-block'

/** `chain`'s headers, honestly; its blocks, corrupted as `how` says (genesis served as is). */
export function corruptedSource(
  full: { chain: Chain; mempool: TransactionPool },
  how: Corruption,
): BlockServingChain & { served: number } {
  const port = referenceFullPort({ ...full, events: { admitted: () => {}, invalid: () => {} } })
  const source = {
    served: 0,
    shape: port.shape,
    tip: () => port.tip(),
    encodedHeaders: (fromHeight: number, count: number) => port.encodedHeaders(fromHeight, count),
    readHeader: (encoded: Uint8Array) => port.readHeader(encoded),
    readBlock: (encoded: Uint8Array) => port.readBlock(encoded),
    async encodedBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
      const encoded = await port.encodedBlock(hash)
      if (encoded === undefined) return undefined
      const header = decodeHeader(encoded.subarray(0, HEADER_LENGTH))
      if (header.height === 0) return encoded
      source.served++
      if (how === 'other-block') return port.encodedBlock(header.previousHash)
      const copy = encoded.slice()
      copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01
      return copy
    },
  }
  return source
}
