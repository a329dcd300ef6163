/**
 * Ed25519 keys and signatures of the authority chain: validators sign headers, accounts
 * sign transfers, each over a tagged message naming the chain (encoding.ts). Verification
 * is strict RFC 8032 (zip215: false): canonical encodings only, so no one but the signer
 * can turn a valid signature into another, and a header's or transaction's hash (which
 * covers the signature) cannot be changed by a relay. Browser-safe.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { equalBytes, utf8Encode } from '../wire/bytes.ts'
import { KEY_BYTES, SALT_BYTES, SIGNATURE_BYTES } from './constants.ts'
import { headerSigningMessage, transactionSigningMessage } from './encoding.ts'
import type { AuthorityHeader, AuthorityKey, AuthorityTransaction, PublicKey } from './types.ts'

/** The key pair of a 32-byte Ed25519 secret seed. */
export function keyFromSecret(secretKey: Uint8Array): AuthorityKey {
  if (secretKey.length !== KEY_BYTES) throw new TypeError(`a secret key is ${KEY_BYTES} bytes`)
  return { secretKey: secretKey.slice(), publicKey: ed25519.getPublicKey(secretKey) }
}

/** A fresh random key pair. */
export function newKey(): AuthorityKey {
  return keyFromSecret(ed25519.utils.randomSecretKey())
}

/** A key pair anyone can derive from `label` (SHA-256 of it): devnets and tests only. */
export function publicTestKey(label: string): AuthorityKey {
  return keyFromSecret(sha256(utf8Encode(label)))
}

function verify(signature: Uint8Array, message: () => Uint8Array, publicKey: PublicKey): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== KEY_BYTES) return false
  try {
    return ed25519.verify(signature, message(), publicKey, { zip215: false })
  } catch {
    return false
  }
}

/**
 * The header signed by `validator` (the caller sets `proposer` to the validator's index).
 * @throws TypeError if the header has no encoding
 */
export function signHeader(
  header: Omit<AuthorityHeader, 'signature'>,
  validator: AuthorityKey,
  chainId: string,
): AuthorityHeader {
  const unsigned: AuthorityHeader = { ...header, signature: new Uint8Array(SIGNATURE_BYTES) }
  return {
    ...unsigned,
    signature: ed25519.sign(headerSigningMessage(unsigned, chainId), validator.secretKey),
  }
}

/** Whether `header` is signed by `validator` on `chainId`; false, never an exception, for any bytes. */
export function verifyHeaderSignature(
  header: AuthorityHeader,
  validator: PublicKey,
  chainId: string,
): boolean {
  return verify(header.signature, () => headerSigningMessage(header, chainId), validator)
}

export interface UnsignedTransfer {
  to: PublicKey
  amount: bigint
  /** The last height it may be included at. */
  expiry: number
  /** @default 16 random bytes */
  salt?: Uint8Array
}

/** A transfer from `sender`, signed for `chainId`. */
export function signTransfer(
  transfer: UnsignedTransfer,
  sender: AuthorityKey,
  chainId: string,
): AuthorityTransaction {
  const unsigned: AuthorityTransaction = {
    from: sender.publicKey,
    to: transfer.to,
    amount: transfer.amount,
    salt: transfer.salt ?? randomBytes(SALT_BYTES),
    expiry: transfer.expiry,
    signature: new Uint8Array(SIGNATURE_BYTES),
  }
  return {
    ...unsigned,
    signature: ed25519.sign(transactionSigningMessage(unsigned, chainId), sender.secretKey),
  }
}

/** Whether `tx` is signed by its sender on `chainId`; false, never an exception, for any bytes. */
export function verifyTransactionSignature(tx: AuthorityTransaction, chainId: string): boolean {
  return verify(tx.signature, () => transactionSigningMessage(tx, chainId), tx.from)
}

/** Whether `key` is the key pair of `publicKey`. */
export function isKeyOf(key: AuthorityKey, publicKey: PublicKey): boolean {
  return equalBytes(key.publicKey, publicKey)
}
