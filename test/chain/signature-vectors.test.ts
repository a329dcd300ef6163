/**
 * protocols/signatures.vectors.json (docs/chain.md "Signed message"; format
 * protocols/README.md#signaturesvectorsjson): the file is what signature-vectors.ts builds,
 * the chain's verifier gives every case's `valid`, and so does ed25519_verify.py, a
 * verifier written in Python from RFC 8032 and the four rules, sharing no code with the
 * node; it also gives each case's `lenient` answers, so these describe the verifiers they
 * name, not the node.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { decodeTransaction, encodeTransaction, TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { clearSignatureCache, verifyTransactionSignature } from '../../src/chain/signing.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import {
  buildSignatureVectors,
  type SignatureVectors,
  VECTORS_PATH,
  vectorsText,
} from './signature-vectors.ts'

const PYTHON_VERIFIER = fileURLToPath(new URL('./ed25519_verify.py', import.meta.url))

const text = readFileSync(VECTORS_PATH, 'utf8')
const vectors = JSON.parse(text) as SignatureVectors

interface PythonAnswer {
  name: string
  strict: boolean
  cofactorless: boolean
  zip215: boolean
}

/** The Python verifier's answers for the file as it is on disk (python3 must be installed). */
function pythonAnswers(): PythonAnswer[] {
  const out = execFileSync('python3', [PYTHON_VERIFIER, VECTORS_PATH], { encoding: 'utf8', timeout: 20_000 })
  return JSON.parse(out) as PythonAnswer[]
}

describe('protocols/signatures.vectors.json', () => {
  it('is what test/chain/signature-vectors.ts builds', () => {
    expect(text).toBe(vectorsText(buildSignatureVectors()))
    expect(vectors.spec).toBe('docs/chain.md#signed-message-129-bytes')
    expect(vectors.format).toBe('protocols/README.md#test-vectors')
  })

  it('every case is one 152-byte transaction with a chain ID and a reason', () => {
    expect(new Set(vectors.cases.map((c) => c.name)).size).toBe(vectors.cases.length)
    for (const c of vectors.cases) {
      const bytes = fromHex(c.tx)
      expect(bytes.length, c.name).toBe(TRANSACTION_LENGTH)
      expect(toHex(encodeTransaction(decodeTransaction(bytes))), c.name).toBe(c.tx)
      expect(c.chainId.length, c.name).toBeGreaterThan(0)
      expect(c.why.length, c.name).toBeGreaterThan(40)
    }
  })

  for (const c of vectors.cases) {
    it(`the chain's verifier: ${c.name} → ${c.valid ? 'valid' : 'invalid'}`, () => {
      clearSignatureCache()
      const tx = decodeTransaction(fromHex(c.tx))
      expect(verifyTransactionSignature(tx, c.chainId)).toBe(c.valid)
      // A second time (the cache, and the node:crypto key cache, in play): the same answer.
      expect(verifyTransactionSignature(tx, c.chainId)).toBe(c.valid)
    })
  }

  it('the independent Python verifier gives every answer of the file: strict, cofactorless, ZIP-215', () => {
    const answers = pythonAnswers()
    expect(answers.map((a) => a.name)).toEqual(vectors.cases.map((c) => c.name))
    for (const [i, c] of vectors.cases.entries()) {
      const answer = answers[i] as PythonAnswer
      expect({ name: c.name, strict: answer.strict }).toEqual({ name: c.name, strict: c.valid })
      expect({ name: c.name, ...c.lenient }).toEqual({
        name: c.name,
        cofactorless: answer.cofactorless,
        zip215: answer.zip215,
      })
    }
  })

  it('the cases tell the rule from each lenient verifier, both ways where it errs both ways', () => {
    const cases = vectors.cases
    const differ = (pick: (c: (typeof cases)[number]) => boolean, valid: boolean) =>
      cases.filter((c) => c.valid === valid && pick(c) !== valid).map((c) => c.name)
    // Cofactorless (Go's crypto/ed25519): refuses valid signatures and accepts forgeries.
    expect(differ((c) => c.lenient.cofactorless, true).length).toBeGreaterThanOrEqual(2)
    expect(differ((c) => c.lenient.cofactorless, false).length).toBeGreaterThanOrEqual(2)
    // ZIP-215 is more permissive than the rule: it accepts what the rule refuses, never the reverse.
    expect(differ((c) => c.lenient.zip215, true)).toEqual([])
    expect(differ((c) => c.lenient.zip215, false).length).toBeGreaterThanOrEqual(4)
    // Valid and invalid cases, for the chain and for another one.
    expect(cases.filter((c) => c.valid).length).toBeGreaterThanOrEqual(3)
    expect(cases.some((c) => !c.valid && c.chainId !== cases[0]?.chainId)).toBe(true)
  })
})
