/**
 * Gossip's verdicts (src/gossip/refusals.ts): what gossipsub is told of a refused message
 * and what its sender is charged come from src/peers/offences.ts; the reference
 * chain's errors reach them as the port's judgements (src/chain/port/judgement.ts), and
 * the verdicts are those protocols/gossip.md "Validation outcomes" states.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { describe, expect, it } from 'vitest'
import { ChainError, ChainErrorCode, type ChainErrorCodeValue } from '../../src/chain/errors.ts'
import { judgementOf } from '../../src/chain/port/judgement.ts'
import { type GossipArrival, verdictForOutcome, verdictForRefusal } from '../../src/gossip/refusals.ts'
import type { OffenceName } from '../../src/peers/offences.ts'
import { VERDICT_ACTIONS } from '../../src/peers/offences.ts'
import type { Refusal } from '../../src/ports/chain.ts'

const { Accept, Ignore, Reject } = TopicValidatorResult

function recorder() {
  const charges: Array<{ peer: string; offence: OffenceName; why: string; context: string }> = []
  return {
    charges,
    charge(peer: string, offence: OffenceName, why: unknown, context: string): number {
      charges.push({ peer, offence, why: String(why), context })
      return 0
    },
  }
}

const ARRIVAL = { block: 'gossipBlock', header: 'gossipHeader', transaction: 'gossipTransaction' } as const

/** The verdict gossip gives a reference-chain error on a message of `kind`. */
function verdictFor(code: ChainErrorCodeValue, kind: keyof typeof ARRIVAL) {
  const enforcer = recorder()
  const verdict = verdictForRefusal(
    ARRIVAL[kind],
    judgementOf(new ChainError(code, 'x'), kind),
    'peer',
    enforcer,
  )
  return { verdict, charges: enforcer.charges }
}

describe('verdictForRefusal', () => {
  it("applies offences.ts's gossip rows: the verdict, and the offence when one is named", () => {
    const arrivals: GossipArrival[] = ['gossipBlock', 'gossipHeader', 'gossipTransaction']
    for (const arrival of arrivals) {
      for (const status of ['invalid', 'unknown-parent', 'refused'] as const) {
        const enforcer = recorder()
        const refusal: Refusal = { status, code: 'SOME_CODE', reason: 'because' }
        const verdict = verdictForRefusal(arrival, refusal, 'peer-1', enforcer)
        const action = VERDICT_ACTIONS[arrival][status]
        expect(verdict, `${arrival} ${status}`).toBe(action.gossip === 'reject' ? Reject : Ignore)
        expect(enforcer.charges.map((c) => c.offence)).toEqual(
          action.offence === undefined ? [] : [action.offence],
        )
        for (const charge of enforcer.charges) {
          expect(charge).toMatchObject({ peer: 'peer-1', context: 'gossip' })
          expect(charge.why).toContain('SOME_CODE: because')
        }
      }
    }
  })

  it('bans the sender of an invalid block (004 §6.3), charges nothing else on gossip', () => {
    expect(VERDICT_ACTIONS.gossipBlock.invalid.offence).toBe('invalidBlock')
    expect(verdictFor(ChainErrorCode.BadProofOfWork, 'block').charges.map((c) => c.offence)).toEqual([
      'invalidBlock',
    ])
    expect(verdictFor(ChainErrorCode.BadProofOfWork, 'header').charges).toEqual([])
    expect(verdictFor(ChainErrorCode.BadSignature, 'transaction').charges).toEqual([])
    expect(verdictFor(ChainErrorCode.UnknownParent, 'block').charges).toEqual([])
  })
})

describe('the reference chain through the port: the verdicts of protocols/gossip.md', () => {
  it('rejects what no valid message can carry, for every kind', () => {
    for (const code of [
      ChainErrorCode.Malformed,
      ChainErrorCode.WrongChain,
      ChainErrorCode.BadProofOfWork,
      ChainErrorCode.BadTarget,
      ChainErrorCode.BadTxRoot,
      ChainErrorCode.BadCoinbase,
      ChainErrorCode.BadSignature,
      ChainErrorCode.BadTransaction,
      ChainErrorCode.BlockTooLarge,
      ChainErrorCode.BadHeight,
    ]) {
      for (const kind of ['block', 'header', 'transaction'] as const) {
        expect(verdictFor(code, kind).verdict, `${code} ${kind}`).toBe(Reject)
      }
    }
  })

  it('ignores what depends on what this node has seen', () => {
    for (const code of [
      ChainErrorCode.UnknownParent,
      ChainErrorCode.BadTimestamp,
      ChainErrorCode.MempoolFull,
    ]) {
      expect(verdictFor(code, 'block').verdict).toBe(Ignore)
      expect(verdictFor(code, 'transaction').verdict).toBe(Ignore)
    }
    for (const code of [
      ChainErrorCode.BadNonce,
      ChainErrorCode.InsufficientBalance,
      ChainErrorCode.DuplicateTransaction,
    ]) {
      // A transaction racing another for the same nonce is not its relayer's fault; a block
      // that includes such a transaction is invalid.
      expect(verdictFor(code, 'transaction').verdict).toBe(Ignore)
      expect(verdictFor(code, 'block').verdict).toBe(Reject)
    }
  })
})

describe('verdictForOutcome', () => {
  it('relays what moved the best chain, nothing else', () => {
    expect(verdictForOutcome('extended')).toBe(Accept)
    expect(verdictForOutcome('reorg')).toBe(Accept)
    expect(verdictForOutcome('side-branch')).toBe(Ignore)
    expect(verdictForOutcome('duplicate')).toBe(Ignore)
  })
})
