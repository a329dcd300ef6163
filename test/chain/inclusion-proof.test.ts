/**
 * Transaction inclusion proofs (docs/chain.md "Inclusion proofs") against merkleRoot
 * (hashing.ts), the root a header's txRoot holds: every position of blocks of 1 to 70
 * transactions and samples of larger ones prove and verify; any other id, root, position
 * or byte is refused with its code; the CVE-2012-2459 twin positions, which reach the root,
 * are refused by the sibling rule; and protocols/inclusion-proof.vectors.json, rebuilt by
 * its generator, checked both ways.
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BLOCK_PREFIX_LENGTH, TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { merkleRoot } from '../../src/chain/hashing.ts'
import {
  decodeInclusionProof,
  encodeInclusionProof,
  inclusionProofSiblings,
  MAX_BLOCK_TRANSACTIONS,
  MAX_INCLUSION_DEPTH,
  MAX_INCLUSION_PROOF_BYTES,
  proveInclusion,
  verifyInclusion,
} from '../../src/chain/inclusion-proof.ts'
import { InclusionProofErrorCode, isInclusionProofError } from '../../src/chain/inclusion-proof-errors.ts'
import { MAX_BLOCK_BYTES } from '../../src/chain/params.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import { bytesOf, loadVectors } from '../support/vectors.ts'
import { buildInclusionVectors, type InclusionVectors, vectorsText } from './inclusion-proof-vectors.ts'

const BAD = InclusionProofErrorCode.BadProof
const MALFORMED = InclusionProofErrorCode.MalformedProof

/** node:crypto's SHA-256, apart from the code under test. */
const sha = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}
const idsOf = (count: number, salt = 0) =>
  Array.from({ length: count }, (_, i) => sha(Uint8Array.of(salt, i >>> 16, (i >>> 8) & 255, i & 255)))

function codeOf(run: () => unknown): string {
  try {
    run()
    return 'accepted'
  } catch (error) {
    return isInclusionProofError(error) ? error.code : String(error)
  }
}

/** Levels where index's node is the last of an odd level, from the plain rule of merkleRoot. */
function selfPairedLevels(count: number, index: number): number {
  let levels = 0
  for (let width = count, position = index; width > 1; width = Math.ceil(width / 2)) {
    if (position === width - 1 && width % 2 === 1) levels++
    position = Math.floor(position / 2)
  }
  return levels
}

/** The hash a path reaches, with no sibling rule: what a verifier without it would accept. */
function pathRoot(txId: Uint8Array, proofBytes: Uint8Array): Uint8Array {
  const { count, index, siblings } = decodeInclusionProof(proofBytes)
  let hash = txId
  let next = 0
  for (let width = count, position = index; width > 1; width = Math.ceil(width / 2)) {
    const last = position === width - 1 && width % 2 === 1
    const sibling = last ? hash : (siblings[next++] as Uint8Array)
    hash = position % 2 === 1 ? sha(sibling, hash) : sha(hash, sibling)
    position = Math.floor(position / 2)
  }
  return hash
}

describe('limits', () => {
  it('the largest block holds MAX_BLOCK_TRANSACTIONS transactions, 17 levels deep, proofs ≤ 552 bytes', () => {
    expect(BLOCK_PREFIX_LENGTH + MAX_BLOCK_TRANSACTIONS * TRANSACTION_LENGTH).toBeLessThanOrEqual(
      MAX_BLOCK_BYTES,
    )
    expect(BLOCK_PREFIX_LENGTH + (MAX_BLOCK_TRANSACTIONS + 1) * TRANSACTION_LENGTH).toBeGreaterThan(
      MAX_BLOCK_BYTES,
    )
    expect(MAX_BLOCK_TRANSACTIONS).toBe(68_983)
    expect(2 ** 16 < MAX_BLOCK_TRANSACTIONS && MAX_BLOCK_TRANSACTIONS <= 2 ** 17).toBe(true)
    expect(MAX_INCLUSION_DEPTH).toBe(17)
    expect(MAX_INCLUSION_PROOF_BYTES).toBe(8 + 32 * 17)
  })
})

