/**
 * The node:crypto fast path of verifyTransactionSignature (signing.ts): node:crypto (OpenSSL)
 * may only confirm a signature valid, after a byte pre-check (fastPathEligible); @noble/curves
 * strict decides everything else. Whatever the path, the answer must be exactly noble
 * strict's (ed25519.verify with zip215: false, the oracle here), since nodes must agree on
 * validity.
 *
 * Which forgeries OpenSSL accepts depends on its version: OpenSSL 3.0 (Node 20's) accepts
 * signatures for small-order keys, also encoded with y >= p or x = 0 and the sign bit set;
 * the OpenSSL 3.5 in Node 24 refuses them. So besides checking answers under the running
 * OpenSSL, every check here also checks the pre-check against ZIP-215 (noble with zip215:
 * true), which accepts all of those and more: fastPathEligible ∧ ZIP-215 valid ⇒ noble
 * strict valid, so no verifier at most as permissive as ZIP-215 can make the fast path
 * differ. The hand-built cases also include signatures noble accepts and OpenSSL refuses
 * (torsion in A or R), which the noble fallback must accept.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { transactionSigningMessage } from '../../src/chain/encoding.ts'
import {
  accountFromPrivateKey,
  clearSignatureCache,
  fastPathEligible,
  signatureFastPathAvailable,
  signatureVerifyCounts,
  signTransaction,
  verifyTransactionSignature,
} from '../../src/chain/signing.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { fromHex } from '../../src/wire/bytes.ts'
import {
  alice,
  aliceSignatureWithR,
  CHAIN,
  concat,
  encodeY,
  forgeForSmallOrderKey,
  fromLE,
  L,
  le32,
  mixedOrderKeySignature,
  P,
  Point,
  SMALL_ORDER,
  smallOrderEncodings,
  T4,
  T8,
  txWith,
  unsignedFrom,
} from './signature-vectors.ts'

const RUNS = { numRuns: 300 }

/** noble strict: the answer verifyTransactionSignature must give. */
function oracle(tx: Transaction, chainId = CHAIN): boolean {
  try {
    return ed25519.verify(tx.signature, transactionSigningMessage(tx, chainId), tx.from, { zip215: false })
  } catch {
    return false
  }
}

/** ZIP-215 (cofactored, any y < 2^255, x = 0 with either sign): a bound on any verifier. */
function zip215(tx: Transaction, chainId = CHAIN): boolean {
  try {
    return ed25519.verify(tx.signature, transactionSigningMessage(tx, chainId), tx.from, { zip215: true })
  } catch {
    return false
  }
}

/** OpenSSL's answer (node:crypto, raw key through DER SPKI), false when it cannot load the key. */
function openssl(tx: Transaction, chainId = CHAIN): boolean {
  try {
    const der = new Uint8Array(44)
    der.set(fromHex('302a300506032b6570032100'), 0)
    der.set(tx.from, 12)
    const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    return cryptoVerify(null, transactionSigningMessage(tx, chainId), key, tx.signature)
  } catch {
    return false
  }
}

// The hand-built signatures (small-order and mixed-order keys, chosen R) are built in
// signature-vectors.ts, which also writes protocols/signatures.vectors.json from them.

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice()
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7))
  return out
}

/**
 * The chain's answer is noble strict's; and the pre-check is sound against ZIP-215: where
 * it lets a signature through and ZIP-215 accepts it, noble strict accepts it too.
 */
function expectSameAsNoble(tx: Transaction, chainId = CHAIN): boolean {
  const expected = oracle(tx, chainId)
  expect(verifyTransactionSignature(tx, chainId)).toBe(expected)
  if (tx.from.length === 32 && tx.signature.length === 64 && fastPathEligible(tx.from, tx.signature)) {
    if (zip215(tx, chainId)) expect(expected).toBe(true)
  }
  return expected
}

