/**
 * Transaction signatures (docs/chain.md "Signatures"). An address is the raw 32-byte
 * Ed25519 public key; a signature covers transactionSigningMessage(tx, chainId), so the
 * chain ID is an input to both signing and verifying. Browser-safe.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { equalBytes, fromHex, toHex } from '../wire/bytes.ts'
import { ADDRESS_LENGTH, transactionSigningMessage } from './encoding.ts'
import { txHash } from './hashing.ts'
import type { Address, Transaction } from './types.ts'

/** A transaction before it is signed. */
export type UnsignedTransaction = Omit<Transaction, 'signature'>

export interface Account {
  /** The 32-byte Ed25519 secret key (seed). Keep it secret. */
  privateKey: Uint8Array
  address: Address
}

/** The account of a 32-byte Ed25519 secret key. */
export function accountFromPrivateKey(privateKey: Uint8Array): Account {
  if (privateKey.length !== 32) throw new TypeError(`private key must be 32 bytes, got ${privateKey.length}`)
  return { privateKey: privateKey.slice(), address: ed25519.getPublicKey(privateKey) }
}

/** A fresh random account (tests, devnet wallets). */
export function newAccount(): Account {
  return accountFromPrivateKey(ed25519.utils.randomSecretKey())
}

/**
 * Signs `unsigned` for `chainId` with the key of its `from` address.
 * @throws TypeError if `privateKey` is not the key of `unsigned.from`
 */
export function signTransaction(
  unsigned: UnsignedTransaction,
  privateKey: Uint8Array,
  chainId: string,
): Transaction {
  const { address } = accountFromPrivateKey(privateKey)
  if (!equalBytes(address, unsigned.from))
    throw new TypeError('private key does not match the sender address')
  const tx: Transaction = { ...unsigned, signature: new Uint8Array(64) }
  tx.signature = ed25519.sign(transactionSigningMessage(tx, chainId), privateKey)
  return tx
}

/**
 * True when `tx.signature` is `tx.from`'s signature of the transaction on `chainId`.
 * Strict RFC 8032 verification (zip215: false): canonical encodings only and no
 * small-order keys, so every node agrees on which signatures are valid and no one but
 * the signer can turn a valid signature into another (a malleated twin with another
 * hash). False, never an exception, for any bytes.
 *
 * The answer is always @noble/curves strict's; where node:crypto exists it is reached
 * faster: node:crypto (OpenSSL, ~10x faster) may only confirm a signature valid, after
 * fastPathEligible; noble decides everything else (see fastPathEligible for why that
 * gives exactly noble's answer).
 */
export function verifyTransactionSignature(tx: Transaction, chainId: string): boolean {
  if (tx.from.length !== ADDRESS_LENGTH || tx.signature.length !== 64) return false
  let key: string
  let message: Uint8Array
  try {
    key = signatureCacheKey(tx, chainId)
    if (verifiedSignatures.has(key)) {
      signatureVerifyCounts.cached++
      return true
    }
    message = transactionSigningMessage(tx, chainId)
  } catch {
    return false
  }
  const valid = verifyUncached(message, tx)
  if (valid) rememberVerified(key)
  return valid
}

function verifyUncached(message: Uint8Array, tx: Transaction): boolean {
  if (nodeCrypto !== undefined && fastPathEligible(tx.from, tx.signature)) {
    if (nodeCryptoConfirms(nodeCrypto, message, tx.from, tx.signature)) {
      signatureVerifyCounts.fast++
      return true
    }
  }
  signatureVerifyCounts.noble++
  try {
    return ed25519.verify(tx.signature, message, tx.from, { zip215: false })
  } catch {
    return false
  }
}

/**
 * Signatures already found valid (Bitcoin Core's signature cache): a transaction is checked
 * when it enters the mempool and again in the block that includes it, and gossip delivers
 * most transactions before their block, so a block's validation mostly finds its
 * signatures here. Keyed by the chain ID and the transaction's hash: the hash covers the
 * whole encoding (sender, recipient, amount, fee, nonce and signature), which with the
 * chain ID is exactly the signed message and its signature, so an entry can only ever
 * answer the exact question it was verified for; and a decoded transaction's hash is
 * computed once (hashing.ts), so a cached answer costs no hashing. Only valid results are
 * kept, so junk cannot flush it. Bounded, oldest out first: 65,536 entries of ~100 bytes.
 */
const verifiedSignatures = new Set<string>()
const SIGNATURE_CACHE_SIZE = 65_536