describe('proofs of every position', () => {
  it('blocks of 1 to 70 transactions: each index verifies against merkleRoot, and no other id does', () => {
    for (let count = 1; count <= 70; count++) {
      const ids = idsOf(count)
      const root = merkleRoot(ids)
      const depth = Math.ceil(Math.log2(count))
      for (let index = 0; index < count; index++) {
        const proof = proveInclusion(ids, index)
        expect(proof.length).toBe(8 + 32 * (depth - selfPairedLevels(count, index)))
        expect(inclusionProofSiblings(count, index)).toBe((proof.length - 8) / 32)
        expect(verifyInclusion(root, ids[index] as Uint8Array, proof)).toEqual({ index, count })
        expect(toHex(encodeInclusionProof(decodeInclusionProof(proof)))).toBe(toHex(proof))
        for (const other of [index - 1, index + 1, count]) {
          const id = other === count ? sha(Uint8Array.of(0xee)) : ids[other]
          if (id !== undefined) expect(codeOf(() => verifyInclusion(root, id, proof))).toBe(BAD)
        }
        if (count > 1) {
          const changed = ids.map((id, i) => (i === (index + 1) % count ? sha(id) : id))
          expect(codeOf(() => verifyInclusion(merkleRoot(changed), ids[index] as Uint8Array, proof))).toBe(
            BAD,
          )
        }
      }
    }
  })

  for (const count of [1_000, 4_097, MAX_BLOCK_TRANSACTIONS]) {
    it(`${count.toLocaleString('en-US')} transactions: first, last and sampled indices`, () => {
      const ids = idsOf(count, 1)
      const root = merkleRoot(ids)
      const indices =
        count === MAX_BLOCK_TRANSACTIONS
          ? [0, count - 1]
          : [
              0,
              1,
              511,
              512,
              513,
              count >> 1,
              count - 2,
              count - 1,
              ...Array.from({ length: 8 }, (_, i) => (i * 1237) % count),
            ]
      for (const index of indices) {
        const proof = proveInclusion(ids, index)
        expect(proof.length).toBeLessThanOrEqual(MAX_INCLUSION_PROOF_BYTES)
        expect(verifyInclusion(root, ids[index] as Uint8Array, proof)).toEqual({ index, count })
        expect(codeOf(() => verifyInclusion(root, ids[(index + 1) % count] as Uint8Array, proof))).toBe(BAD)
      }
      if (count === MAX_BLOCK_TRANSACTIONS)
        expect(proveInclusion(ids, 0).length).toBe(MAX_INCLUSION_PROOF_BYTES)
      // 4,097 = 2^12 + 1: the last transaction pairs with itself at each of 12 levels, then one sibling.
      if (count === 4_097) expect(proveInclusion(ids, count - 1).length).toBe(8 + 32)
    })
  }
})

