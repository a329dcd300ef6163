/**
 * Builds protocols/signatures.vectors.json (docs/chain.md "Signed message": the four rules of
 * strict verification; format protocols/README.md#test-vectors) from the constructions
 * below, which test/chain/signing-fast-path.test.ts also uses. Each case is a 152-byte
 * transaction, the chain ID it is checked for, the answer the chain gives (`valid`) and the
 * answers of two lenient verifiers (`lenient`): the generator checks each against
 * @noble/curves (strict, and ZIP-215) and the cofactorless equation it computes itself.
 * test/chain/signature-vectors.test.ts rebuilds it and requires the file unchanged, then
 * checks every case with the chain's verifier and with test/chain/ed25519_verify.py.
 *
 *   ./node_modules/.bin/node test/chain/signature-vectors.ts   # rewrites the file
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { encodeTransaction, transactionSigningMessage } from '../../src/chain/encoding.ts'
import { accountFromPrivateKey, signTransaction, type UnsignedTransaction } from '../../src/chain/signing.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { equalBytes, fromHex, toHex } from '../../src/wire/bytes.ts'

export const VECTORS_PATH = fileURLToPath(new URL('../../protocols/signatures.vectors.json', import.meta.url))

// ---------------------------------------------------------------------------------------
// Hand-built signatures: the edge cases of strict verification.

export const CHAIN = 'paw-devnet'
export const Point = ed25519.Point
export type EdPoint = InstanceType<typeof Point>
/** The group order L and the field prime p. */
export const L = Point.Fn.ORDER
export const P = Point.Fp.ORDER

export function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let v = n
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  if (v !== 0n) throw new RangeError('does not fit 32 bytes')
  return out
}

export function fromLE(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number)
  return n
}