describe('signature fast path: same answers as noble strict', () => {
  it('runs with node:crypto under Node, and confirms valid signatures there', () => {
    expect(signatureFastPathAvailable).toBe(true)
    const before = { ...signatureVerifyCounts }
    for (let nonce = 0n; nonce < 20n; nonce++) {
      const tx = signTransaction(unsignedFrom(alice.address, nonce), alice.privateKey, CHAIN)
      expect(verifyTransactionSignature(tx, CHAIN)).toBe(true)
    }
    expect(signatureVerifyCounts.fast - before.fast).toBe(20)
    expect(signatureVerifyCounts.noble - before.noble).toBe(0)
  })

  it('a key seen before (cached KeyObject) confirms again, and a bad signature on it is still refused', () => {
    const tx = signTransaction(unsignedFrom(alice.address, 99n), alice.privateKey, CHAIN)
    expect(verifyTransactionSignature(tx, CHAIN)).toBe(true)
    expect(verifyTransactionSignature(tx, CHAIN)).toBe(true)
    const before = signatureVerifyCounts.noble
    expect(verifyTransactionSignature({ ...tx, signature: flipBit(tx.signature, 3) }, CHAIN)).toBe(false)
    expect(verifyTransactionSignature({ ...tx, amount: tx.amount + 1n }, CHAIN)).toBe(false)
    expect(verifyTransactionSignature(tx, 'paw-testnet')).toBe(false)
    expect(signatureVerifyCounts.noble - before).toBe(3)
  })

  it('differential: random valid signatures and their bit-flipped signature, message and key', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('none' as const) }),
      fc.record({ kind: fc.constant('signature' as const), bit: fc.integer({ min: 0, max: 511 }) }),
      fc.record({ kind: fc.constant('key' as const), bit: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('to' as const), bit: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('amount' as const), bit: fc.integer({ min: 0, max: 63 }) }),
      fc.record({ kind: fc.constant('chain' as const) }),
    )
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.bigInt({ min: 0n, max: 2n ** 63n }),
        mutation,
        (secret, to, amount, m) => {
          const account = accountFromPrivateKey(secret)
          let tx = signTransaction({ from: account.address, to, amount, fee: 1n, nonce: 5n }, secret, CHAIN)
          let chainId = CHAIN
          if (m.kind === 'signature') tx = { ...tx, signature: flipBit(tx.signature, m.bit) }
          if (m.kind === 'key') tx = { ...tx, from: flipBit(tx.from, m.bit) }
          if (m.kind === 'to') tx = { ...tx, to: flipBit(tx.to, m.bit) }
          if (m.kind === 'amount') tx = { ...tx, amount: tx.amount ^ (1n << BigInt(m.bit)) }
          if (m.kind === 'chain') chainId = 'paw-testnet'
          const valid = expectSameAsNoble(tx, chainId)
          if (m.kind === 'none') expect(valid).toBe(true)
        },
      ),
      RUNS,
    )
  })

  it('differential: random key and signature bytes, and a valid key with a random signature', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.boolean(),
        (from, signature, realKey) => {
          expectSameAsNoble(txWith(realKey ? alice.address : from, signature))
        },
      ),
      RUNS,
    )
  })

  it('differential: S + jL for valid signatures (j = 1.. while it fits 256 bits)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 15 }),
        (secret, j) => {
          const account = accountFromPrivateKey(secret)
          const tx = signTransaction(unsignedFrom(account.address), secret, CHAIN)
          const s = fromLE(tx.signature.subarray(32)) + BigInt(j) * L
          fc.pre(s < 2n ** 256n)
          const bad = { ...tx, signature: concat(tx.signature.subarray(0, 32), le32(s)) }
          expect(expectSameAsNoble(bad)).toBe(false)
          expect(openssl(bad)).toBe(false)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('never throws: wrong lengths and any bytes are false', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 70 }),
        fc.uint8Array({ minLength: 0, maxLength: 70 }),
        (from, signature) => {
          expectSameAsNoble(txWith(from, signature))
        },
      ),
      RUNS,
    )
  })
})

