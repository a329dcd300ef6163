/**
 * The blocks topic on a full node (protocols/gossip.md "Validation outcomes"): the chain
 * imports the block and judges it; gossip relays what moved the best chain and charges
 * what no valid block could be (src/peers/offences.ts gossipBlock). Browser-safe.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import type { FullChainPort } from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import type { Forwarding } from './forwarding.ts'
import type { AcceptedGossip, Verdict } from './gossip-types.ts'
import type { HeaderRelay } from './header-relay.ts'
import { verdictForOutcome, verdictForRefusal } from './refusals.ts'
import { logNewTip } from './tip-line.ts'

/**
 * A block message this much over the chain's maxBlockBytes is Rejected before the chain
 * reads it; one less over is the chain's to refuse (protocols/gossip.md "Size limits").
 */
export const BLOCK_SIZE_SLACK = 1_024

export interface BlockJudgeInit {
  chain: Pick<FullChainPort, 'importBlock' | 'shape'>
  enforcer: Pick<Enforcer, 'charge'>
  forwarding: Pick<Forwarding, 'publish'>
  headerRelay: Pick<HeaderRelay, 'release'>
  /** The chain's headers topic, where an accepted block's header is published for light nodes. */
  headerTopic: string
  onAccepted: (accepted: AcceptedGossip) => void
  /** A gossiped block's parent is unknown: we are behind (block sync fetches the gap). */
  onUnknownParent?: (from: string) => void
  log: Logger
}

export class BlockJudge {
  readonly #init: BlockJudgeInit

  constructor(init: BlockJudgeInit) {
    this.#init = init
  }

  /**
   * The verdict on a block message too large to be read, with its sender charged as for
   * an invalid block; undefined if its size is the chain's to judge.
   */
  oversized(data: Uint8Array, source: string): Verdict | undefined {
    const limit = this.#init.chain.shape.maxBlockBytes
    if (data.length <= limit + BLOCK_SIZE_SLACK) return undefined
    return verdictForRefusal(
      'gossipBlock',
      {
        status: 'invalid',
        code: 'BLOCK_TOO_LARGE',
        reason: `a ${data.length}-byte block is over the chain's ${limit}`,
      },
      source,
      this.#init.enforcer,
    )
  }

  /**
   * Imports a block and judges it; `arrival` says what its refusal costs `source`: a block
   * flooded whole (gossipBlock), or one already forwarded after its header check
   * (relayedBlock, protocols/gossip.md "What a relay promises").
   */
  async judge(
    data: Uint8Array,
    source: string,
    arrival: 'gossipBlock' | 'relayedBlock' = 'gossipBlock',
  ): Promise<Verdict> {
    const { chain, log } = this.#init
    // `from`: the node's events say which peer brought a block (src/ports/chain.ts ImportOptions).
    const judgement = await chain.importBlock(data, { from: source })
    if (judgement.status !== 'accepted') {
      if (judgement.status === 'unknown-parent') this.#init.onUnknownParent?.(source)
      const verdict = verdictForRefusal(arrival, judgement, source, this.#init.enforcer)
      log[verdict === TopicValidatorResult.Reject ? 'warn' : 'debug']('block refused', {
        from: source,
        code: judgement.code,
        error: judgement.reason,
        verdict,
      })
      return verdict
    }
    const { outcome, height, decoded } = judgement.value
    const verdict = verdictForOutcome(outcome)
    if (verdict !== TopicValidatorResult.Accept) return verdict
    const hash = toHex(judgement.value.hash)
    const transactions = judgement.value.transactionCount
    logNewTip(log, { height, hash, outcome, transactions, bytes: data.length, from: source })
    this.#init.onAccepted({ kind: 'block', decoded, hash, height, from: source, outcome })
    // Light nodes follow headers; ours may be the first copy they get. A header held for
    // this block is relayed instead: the same message.
    if (!this.#init.headerRelay.release(hash)) this.#publishHeader(judgement.value.headerEncoding, hash)
    return verdict
  }

  #publishHeader(headerEncoding: Uint8Array, hash: string): void {
    this.#init.forwarding.publish(this.#init.headerTopic, headerEncoding).catch((error: unknown) => {
      this.#init.log.debug('header publish failed', { hash, error: (error as Error).message })
    })
  }
}