/** A point encoding of y (< 2^255) with the sign bit `sign`. */
export function encodeY(y: bigint, sign: boolean): Uint8Array {
  const out = le32(y)
  if (sign) out[31] = (out[31] as number) | 0x80
  return out
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** k = SHA-512(R ‖ A ‖ M) mod L, over the bytes as given. */
export function challenge(r: Uint8Array, a: Uint8Array, message: Uint8Array): bigint {
  return fromLE(sha512(concat(r, a, message))) % L
}

export const mod = (n: bigint, m: bigint) => ((n % m) + m) % m

export function unsignedFrom(from: Uint8Array, nonce = 0n): UnsignedTransaction {
  return { from, to: new Uint8Array(32).fill(7), amount: 1_000n, fee: 10n, nonce }
}

export function txWith(from: Uint8Array, signature: Uint8Array, nonce = 0n): Transaction {
  return { ...unsignedFrom(from, nonce), signature }
}

export const alice = accountFromPrivateKey(fromHex('11'.repeat(32)))
/** Alice's secret scalar a (A = aB), to build signatures by hand. */
export const aliceScalar = ed25519.utils.getExtendedPublicKey(alice.privateKey).scalar

/** A point of order 8, and the 8 small-order points (the 8-torsion), canonical. */
export const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')
export const SMALL_ORDER = Array.from({ length: 8 }, (_, i) =>
  i === 0 ? Point.ZERO : T8.multiplyUnsafe(BigInt(i)),
)
export const T4 = T8.multiplyUnsafe(2n)

/**
 * Every encoding that decodes (leniently: y mod p, x = 0 whatever the sign bit) to a
 * small-order point: the 8 canonical ones, x = 0 with the sign bit set, and y >= p.
 */
export function smallOrderEncodings(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = []
  for (const [i, point] of SMALL_ORDER.entries())
    out.push({ name: `canonical #${i}`, bytes: point.toBytes() })
  out.push({ name: 'identity, x = 0 with sign bit', bytes: encodeY(1n, true) })
  out.push({ name: '(0, -1), x = 0 with sign bit', bytes: encodeY(P - 1n, true) })
  for (const sign of [false, true]) {
    out.push({ name: `y = p (order 4), sign ${sign}`, bytes: encodeY(P, sign) })
    out.push({ name: `y = p + 1 (identity), sign ${sign}`, bytes: encodeY(P + 1n, sign) })
  }
  return out
}

/**
 * A signature a cofactorless check accepts for a small-order key A: R = SB, so SB - kA = R
 * when kA = 0, which holds when k ≡ 0 mod 8. Tries nonces until it does.
 */
export function forgeForSmallOrderKey(a: Uint8Array, chainId = CHAIN): Transaction {
  const s = 123_456_789n
  const r = Point.BASE.multiply(s).toBytes()
  for (let nonce = 0n; nonce < 1_000n; nonce++) {
    const tx = txWith(a, concat(r, le32(s)), nonce)
    if (challenge(r, a, transactionSigningMessage(tx, chainId)) % 8n === 0n) return tx
  }
  throw new Error('no nonce gave k ≡ 0 mod 8')
}

/**
 * Alice's signature with a chosen R point and R encoding: S = r + k·a where R = rB + torsion;
 * `rEncoding` defaults to the canonical one.
 */
export function aliceSignatureWithR(
  r: bigint,
  torsion: EdPoint,
  rEncoding?: Uint8Array,
  nonce = 0n,
): Transaction {
  const rBytes = rEncoding ?? Point.BASE.multiply(r).add(torsion).toBytes()
  const message = transactionSigningMessage(txWith(alice.address, new Uint8Array(64), nonce), CHAIN)
  const k = challenge(rBytes, alice.address, message)
  return txWith(alice.address, concat(rBytes, le32(mod(r + k * aliceScalar, L))), nonce)
}

/**
 * A signature by the mixed-order key A = aB + T8 (Alice's scalar plus a point of order 8):
 * R = rB with r = 1000 + nonce, S = r + k·a. Then R + kA - SB = k·T8: the cofactored
 * equation holds; the cofactorless one only when k ≡ 0 mod 8.
 */
export function mixedOrderKeySignature(nonce: bigint): { tx: Transaction; k: bigint } {
  const a = Point.BASE.multiply(aliceScalar).add(T8).toBytes()
  const r = 1_000n + nonce
  const rBytes = Point.BASE.multiply(r).toBytes()
  const message = transactionSigningMessage(txWith(a, new Uint8Array(64), nonce), CHAIN)
  const k = challenge(rBytes, a, message)
  return { tx: txWith(a, concat(rBytes, le32(mod(r + k * aliceScalar, L))), nonce), k }
}

// ---------------------------------------------------------------------------------------
// The vector file.

export interface SignatureCase {
  name: string
  chainId: string
  /** The 152-byte transaction encoding, hex. */
  tx: string
  /** The answer of strict verification (docs/chain.md), which every implementation MUST give. */
  valid: boolean
  /** What two lenient verifiers answer (protocols/README.md#signaturesvectorsjson): NOT the rule. */
  lenient: { cofactorless: boolean; zip215: boolean }
  why: string
}

export interface SignatureVectors {
  spec: string
  format: string
  cases: SignatureCase[]
}

function nobleVerify(tx: Transaction, chainId: string, zip215: boolean): boolean {
  try {
    return ed25519.verify(tx.signature, transactionSigningMessage(tx, chainId), tx.from, { zip215 })
  } catch {
    return false
  }
}

/**
 * Lenient point decoding (Go's edwards25519 SetBytes, OpenSSL's ge_frombytes_vartime): y
 * taken mod p, x = 0 accepted with either sign bit. Undefined when no x exists.
 */
function decodeLenient(bytes: Uint8Array): EdPoint | undefined {
  const y = mod(fromLE(bytes) & ((1n << 255n) - 1n), P)
  const sign = ((bytes[31] as number) & 0x80) !== 0
  try {
    return Point.fromBytes(encodeY(y, y === 1n || y === P - 1n ? false : sign))
  } catch {
    return undefined
  }
}

/**
 * The cofactorless check of Go's crypto/ed25519 Verify: S < L, A decoded leniently and of
 * any order, and valid iff the canonical encoding of SB - kA is R, byte for byte.
 */
function cofactorless(tx: Transaction, chainId: string): boolean {
  const rBytes = tx.signature.subarray(0, 32)
  const s = fromLE(tx.signature.subarray(32))
  if (s >= L) return false
  const a = decodeLenient(tx.from)
  if (a === undefined) return false
  const k = challenge(rBytes, tx.from, transactionSigningMessage(tx, chainId))
  const sb = s === 0n ? Point.ZERO : Point.BASE.multiply(s)
  return equalBytes(sb.subtract(a.multiplyUnsafe(k)).toBytes(), rBytes)
}

function vectorCase(
  name: string,
  tx: Transaction,
  chainId: string,
  valid: boolean,
  why: string,
): SignatureCase {
  const found = {
    valid: nobleVerify(tx, chainId, false),
    cofactorless: cofactorless(tx, chainId),
    zip215: nobleVerify(tx, chainId, true),
  }
  if (found.valid !== valid) throw new Error(`${name}: strict verification says ${found.valid}, not ${valid}`)
  return {
    name,
    chainId,
    tx: toHex(encodeTransaction(tx)),
    valid,
    lenient: { cofactorless: found.cofactorless, zip215: found.zip215 },
    why,
  }
}

export function buildSignatureVectors(): SignatureVectors {
  const plain = signTransaction(unsignedFrom(alice.address), alice.privateKey, CHAIN)
  const plainR = plain.signature.subarray(0, 32)
  const plainS = fromLE(plain.signature.subarray(32))

  let mixed = mixedOrderKeySignature(0n)
  for (let nonce = 1n; mixed.k % 8n === 0n; nonce++) mixed = mixedOrderKeySignature(nonce)

  const cases = [
    vectorCase(
      'valid: an ordinary signature (RFC 8032 signing)',
      plain,
      CHAIN,
      true,
      'All four rules hold: the signature signTransaction makes from the seed of 32 bytes 0x11 (the key of `from`). Every verifier accepts it.',
    ),
    vectorCase(
      'S + L instead of S (rule 2)',
      { ...plain, signature: concat(plainR, le32(plainS + L)) },
      CHAIN,
      false,
      'Rule 2: S ≥ L. S + L ≡ S mod L, so a verifier that reduces S mod L, or checks only its top bits (the original ref10), accepts it: a malleated twin of the valid case with another transaction hash.',
    ),
    vectorCase(
      'S = L (rule 2, the boundary)',
      { ...plain, signature: concat(plainR, le32(L)) },
      CHAIN,
      false,
      'Rule 2 at its boundary: S = L exactly is refused (S < L, not S ≤ L). With S read mod L (0) the equation fails too, so every verifier refuses it; it pins the comparison.',
    ),
    vectorCase(
      'A not canonical: y = p + 1, the identity (rule 1)',
      forgeForSmallOrderKey(encodeY(P + 1n, false)),
      CHAIN,
      false,
      "Rule 1: A's y ≥ p. Read mod p it is 1, the identity, and R = S·B makes the equation hold for any message: a verifier that takes y mod p (Go's crypto/ed25519, ZIP-215) accepts this forgery. Any y ≥ p is below p + 19, so such a key is always small order or of unknown logarithm: a verifier that refuses small-order keys by comparing A with the 8 canonical encodings, without rule 1, also accepts it.",
    ),
    vectorCase(
      'A of small order: a point of order 8 (rule 3)',
      forgeForSmallOrderKey(T8.toBytes()),
      CHAIN,
      false,
      "Rule 3: A is of small order (8·A = identity). R = S·B and k ≡ 0 mod 8 (the nonce was chosen for it), so k·A = identity and both equations hold: a forgery without the key, that a verifier without rule 3 accepts (Go's crypto/ed25519, OpenSSL 3.0, ZIP-215).",
    ),
    vectorCase(
      'A of mixed order: aB + T8, signed with a (rule 4, cofactored)',
      mixed.tx,
      CHAIN,
      true,
      `Rule 4 with a mixed-order key: A = a·B + T8 is not of small order, and R + k·A − S·B = k·T8 (k mod 8 = ${mixed.k % 8n}) is a torsion point, which the cofactored equation forgives: valid. A cofactorless verifier (S·B − k·A = R; Go's crypto/ed25519) refuses it.`,
    ),
    vectorCase(
      'R with a torsion component: rB + T8 (rule 4, cofactored)',
      aliceSignatureWithR(42_424_242n, T8),
      CHAIN,
      true,
      "Rule 4: R = r·B + T8, S = r + k·a, so R + k·A − S·B = T8 and 8·T8 = identity: valid under the cofactored equation. A cofactorless verifier (S·B − k·A = R; Go's crypto/ed25519, OpenSSL) refuses it: the case a cofactorless implementation gets wrong.",
    ),
    vectorCase(
      "R of small order: the identity, canonical (rule 4; no rule on R's order)",
      aliceSignatureWithR(0n, Point.ZERO, encodeY(1n, false)),
      CHAIN,
      true,
      "R = identity (01 00…00) and S = k·a: the equation holds (cofactored and cofactorless). The rules check A's order, never R's: a verifier that refuses small-order R (libsodium, OpenSSL 3.5) refuses this valid signature.",
    ),
    vectorCase(
      'R not canonical: y = p + 1 (rule 1)',
      aliceSignatureWithR(0n, Point.ZERO, encodeY(P + 1n, false)),
      CHAIN,
      false,
      "Rule 1: R's y ≥ p. The previous case with R's y written as p + 1 (= 1 mod p): a verifier that decodes R with y mod p and checks the equation on points (ZIP-215) accepts it; one that compares R's bytes with an encoding (Go's crypto/ed25519) refuses it.",
    ),
    vectorCase(
      'R not canonical: "−0", x = 0 with the sign bit set (rule 1)',
      aliceSignatureWithR(0n, Point.ZERO, encodeY(1n, true)),
      CHAIN,
      false,
      'Rule 1: R decodes to x = 0 with the sign bit set (01 00…80, the identity as "−0"). ZIP-215 accepts x = 0 with either sign and accepts it; a verifier that compares R\'s bytes (Go\'s crypto/ed25519) refuses it.',
    ),
    vectorCase(
      'another chain: the valid case checked for paw-testnet',
      plain,
      'paw-testnet',
      false,
      'The signed message holds the chain ID field (docs/chain.md "Signed message"): the valid case, signed for paw-devnet, signs another message for paw-testnet, and every verifier refuses it there.',
    ),
  ]
  return { spec: 'docs/chain.md#signed-message-129-bytes', format: 'protocols/README.md#test-vectors', cases }
}

export const vectorsText = (vectors: SignatureVectors): string => `${JSON.stringify(vectors, null, 2)}\n`

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(VECTORS_PATH, vectorsText(buildSignatureVectors()))
  console.log(`wrote ${VECTORS_PATH}`)
}
