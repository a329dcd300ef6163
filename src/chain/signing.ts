/**
 * Transaction signatures (docs/chain.md "Signatures"). An address is the raw 32-byte
 * Ed25519 public key; a signature covers transactionSigningMessage(tx, chainId), so the
 * chain ID is an input to both signing and verifying. Browser-safe.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { equalBytes } from '../wire/bytes.ts'
import { ADDRESS_LENGTH, transactionSigningMessage } from './encoding.ts'
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
 */
export function verifyTransactionSignature(tx: Transaction, chainId: string): boolean {
  if (tx.from.length !== ADDRESS_LENGTH || tx.signature.length !== 64) return false
  try {
    return ed25519.verify(tx.signature, transactionSigningMessage(tx, chainId), tx.from, { zip215: false })
  } catch {
    return false
  }
}
