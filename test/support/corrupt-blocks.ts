/**
 * BlocksSources that lie, for sync tests (serve them with wireBlocks): the headers are the
 * honest chain's, so a syncing node picks the chain, but the bodies are wrong.
 */
import { decodeHeader, HEADER_LENGTH } from '../../src/chain/encoding.ts'
import type { Chain } from '../../src/chain/types.ts'
import type { BlocksSource } from '../../src/protocols/blocks/blocks-protocol.ts'

/**
 * How a served block is corrupted:
 * - 'signature': one bit of the last transaction's signature flipped (the header, hence the
 *   block hash, is intact: only the txRoot check can tell);
 * - 'other-block': the encoding of its parent instead (a valid block, not the one asked for).
 */
export type Corruption = 'signature' | 'other-block'

/** `chain`'s headers, honestly; its blocks, corrupted as `how` says (genesis served as is). */
export function corruptedSource(chain: Chain, how: Corruption): BlocksSource & { served: number } {
  const source = {
    served: 0,
    tip: () => chain.tip(),
    getHeaders: (fromHeight: number, count: number) => chain.getHeaders(fromHeight, count),
    async getEncodedBlock(hash: Uint8Array): Promise<Uint8Array | undefined> {
      const encoded = await chain.getEncodedBlock(hash)
      if (encoded === undefined) return undefined
      const header = decodeHeader(encoded.subarray(0, HEADER_LENGTH))
      if (header.height === 0) return encoded
      source.served++
      if (how === 'other-block') return chain.getEncodedBlock(header.previousHash)
      const copy = encoded.slice()
      copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01
      return copy
    },
  }
  return source
}
