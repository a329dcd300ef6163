/**
 * One Ed25519 verify, the second term of issue 19's relay goal ("a raw gossipsub relay of
 * the same bytes + one Ed25519 verify"), measured in the node under test's process on the
 * transactions a relay round carried. Each is decoded with the chain's decoder and its
 * signed message built (transactionSigningMessage, docs/chain.md "Signatures") before the
 * clock starts; timed per check: the key's DER, createPublicKey and crypto.verify. That is
 * what the node's fast path (src/chain/signing.ts, nodeCryptoConfirms) does for a key it
 * has not seen, without its signature cache or its KeyObject cache: the cost of one
 * signature check, not of PAW's bookkeeping around it.
 */
import { createPublicKey, verify } from 'node:crypto'
import {
  ADDRESS_LENGTH,
  decodeTransaction,
  TRANSACTION_LENGTH,
  transactionSigningMessage,
} from '../../src/chain/encoding.ts'

/** DER SubjectPublicKeyInfo of an Ed25519 key (OID 1.3.101.112) up to the 32 key bytes. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface VerifyCost {
  checks: number
  /** The process's CPU time (user + system) per check, µs. */
  cpuUsPerVerify: number
  wallUsPerVerify: number
}

interface Check {
  key: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

/**
 * Verifies every transaction of `packed` (n × 152 bytes) for `chainId`; throws unless all
 * are valid (they are the relay's real transactions, so a false means a broken measurement).
 */
export function verifyCost(packed: Uint8Array, chainId: string): VerifyCost {
  const checks: Check[] = []
  for (let offset = 0; offset < packed.length; offset += TRANSACTION_LENGTH) {
    const tx = decodeTransaction(packed.subarray(offset, offset + TRANSACTION_LENGTH))
    checks.push({ key: tx.from, message: transactionSigningMessage(tx, chainId), signature: tx.signature })
  }
  let valid = 0
  const cpu = process.cpuUsage()
  const wall = performance.now()
  for (const check of checks) {
    const der = Buffer.allocUnsafe(SPKI_ED25519_PREFIX.length + ADDRESS_LENGTH)
    der.set(SPKI_ED25519_PREFIX, 0)
    der.set(check.key, SPKI_ED25519_PREFIX.length)
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' })
    if (verify(null, check.message, key, check.signature)) valid++
  }
  const wallMs = performance.now() - wall
  const used = process.cpuUsage(cpu)
  if (valid !== checks.length) throw new Error(`${checks.length - valid} relayed signatures did not verify`)
  return {
    checks: checks.length,
    cpuUsPerVerify: (used.user + used.system) / checks.length,
    wallUsPerVerify: (wallMs * 1000) / checks.length,
  }
}
