/**
 * The headers topic on a light node (protocols/gossip.md "Validation outcomes"): the
 * chain checks the header by the rules a header can be checked by without its body and
 * stores it; gossip relays what moved the best header chain. Browser-safe.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import type { HeaderChainPort } from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import type { AcceptedGossip, Verdict } from './gossip-types.ts'
import { verdictForOutcome, verdictForRefusal } from './refusals.ts'
import { logNewTip } from './tip-line.ts'

export interface HeaderJudgeInit {
  chain: Pick<HeaderChainPort, 'importHeader'>
  enforcer: Pick<Enforcer, 'charge'>
  onAccepted: (accepted: AcceptedGossip) => void
  log: Logger
}

export class HeaderJudge {
  readonly #init: HeaderJudgeInit

  constructor(init: HeaderJudgeInit) {
    this.#init = init
  }

  async judge(data: Uint8Array, source: string): Promise<Verdict> {
    const judgement = await this.#init.chain.importHeader(data, { from: source })
    if (judgement.status !== 'accepted') {
      const verdict = verdictForRefusal('gossipHeader', judgement, source, this.#init.enforcer)
      this.#init.log.debug('header refused', {
        from: source,
        code: judgement.code,
        error: judgement.reason,
        verdict,
      })
      return verdict
    }
    const { outcome, height, decoded } = judgement.value
    const verdict = verdictForOutcome(outcome)
    if (verdict === TopicValidatorResult.Accept) {
      const hash = toHex(judgement.value.hash)
      logNewTip(this.#init.log, { height, hash, outcome, bytes: data.length, from: source })
      this.#init.onAccepted({ kind: 'header', decoded, hash, height, from: source, outcome })
    }
    return verdict
  }
}
