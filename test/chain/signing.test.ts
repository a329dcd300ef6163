/**
 * Transaction signatures: Ed25519 over the domain-tagged message, bound to one chain ID.
 */
import { describe, expect, it } from 'vitest'
import { transactionSigningMessage } from '../../src/chain/encoding.ts'
import { devnetAccount } from '../../src/chain/params.ts'
import {
  accountFromPrivateKey,
  newAccount,
  signTransaction,
  type UnsignedTransaction,
  verifyTransactionSignature,
} from '../../src/chain/signing.ts'

const alice = devnetAccount(0)
const bob = newAccount()
const unsigned: UnsignedTransaction = {
  from: alice.address,
  to: bob.address,
  amount: 10n,
  fee: 1n,
  nonce: 0n,
}

describe('signing', () => {
  it('an address is the 32-byte Ed25519 public key', () => {
    expect(bob.address.length).toBe(32)
    expect(accountFromPrivateKey(bob.privateKey).address).toEqual(bob.address)
    expect(newAccount().address).not.toEqual(bob.address)
  })

  it('a signed transaction verifies on its chain', () => {
    const tx = signTransaction(unsigned, alice.privateKey, 'paw-devnet')
    expect(tx.signature.length).toBe(64)
    expect(verifyTransactionSignature(tx, 'paw-devnet')).toBe(true)
  })

  it('domain separation: a transaction signed for paw-devnet fails on paw-testnet and paw-mainnet', () => {
    const tx = signTransaction(unsigned, alice.privateKey, 'paw-devnet')
    expect(verifyTransactionSignature(tx, 'paw-testnet')).toBe(false)
    expect(verifyTransactionSignature(tx, 'paw-mainnet')).toBe(false)
    // The signed message starts with the tag and the chain ID field.
    const message = transactionSigningMessage(tx, 'paw-devnet')
    expect(Buffer.from(message.subarray(0, 9)).toString()).toBe('paw-tx-v1')
    expect(Buffer.from(message.subarray(9, 19)).toString()).toBe('paw-devnet')
  })

  it('every field is covered by the signature', () => {
    const tx = signTransaction(unsigned, alice.privateKey, 'paw-devnet')
    for (const changed of [
      { ...tx, to: alice.address },
      { ...tx, from: bob.address },
      { ...tx, amount: 11n },
      { ...tx, fee: 2n },
      { ...tx, nonce: 1n },
    ]) {
      expect(verifyTransactionSignature(changed, 'paw-devnet')).toBe(false)
    }
  })

  it('returns false, never throws, for garbage', () => {
    const tx = signTransaction(unsigned, alice.privateKey, 'paw-devnet')
    expect(verifyTransactionSignature({ ...tx, signature: new Uint8Array(64) }, 'paw-devnet')).toBe(false)
    expect(verifyTransactionSignature({ ...tx, signature: new Uint8Array(63) }, 'paw-devnet')).toBe(false)
    expect(verifyTransactionSignature({ ...tx, from: new Uint8Array(32) }, 'paw-devnet')).toBe(false)
    expect(verifyTransactionSignature({ ...tx, from: new Uint8Array(32).fill(0xff) }, 'paw-devnet')).toBe(
      false,
    )
    expect(verifyTransactionSignature({ ...tx, amount: -1n }, 'paw-devnet')).toBe(false)
    expect(verifyTransactionSignature(tx, '')).toBe(false)
  })

  it('refuses to sign with a key that is not the sender', () => {
    expect(() => signTransaction(unsigned, bob.privateKey, 'paw-devnet')).toThrow(TypeError)
  })
})
