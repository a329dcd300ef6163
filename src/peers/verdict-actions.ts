/**
 * What the chain's judgement of something a peer sent (src/ports/chain.ts Judgement) costs
 * that peer, wherever it arrived: one table, so gossip, sync and the node's fetches cannot
 * disagree (STYLE.md §2: one switch from fault to action). The offence's row of OFFENCES
 * (reputation.ts) says what the charge does; src/peers/enforcer.ts applies it. The gossip
 * verdict is what gossipsub is told (Reject also costs the sender gossipsub's P4).
 * Browser-safe.
 */
import type { OffenceName } from './reputation.ts'

/** Where a peer's block, header or transaction reached us. */
export type Arrival =
  /** Flooded on the blocks topic: honest peers validate before they relay. */
  | 'gossipBlock'
  /** Flooded on the headers topic (light nodes). */
  | 'gossipHeader'
  /** Flooded on the transactions topic. */
  | 'gossipTransaction'
  /** Fetched by /paw/mempool/1 from the peer's inventory. */
  | 'fetchedTransaction'
  /** Headers a peer served to our sync (/paw/blocks/1 get_headers). */
  | 'syncHeaders'
  /** A block body a peer served to our sync, or to fetchBlock. */
  | 'servedBlock'

/** A judgement's status other than `accepted`. */
export type RefusalStatus = 'invalid' | 'unknown-parent' | 'refused'

export interface VerdictAction {
  /** What gossipsub is told (gossip arrivals only). */
  gossip: 'reject' | 'ignore'
  /** Charged to the peer, if anything. */
  offence?: OffenceName
  rationale: string
}

const notTheirFault = (why: string): VerdictAction => ({ gossip: 'ignore', rationale: why })

export const VERDICT_ACTIONS: Record<Arrival, Record<RefusalStatus, VerdictAction>> = {
  gossipBlock: {
    invalid: {
      gossip: 'reject',
      offence: 'invalidBlock',
      rationale: '004 §6.3: an invalid block relayed after validation is misbehaviour: a ban',
    },
    'unknown-parent': notTheirFault('we are behind (block sync fetches the gap), not provably wrong'),
    refused: notTheirFault('depends on our view (a clock ahead of ours), not proof of malice'),
  },
  gossipHeader: {
    invalid: { gossip: 'reject', rationale: "gossipsub's P4 charges it; a header costs little to check" },
    'unknown-parent': notTheirFault('header sync fetches the gap'),
    refused: notTheirFault('depends on our view'),
  },
  gossipTransaction: {
    invalid: { gossip: 'reject', rationale: "no valid transaction can be it: gossipsub's P4 charges the sender" },
    'unknown-parent': notTheirFault('not a transaction outcome'),
    refused: notTheirFault('depends on what this node has seen (a spent nonce, a full pool)'),
  },
  fetchedTransaction: {
    invalid: {
      gossip: 'ignore',
      offence: 'invalidTransaction',
      rationale: 'the peer listed it in its inventory: it vouched for a transaction no chain accepts',
    },
    'unknown-parent': notTheirFault('not a transaction outcome'),
    refused: notTheirFault('a gap before it or a full pool: tried again later'),
  },
  syncHeaders: {
    invalid: {
      gossip: 'ignore',
      offence: 'invalidMessage',
      rationale: 'headers that break a chain rule: the peer gets no more of this sync',
    },
    'unknown-parent': notTheirFault('its chain does not join ours where we asked: looked for lower'),
    refused: notTheirFault('depends on our view'),
  },
  servedBlock: {
    invalid: {
      gossip: 'ignore',
      offence: 'invalidMessage',
      rationale: 'a body that is not its header’s, or a block that breaks a rule: unrequested data',
    },
    'unknown-parent': notTheirFault('we lack the header: not the peer’s fault'),
    refused: notTheirFault('depends on our view'),
  },
}

/** The action for a refused judgement of something that arrived by `arrival`. */
export function verdictAction(arrival: Arrival, status: RefusalStatus): VerdictAction {
  return VERDICT_ACTIONS[arrival][status]
}
