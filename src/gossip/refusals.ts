/**
 * From the chain's judgement of a gossiped message to gossipsub's verdict and the
 * sender's charge (protocols/gossip.md "Validation outcomes"). What a refusal costs is
 * src/peers/offences.ts's table, not decided here: gossip only applies it.
 * Browser-safe.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Enforcer } from '../peers/enforcer.ts'
import { type Arrival, verdictAction } from '../peers/offences.ts'
import type { ImportOutcome, Refusal } from '../ports/chain.ts'
import type { Verdict } from './gossip-types.ts'

/** The arrivals of offences.ts that are gossip. */
export type GossipArrival = Extract<
  Arrival,
  'gossipBlock' | 'relayedBlock' | 'gossipHeader' | 'gossipTransaction'
>

const WHAT: Record<GossipArrival, string> = {
  gossipBlock: 'block',
  relayedBlock: 'block forwarded after its header check',
  gossipHeader: 'header',
  gossipTransaction: 'transaction',
}

/**
 * Relay only what moved the best chain: a side branch is stored but not forwarded (first
 * seen wins), a duplicate is nothing new.
 */
export function verdictForOutcome(outcome: ImportOutcome): Verdict {
  return outcome === 'extended' || outcome === 'reorg'
    ? TopicValidatorResult.Accept
    : TopicValidatorResult.Ignore
}

/**
 * gossipsub's verdict on a refused message, after charging `source` the offence its row
 * of VERDICT_ACTIONS names, if any (an invalid block: a ban, 004 §6.3).
 */
export function verdictForRefusal(
  arrival: GossipArrival,
  refusal: Refusal,
  source: string,
  enforcer: Pick<Enforcer, 'charge'>,
): Verdict {
  const action = verdictAction(arrival, refusal.status)
  if (action.offence !== undefined) {
    enforcer.charge(source, action.offence, `${WHAT[arrival]}: ${refusal.code}: ${refusal.reason}`, 'gossip')
  }
  return action.gossip === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
}