describe('refused proofs', () => {
  const ids = idsOf(11)
  const root = merkleRoot(ids)

  it('any flipped bit in the index or a sibling: ERR_BAD or ERR_MALFORMED, never accepted', () => {
    for (const index of [0, 5, 9, 10]) {
      const proof = proveInclusion(ids, index)
      for (let bit = 32; bit < proof.length * 8; bit++) {
        const changed = proof.slice()
        changed[bit >> 3] ^= 0x80 >> (bit & 7)
        const code = codeOf(() => verifyInclusion(root, ids[index] as Uint8Array, changed))
        expect(code === BAD || code === MALFORMED, `bit ${bit} of index ${index}'s proof: ${code}`).toBe(true)
        if (bit >= 64) expect(code).toBe(BAD)
      }
    }
  })

  it('truncated or extended bytes are malformed', () => {
    for (const index of [0, 4, 10]) {
      const proof = proveInclusion(ids, index)
      const id = ids[index] as Uint8Array
      expect(codeOf(() => verifyInclusion(root, id, proof.subarray(0, proof.length - 1)))).toBe(MALFORMED)
      expect(codeOf(() => verifyInclusion(root, id, proof.subarray(0, proof.length - 32)))).toBe(MALFORMED)
      expect(codeOf(() => verifyInclusion(root, id, Uint8Array.from([...proof, 0])))).toBe(MALFORMED)
      expect(
        codeOf(() => verifyInclusion(root, id, Uint8Array.from([...proof, ...(ids[0] as Uint8Array)]))),
      ).toBe(MALFORMED)
    }
  })

  it('a wrong count changes the shape: malformed, or a path that misses the root', () => {
    const proof = proveInclusion(ids, 10)
    for (const count of [1, 10, 12, 16, 17, 100]) {
      const changed = proof.slice()
      new DataView(changed.buffer).setUint32(0, count)
      expect(codeOf(() => verifyInclusion(root, ids[10] as Uint8Array, changed))).not.toBe('accepted')
    }
  })

  it('CVE-2012-2459 twins reach the root, and the sibling rule refuses them', () => {
    for (let count = 3; count <= 41; count += 2) {
      const odd = idsOf(count, 2)
      const last = odd[count - 1] as Uint8Array
      const { siblings } = decodeInclusionProof(proveInclusion(odd, count - 1))
      // [.., last] and [.., last, last] share a root: last at index count of count + 1.
      const twin = encodeInclusionProof({ count: count + 1, index: count, siblings: [last, ...siblings] })
      const padded = [...odd, last]
      expect(toHex(merkleRoot(padded))).toBe(toHex(merkleRoot(odd)))
      expect(toHex(twin)).toBe(toHex(encodeInclusionProof(decodeInclusionProof(twin))))
      expect(toHex(pathRoot(last, twin))).toBe(toHex(merkleRoot(odd)))
      expect(codeOf(() => verifyInclusion(merkleRoot(odd), last, twin))).toBe(BAD)
      expect(() => proveInclusion(padded, count)).toThrow(TypeError)
    }
  })

  it('not proven, as documented: the count, and that the id is a leaf', () => {
    const five = idsOf(5)
    const proof = proveInclusion(five, 0)
    for (const count of [6, 7, 8]) {
      const claimed = proof.slice()
      new DataView(claimed.buffer).setUint32(0, count)
      expect(verifyInclusion(merkleRoot(five), five[0] as Uint8Array, claimed)).toEqual({ index: 0, count })
    }
    // An internal node, claimed as the first of two: only a txHash (152-byte preimage) can't be one.
    const four = idsOf(4)
    const left = sha(four[0] as Uint8Array, four[1] as Uint8Array)
    const right = sha(four[2] as Uint8Array, four[3] as Uint8Array)
    const internal = encodeInclusionProof({ count: 2, index: 0, siblings: [right] })
    expect(verifyInclusion(merkleRoot(four), left, internal)).toEqual({ index: 0, count: 2 })
  })

  it('the prover and encoder refuse what has no proof', () => {
    expect(() => proveInclusion([], 0)).toThrow(TypeError)
    expect(() => proveInclusion(idsOf(3), 3)).toThrow(RangeError)
    expect(() => proveInclusion(idsOf(3), -1)).toThrow(RangeError)
    expect(() => proveInclusion(idsOf(3), 0.5)).toThrow(RangeError)
    expect(() => proveInclusion([new Uint8Array(31)], 0)).toThrow(TypeError)
    const [a, b] = idsOf(2) as [Uint8Array, Uint8Array]
    expect(() => proveInclusion([a, a, b], 0)).toThrow(TypeError)
    expect(() => encodeInclusionProof({ count: 5, index: 0, siblings: [a, b] })).toThrow(TypeError)
    expect(() => encodeInclusionProof({ count: 0, index: 0, siblings: [] })).toThrow(TypeError)
    expect(() => encodeInclusionProof({ count: 2, index: 0, siblings: [new Uint8Array(33)] })).toThrow(
      TypeError,
    )
    expect(() => verifyInclusion(new Uint8Array(31), a, proveInclusion([a], 0))).toThrow(TypeError)
  })
})