/** @throws ChainError MALFORMED if a field does not encode (as transactionSigningMessage would) */
function signatureCacheKey(tx: Transaction, chainId: string): string {
  // The hash's 64 hex digits last, so no chain ID can make two keys alike.
  return `${chainId} ${toHex(txHash(tx))}`
}

function rememberVerified(key: string): void {
  verifiedSignatures.add(key)
  if (verifiedSignatures.size > SIGNATURE_CACHE_SIZE) {
    const oldest = verifiedSignatures.values().next().value
    if (oldest !== undefined) verifiedSignatures.delete(oldest)
  }
}

/** Empties the signature cache (benchmarks that must measure verification itself). */
export function clearSignatureCache(): void {
  verifiedSignatures.clear()
}

/**
 * How verifyTransactionSignature reached its answers in this process (tests, benchmarks):
 * `fast`, valid signatures node:crypto confirmed; `noble`, answers @noble/curves gave
 * (every false one, and the true ones the fast path left to it); `cached`, valid answers
 * the signature cache gave without verifying.
 */
export const signatureVerifyCounts = { fast: 0, noble: 0, cached: 0 }

/** The part of node:crypto the fast path uses (typed here: this module is browser-safe). */
interface NodeCrypto {
  createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' }): object
  verify(algorithm: null, data: Uint8Array, key: object, signature: Uint8Array): boolean
}

/**
 * node:crypto where the runtime has process.getBuiltinModule (Node >= 20.16 and 22.3),
 * without a static import that would reach the browser build; undefined elsewhere (noble
 * alone).
 */
function loadNodeCrypto(): NodeCrypto | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const crypto = proc?.getBuiltinModule?.('node:crypto') as Partial<NodeCrypto> | undefined
    if (typeof crypto?.createPublicKey === 'function' && typeof crypto.verify === 'function') {
      return crypto as NodeCrypto
    }
  } catch {
    // no node:crypto: noble alone
  }
  return undefined
}

const nodeCrypto = loadNodeCrypto()

/** True where verifyTransactionSignature can take the node:crypto fast path. */
export const signatureFastPathAvailable: boolean = nodeCrypto !== undefined

/** DER SubjectPublicKeyInfo of an Ed25519 key (OID 1.3.101.112) up to the 32 key bytes. */
const SPKI_ED25519_PREFIX = fromHex('302a300506032b6570032100')

/**
 * KeyObjects of keys whose signatures node:crypto confirmed, least recently used first.
 * createPublicKey is about a quarter of a fresh-key crypto.verify; senders repeat (a
 * sender's transactions, the mempool then the block). Only confirmed keys go in, so junk
 * keys cannot flush it; bounded, so memory is too: about 1 KiB of RSS per key (measured,
 * Node 24), 8 MiB in all. 8,192 because a least-recently-used cache thrashes once more
 * senders are active at once than it holds: bench/load's 5,000 senders missed a 4,096-entry
 * cache on every check (18% of a relayed transaction's CPU went to createPublicKey).
 */
const keyObjects = new Map<string, object>()
const KEY_OBJECT_CACHE_SIZE = 8192

/** node:crypto's crypto.verify said valid; false for invalid and on any exception. */
function nodeCryptoConfirms(
  crypto: NodeCrypto,
  message: Uint8Array,
  publicKey: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const id = toHex(publicKey)
    const cached = keyObjects.get(id)
    if (cached !== undefined) {
      if (crypto.verify(null, message, cached, signature) !== true) return false
      keyObjects.delete(id) // most recently used: to the end
      keyObjects.set(id, cached)
      return true
    }
    const der = new Uint8Array(SPKI_ED25519_PREFIX.length + ADDRESS_LENGTH)
    der.set(SPKI_ED25519_PREFIX, 0)
    der.set(publicKey, SPKI_ED25519_PREFIX.length)
    const key = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' })
    if (crypto.verify(null, message, key, signature) !== true) return false
    keyObjects.set(id, key)
    if (keyObjects.size > KEY_OBJECT_CACHE_SIZE) {
      const oldest = keyObjects.keys().next().value
      if (oldest !== undefined) keyObjects.delete(oldest)
    }
    return true
  } catch {
    return false
  }
}

/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const GROUP_ORDER_LE = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010')
/** y = 1 (the identity, x = 0) and y = p - 1 ((0, -1), x = 0), little-endian. */
const Y_ONE = fromHex('0100000000000000000000000000000000000000000000000000000000000000')
const Y_MINUS_ONE = fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')
/**
 * The y of each of the 8 small-order points (the 8-torsion): 1 (identity), p - 1 (order
 * 2), 0 (the two of order 4) and ±y8 (the four of order 8), little-endian, sign bit clear.
 */
