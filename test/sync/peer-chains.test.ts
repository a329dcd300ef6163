/**
 * Fork choice among peer chains (peer-chains.ts): by the weight the chain gives each header,
 * summed beyond the common ancestor, never by length.
 */
import { describe, expect, it } from 'vitest'
import type { HeaderSummary } from '../../src/ports/chain.ts'
import { heaviest, moreWeightThanOurs, type PeerChain } from '../../src/sync/peer-chains.ts'

/** Headers at heights ancestor + 1 … each of `weight`, ids from `fork`. */
function peerChain(peer: string, ancestor: number, weights: number[], fork = peer): PeerChain {
  const headers: HeaderSummary[] = weights.map((weight, i) => ({
    hash: new TextEncoder().encode(`${fork}-${ancestor + 1 + i}`),
    parentHash: new Uint8Array(),
    height: ancestor + 1 + i,
    weight: BigInt(weight),
  }))
  return { peer, ancestor, headers, weight: headers.reduce((sum, h) => sum + h.weight, 0n) }
}

/** Our chain: a header's encoding is its weight as one byte. */
function ours(weights: number[]) {
  return {
    tip: () => ({ hash: new Uint8Array(), height: weights.length, totalWeight: 0n }),
    readHeader: (encoded: Uint8Array): HeaderSummary => ({
      hash: encoded,
      parentHash: new Uint8Array(),
      height: 0,
      weight: BigInt(encoded[0] as number),
    }),
    encodedHeaders: async (from: number, count: number) =>
      [0, ...weights].slice(from, from + count).map((w) => Uint8Array.of(w)),
  }
}

describe('fork choice', () => {
  it('the heaviest peer chain leads, whatever its length; peers on its tip join it', () => {
    const long = peerChain('long', 0, [1, 1, 1, 1, 1, 1])
    const heavy = peerChain('heavy', 0, [3, 3, 3])
    const same = peerChain('same', 0, [3, 3, 3], 'heavy')
    expect(heaviest([long, heavy, same]).map((c) => c.peer)).toEqual(['heavy', 'same'])
    expect(heaviest([peerChain('empty', 4, [])])).toEqual([])
  })

  it('a peer chain is followed only with more weight beyond the ancestor than ours', async () => {
    const chain = ours([1, 1, 5, 5])
    // Ours beyond height 2: 10.
    expect(await moreWeightThanOurs(chain, [peerChain('p', 2, [5, 5])])).toEqual([])
    expect(await moreWeightThanOurs(chain, [peerChain('p', 2, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])])).toEqual([])
    expect(await moreWeightThanOurs(chain, [peerChain('p', 2, [6, 5])])).toHaveLength(1)
    expect(await moreWeightThanOurs(chain, [peerChain('p', 4, [1])])).toHaveLength(1)
  })
})