describe('properties', () => {
  it('every position of any block proves, and any changed byte is refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 255 }),
        (count, i, at, xor) => {
          const ids = idsOf(count, 3)
          const index = i % count
          const root = merkleRoot(ids)
          const proof = proveInclusion(ids, index)
          expect(verifyInclusion(root, ids[index] as Uint8Array, proof)).toEqual({ index, count })
          const changed = proof.slice()
          const offset = 4 + (at % (proof.length - 4))
          changed[offset] ^= xor === 0 ? 1 : xor
          expect(codeOf(() => verifyInclusion(root, ids[index] as Uint8Array, changed))).not.toBe('accepted')
        },
      ),
      { numRuns: 200 },
    )
  })

  it('any bytes decode to a proof that re-encodes to them, or are refused as malformed', () => {
    const prefix = fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 }))
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 300 }), fc.boolean(), ([count, index], tail, raw) => {
        const head = new Uint8Array(8)
        new DataView(head.buffer).setUint32(0, count)
        new DataView(head.buffer).setUint32(4, index)
        const bytes = raw ? tail : Uint8Array.from([...head, ...tail.subarray(0, tail.length & ~31)])
        const code = codeOf(() => decodeInclusionProof(bytes))
        if (code === 'accepted')
          expect(toHex(encodeInclusionProof(decodeInclusionProof(bytes)))).toBe(toHex(bytes))
        else expect(code).toBe(MALFORMED)
      }),
      { numRuns: 500 },
    )
  })
})

describe('inclusion proof vectors', () => {
  const vectors = loadVectors<InclusionVectors>('inclusion-proof')
  const blockNamed = (name: string) => {
    const block = vectors.blocks.find((b) => b.name === name)
    if (block === undefined) throw new Error(`no block ${name} in the vectors`)
    return { ids: block.txIds.map(fromHex), root: fromHex(block.root) }
  }

  it('the file is what its generator builds', () => {
    // Stale after a change to the code or to gossip.vectors.json's sample block: rebuild with
    // ./node_modules/.bin/node test/chain/inclusion-proof-vectors.ts, and review the diff.
    expect(vectorsText(vectors)).toBe(vectorsText(buildInclusionVectors()))
  })

  it('limits', () => {
    expect(vectors.limits).toEqual({
      hashLength: 32,
      maxTransactions: MAX_BLOCK_TRANSACTIONS,
      maxDepth: MAX_INCLUSION_DEPTH,
      maxProofBytes: MAX_INCLUSION_PROOF_BYTES,
    })
  })

  for (const block of vectors.blocks) {
    it(`root of ${block.name}`, () => {
      const { ids, root } = blockNamed(block.name)
      expect(toHex(merkleRoot(ids))).toBe(toHex(root))
    })
  }

  for (const p of vectors.proofs) {
    it(`proof: ${p.name}`, () => {
      const { ids, root } = blockNamed(p.block)
      expect(toHex(ids[p.index] as Uint8Array)).toBe(p.txId)
      expect(toHex(proveInclusion(ids, p.index))).toBe(p.encoding)
      const decoded = decodeInclusionProof(fromHex(p.encoding))
      expect({ count: decoded.count, index: decoded.index }).toEqual({ count: p.count, index: p.index })
      expect(toHex(encodeInclusionProof(decoded))).toBe(p.encoding)
      expect(verifyInclusion(root, fromHex(p.txId), fromHex(p.encoding))).toEqual({
        index: p.index,
        count: p.count,
      })
    })
  }

  for (const b of vectors.bad) {
    it(`refused as not proving: ${b.name}`, () => {
      const input = fromHex(b.input)
      expect(toHex(encodeInclusionProof(decodeInclusionProof(input)))).toBe(b.input)
      expect(codeOf(() => verifyInclusion(blockNamed(b.block).root, fromHex(b.txId), input))).toBe(b.error)
    })
  }

  for (const m of vectors.malformed) {
    it(`refused as malformed: ${m.name}`, () => {
      const input = bytesOf(m.input)
      expect(codeOf(() => decodeInclusionProof(input))).toBe(m.error)
      expect(codeOf(() => verifyInclusion(new Uint8Array(32), new Uint8Array(32), input))).toBe(m.error)
    })
  }
})