const SMALL_ORDER_Y = [
  Y_ONE,
  Y_MINUS_ONE,
  new Uint8Array(32),
  fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
  fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
]

/**
 * Whether node:crypto's "valid" may be trusted for this key and signature: true only when
 * noble strict would then say valid too. Byte comparisons only (well under a µs).
 * Exported for tests only.
 *
 * Soundness: (fastPathEligible ∧ node:crypto valid) ⇒ noble strict valid. Noble strict
 * (@noble/curves edwards verify, zip215 false) accepts iff A and R decode with
 * Point.fromBytes(zip215 false) (y < p; not x = 0 with the sign bit set; on the curve),
 * 0 <= S < L, A is not of small order, and [8](R + kA - SB) = 0 with k = SHA-512(R ‖ A ‖
 * M) mod L over the bytes as given. OpenSSL's ossl_ed25519_verify checks S < L, decodes A
 * with ge_frombytes_vartime, which reduces y mod p (accepts y >= p) and negates x = 0
 * (accepts x = 0 with the sign bit set), and accepts iff encode(SB - kA) == R byte for
 * byte, with the same k (same bytes hashed). OpenSSL 3.0 (Node 20's, or a system one a
 * Node is linked to) does not check A's order: it accepts (encode(SB), S) for the identity
 * key (01 00…00, 01 00…80, y = p + 1) on any message, and the other small-order keys on 1
 * message in 2 to 8. The OpenSSL 3.5 in Node 24 refuses small-order A and R; this check
 * relies on neither. It refuses:
 *
 * - A with y >= p or with the y of a small-order point (1 and p - 1 are also the only y
 *   with x = 0, so this covers x = 0 with the sign bit set). What remains decodes to the
 *   same point in OpenSSL and noble or fails in both (same curve equation, same y, x's
 *   sign from the same bit), and is not of small order.
 * - S >= L (OpenSSL checks it too; repeated so that the argument does not rest on it).
 * - R with y >= p or x = 0 with the sign bit set (OpenSSL's byte comparison with a
 *   canonical encoding refuses them already; repeated for the same reason).
 *
 * Then OpenSSL valid means R = SB - kA (the cofactorless equation), so R + kA - SB = 0 and
 * noble's cofactored equation holds: noble valid. More generally, every input this check
 * passes is canonical, so any verifier whose "valid" implies the cofactored equation for
 * the decoded points (ZIP-215, the most permissive, included) agrees with noble strict
 * when it says valid; the tests check that against ZIP-215. The converse does not hold
 * (noble also accepts A or R with a torsion component that only the cofactored equation
 * forgives, which OpenSSL refuses), which is why an OpenSSL "invalid" is never returned:
 * noble decides it.
 */
export function fastPathEligible(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (!scalarBelowOrder(signature, 32)) return false
  if (yAtLeastP(publicKey, 0)) return false
  for (const y of SMALL_ORDER_Y) if (yEquals(publicKey, 0, y)) return false
  if (yAtLeastP(signature, 0)) return false
  const rSignBit = ((signature[31] as number) & 0x80) !== 0
  if (rSignBit && (yEquals(signature, 0, Y_ONE) || yEquals(signature, 0, Y_MINUS_ONE))) return false
  return true
}

/** The 32 bytes at `offset`, little-endian, are < L. */
function scalarBelowOrder(bytes: Uint8Array, offset: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const byte = bytes[offset + i] as number
    const order = GROUP_ORDER_LE[i] as number
    if (byte !== order) return byte < order
  }
  return false // equal to L
}

/** The point encoding at `offset` has y (the low 255 bits, little-endian) >= p = 2^255 - 19. */
function yAtLeastP(bytes: Uint8Array, offset: number): boolean {
  if (((bytes[offset + 31] as number) & 0x7f) !== 0x7f || (bytes[offset] as number) < 0xed) return false
  for (let i = 1; i < 31; i++) if (bytes[offset + i] !== 0xff) return false
  return true
}

/** The point encoding at `offset` has y equal to `y` (the sign bit ignored). */
function yEquals(bytes: Uint8Array, offset: number, y: Uint8Array): boolean {
  if (((bytes[offset + 31] as number) & 0x7f) !== y[31]) return false
  for (let i = 0; i < 31; i++) if (bytes[offset + i] !== y[i]) return false
  return true
}
