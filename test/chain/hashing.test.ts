/**
 * Transaction and block hashes, and the Merkle root (docs/chain.md "Hashing"), checked
 * against node:crypto's SHA-256.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { encodeHeader, encodeTransaction } from '../../src/chain/encoding.ts'
import { blockHash, EMPTY_MERKLE_ROOT, merkleRoot, txHash, txRoot } from '../../src/chain/hashing.ts'
import type { BlockHeader, Transaction } from '../../src/chain/types.ts'

const sha = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}
const leaf = (n: number) => sha(new Uint8Array([n]))

const tx: Transaction = {
  from: new Uint8Array(32).fill(1),
  to: new Uint8Array(32).fill(2),
  amount: 5n,
  fee: 1n,
  nonce: 0n,
  signature: new Uint8Array(64).fill(3),
}

describe('hashes', () => {
  it('txHash is SHA-256 of the whole encoding, signature included', () => {
    expect(txHash(tx)).toEqual(sha(encodeTransaction(tx)))
    expect(txHash({ ...tx, signature: new Uint8Array(64).fill(4) })).not.toEqual(txHash(tx))
  })

  it('blockHash is SHA-256 of the header encoding', () => {
    const header: BlockHeader = {
      version: 2,
      chainId: 'paw-devnet',
      height: 1,
      previousHash: new Uint8Array(32),
      timestamp: 1,
      txRoot: new Uint8Array(32),
      stateRoot: new Uint8Array(32),
      target: new Uint8Array(32).fill(0xff),
      nonce: 9n,
    }
    expect(blockHash(header)).toEqual(sha(encodeHeader(header)))
  })
})

describe('merkleRoot', () => {
  const [a, b, c, d] = [leaf(1), leaf(2), leaf(3), leaf(4)] as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ]

  it('of nothing is 32 zero bytes', () => {
    expect(merkleRoot([])).toEqual(new Uint8Array(32))
    expect(EMPTY_MERKLE_ROOT).toEqual(new Uint8Array(32))
  })

  it('of one hash is that hash', () => {
    expect(merkleRoot([a])).toEqual(a)
  })

  it('hashes pairs level by level', () => {
    expect(merkleRoot([a, b])).toEqual(sha(a, b))
    expect(merkleRoot([a, b, c, d])).toEqual(sha(sha(a, b), sha(c, d)))
  })

  it('duplicates the last hash of an odd level', () => {
    expect(merkleRoot([a, b, c])).toEqual(sha(sha(a, b), sha(c, c)))
    const five = [a, b, c, d, a]
    const ab = sha(a, b)
    const cd = sha(c, d)
    const aa = sha(a, a)
    expect(merkleRoot(five)).toEqual(sha(sha(ab, cd), sha(aa, aa)))
  })

  it('has the CVE-2012-2459 twins that validation must refuse', () => {
    // [a, b, c] and [a, b, c, c] share a root: only the duplicate-transaction rule tells them apart.
    expect(merkleRoot([a, b, c, c])).toEqual(merkleRoot([a, b, c]))
    expect(merkleRoot([a, b, c, d, a, a])).toEqual(merkleRoot([a, b, c, d, a]))
  })

  it('equals a level-by-level reference on node:crypto for every size up to 70, without changing its input', () => {
    const reference = (hashes: Uint8Array[]): Uint8Array => {
      let level = hashes
      while (level.length > 1) {
        const next: Uint8Array[] = []
        for (let i = 0; i < level.length; i += 2)
          next.push(sha(level[i] as Uint8Array, level[i + 1] ?? (level[i] as Uint8Array)))
        level = next
      }
      return level[0] as Uint8Array
    }
    for (let n = 1; n <= 70; n++) {
      const hashes = Array.from({ length: n }, (_, i) => leaf(i + 7 * n))
      const copies = hashes.map((hash) => hash.slice())
      expect(merkleRoot(hashes)).toEqual(reference(hashes))
      expect(hashes).toEqual(copies)
    }
  })

  it('does not alias its input', () => {
    const root = merkleRoot([a])
    root.fill(0)
    expect(a).toEqual(leaf(1))
  })

  it('txRoot is the root of the transaction hashes', () => {
    const other = { ...tx, nonce: 1n }
    expect(txRoot([tx, other])).toEqual(sha(txHash(tx), txHash(other)))
  })
})