describe('signature fast path: hand-built edge cases', () => {
  const valid = signTransaction(unsignedFrom(alice.address), alice.privateKey, CHAIN)

  it('the hand-built construction is right: a canonical signature built from a and r verifies everywhere', () => {
    const tx = aliceSignatureWithR(987_654_321n, Point.ZERO)
    expect(oracle(tx)).toBe(true)
    expect(openssl(tx)).toBe(true)
    const before = signatureVerifyCounts.fast
    expect(verifyTransactionSignature(tx, CHAIN)).toBe(true)
    expect(signatureVerifyCounts.fast - before).toBe(1)
  })

  it('S >= L: S + L, S = L, S = 2^256 - 1 are refused like noble, and by OpenSSL too', () => {
    const r = valid.signature.subarray(0, 32)
    const s = fromLE(valid.signature.subarray(32))
    for (const bad of [s + L, L, L + 1n, 2n ** 253n, 2n ** 256n - 1n]) {
      const tx = { ...valid, signature: concat(r, le32(bad)) }
      expect(fastPathEligible(tx.from, tx.signature)).toBe(false)
      expect(expectSameAsNoble(tx)).toBe(false)
      expect(openssl(tx)).toBe(false)
    }
  })

  it('the small-order y values are exactly the 8-torsion (what the pre-check lists)', () => {
    const ys = new Set(SMALL_ORDER.map((point) => point.toAffine().y))
    expect(ys).toEqual(new Set([0n, 1n, P - 1n, T8.toAffine().y, P - T8.toAffine().y]))
    for (const point of SMALL_ORDER) expect(point.isSmallOrder()).toBe(true)
    expect(new Set(SMALL_ORDER.map((point) => point.toHex())).size).toBe(8)
  })

  for (const { name, bytes } of smallOrderEncodings()) {
    it(`small-order key ${name}: a forgery ZIP-215 (and OpenSSL 3.0) accepts; the pre-check and noble refuse it`, () => {
      const tx = forgeForSmallOrderKey(bytes)
      // A cofactorless check accepts it (OpenSSL 3.0 does; 3.5 refuses small-order keys).
      expect(zip215(tx)).toBe(true)
      expect(fastPathEligible(tx.from, tx.signature)).toBe(false) // what the pre-check is for
      const before = signatureVerifyCounts.fast
      expect(oracle(tx)).toBe(false)
      expect(verifyTransactionSignature(tx, CHAIN)).toBe(false)
      expect(signatureVerifyCounts.fast).toBe(before)
      // And any other signature on it: the same answer as noble.
      expectSameAsNoble(txWith(bytes, valid.signature))
      expectSameAsNoble(txWith(bytes, new Uint8Array(64)))
    })
  }

  it('non-canonical keys y = p + j (j = 0..18), both signs: the same answer as noble (false)', () => {
    for (let j = 0n; j < 19n; j++) {
      for (const sign of [false, true]) {
        const a = encodeY(P + j, sign)
        expect(expectSameAsNoble(txWith(a, valid.signature))).toBe(false)
        const forged = txWith(a, concat(Point.BASE.multiply(5n).toBytes(), le32(5n)))
        expect(expectSameAsNoble(forged)).toBe(false)
      }
    }
  })

  it('non-canonical encodings of a valid key (y >= p has only small-order or unknown-log points): false like noble', () => {
    // Every y in [p, 2^255) reduces to y - p < 19: the same point as a canonical y < 19.
    for (let j = 0n; j < 19n; j++) {
      let canonical: Uint8Array | undefined
      try {
        canonical = Point.fromBytes(encodeY(j, false)).toBytes()
      } catch {
        continue // not on the curve
      }
      expect(fromLE(canonical) & ((1n << 255n) - 1n)).toBe(j)
      expect(expectSameAsNoble(txWith(encodeY(P + j, false), valid.signature))).toBe(false)
    }
  })

  it('non-canonical R (the identity as y = p + 1 and with the sign bit): refused like noble and OpenSSL', () => {
    // S = k·a makes SB - kA the identity; only R's encoding differs. Canonical, noble
    // accepts it (so does OpenSSL 3.0; 3.5 refuses a small-order R, and noble decides).
    const canonical = aliceSignatureWithR(0n, Point.ZERO, encodeY(1n, false))
    expect(oracle(canonical)).toBe(true)
    expect(expectSameAsNoble(canonical)).toBe(true)
    for (const rEncoding of [encodeY(P + 1n, false), encodeY(P + 1n, true), encodeY(1n, true)]) {
      const tx = aliceSignatureWithR(0n, Point.ZERO, rEncoding)
      expect(zip215(tx)).toBe(true) // only the encoding is wrong
      expect(fastPathEligible(tx.from, tx.signature)).toBe(false)
      expect(oracle(tx)).toBe(false)
      expect(openssl(tx)).toBe(false)
      expect(verifyTransactionSignature(tx, CHAIN)).toBe(false)
    }
    // (0, -1) with the sign bit, and y = p (the order-4 points) as R: noble refuses too.
    for (const rEncoding of [encodeY(P - 1n, true), encodeY(P, false), encodeY(P, true)]) {
      expect(expectSameAsNoble(aliceSignatureWithR(0n, Point.ZERO, rEncoding))).toBe(false)
    }
  })

  it('small-order R: noble (cofactored) accepts what OpenSSL refuses; the chain accepts, through noble', () => {
    for (const torsion of SMALL_ORDER.slice(1)) {
      const tx = aliceSignatureWithR(0n, torsion, torsion.toBytes())
      expect(openssl(tx)).toBe(false)
      expect(oracle(tx)).toBe(true)
      const before = signatureVerifyCounts.noble
      expect(verifyTransactionSignature(tx, CHAIN)).toBe(true)
      expect(signatureVerifyCounts.noble - before).toBe(1)
    }
  })

  it('R with a torsion component (rB + T): noble accepts, OpenSSL refuses; the chain accepts', () => {
    for (const torsion of [T4, T8]) {
      const tx = aliceSignatureWithR(42_424_242n, torsion)
      expect(openssl(tx)).toBe(false)
      expect(expectSameAsNoble(tx)).toBe(true)
    }
  })

  it('mixed-order key A = aB + T8: noble accepts; OpenSSL only when k ≡ 0 mod 8; the chain always agrees with noble', () => {
    let opensslRefused = 0
    for (let nonce = 0n; nonce < 24n; nonce++) {
      const { tx, k } = mixedOrderKeySignature(nonce)
      const accepted = openssl(tx)
      if (k % 8n !== 0n) expect(accepted).toBe(false) // SB - kA = R - kT8 ≠ R
      if (!accepted) opensslRefused++
      expect(expectSameAsNoble(tx)).toBe(true)
    }
    expect(opensslRefused).toBeGreaterThan(0)
  })
})

