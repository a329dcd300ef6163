/** The reference chain's refusals as the port's judgements (src/chain/port/judgement.ts). */
import { describe, expect, it } from 'vitest'
import { ChainError, ChainErrorCode, type ChainErrorCodeValue } from '../../../src/chain/errors.ts'
import {
  isReferenceChainRejection,
  judgementOf,
  ReferenceChainRejection,
} from '../../../src/chain/port/judgement.ts'
import { isChainPortRejection } from '../../../src/ports/chain.ts'

const status = (code: ChainErrorCodeValue, kind: 'block' | 'header' | 'transaction') =>
  judgementOf(new ChainError(code, 'why'), kind).status

describe('judgementOf', () => {
  it('every provably invalid code is invalid, whatever the kind', () => {
    for (const kind of ['block', 'header', 'transaction'] as const) {
      for (const code of [
        'MALFORMED',
        'WRONG_CHAIN',
        'BAD_PROOF_OF_WORK',
        'BAD_TX_ROOT',
        'BAD_SIGNATURE',
      ] as const) {
        expect(status(code, kind), `${code} ${kind}`).toBe('invalid')
      }
    }
  })

  it("a block's broken state rules are invalid; a transaction's are refused (they depend on what we have seen)", () => {
    for (const code of ['BAD_NONCE', 'INSUFFICIENT_BALANCE', 'DUPLICATE_TRANSACTION'] as const) {
      expect(status(code, 'block')).toBe('invalid')
      expect(status(code, 'transaction')).toBe('refused')
    }
  })

  it('an unknown parent is unknown-parent; a clock ahead of ours or a full pool is refused', () => {
    expect(status('UNKNOWN_PARENT', 'block')).toBe('unknown-parent')
    expect(status('UNKNOWN_PARENT', 'header')).toBe('unknown-parent')
    expect(status('BAD_TIMESTAMP', 'block')).toBe('refused')
    expect(status('BAD_TIMESTAMP', 'header')).toBe('refused')
    expect(status('MEMPOOL_FULL', 'transaction')).toBe('refused')
  })

  it("carries the chain's code, message and error", () => {
    const error = new ChainError(ChainErrorCode.BadTarget, 'target too easy')
    expect(judgementOf(error, 'header')).toEqual({
      status: 'invalid',
      code: 'BAD_TARGET',
      reason: 'target too easy',
      cause: error,
    })
  })
})

describe('ReferenceChainRejection', () => {
  it('is a ChainPortRejection with a stable name and code', () => {
    const cause = new ChainError(ChainErrorCode.BadProofOfWork, 'above target')
    const rejection = ReferenceChainRejection.of(cause)
    expect(rejection).toMatchObject({
      name: 'ReferenceChainRejection',
      code: 'BAD_PROOF_OF_WORK',
      status: 'invalid',
      message: 'above target',
      cause,
    })
    expect(isChainPortRejection(rejection)).toBe(true)
    expect(isReferenceChainRejection(rejection)).toBe(true)
    expect(isReferenceChainRejection(cause)).toBe(false)
    expect(new ReferenceChainRejection('BAD_LINK', 'invalid', 'x').code).toBe('BAD_LINK')
    expect(ReferenceChainRejection.of(cause, 'unknown-parent').status).toBe('unknown-parent')
  })
})