describe('signature cache', () => {
  it('answers a repeated valid signature from the cache, never an invalid one or another chain', () => {
    clearSignatureCache()
    const key = ed25519.utils.randomSecretKey()
    const from = ed25519.getPublicKey(key)
    const tx = signTransaction(
      { from, to: new Uint8Array(32).fill(3), amount: 5n, fee: 1n, nonce: 0n },
      key,
      'paw-devnet',
    )
    const before = { ...signatureVerifyCounts }
    expect(verifyTransactionSignature(tx, 'paw-devnet')).toBe(true)
    expect(verifyTransactionSignature(tx, 'paw-devnet')).toBe(true)
    expect(signatureVerifyCounts.cached - before.cached).toBe(1)
    // The same signature on another chain is another question.
    expect(verifyTransactionSignature(tx, 'paw-testnet')).toBe(false)
    const broken = { ...tx, signature: tx.signature.slice() }
    broken.signature[0] = (broken.signature[0] as number) ^ 1
    expect(verifyTransactionSignature(broken, 'paw-devnet')).toBe(false)
    expect(verifyTransactionSignature(broken, 'paw-devnet')).toBe(false)
    expect(verifyTransactionSignature({ ...tx, amount: 6n }, 'paw-devnet')).toBe(false)
    expect(signatureVerifyCounts.cached - before.cached).toBe(1)
  })
})
