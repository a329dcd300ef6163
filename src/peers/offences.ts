/**
 * Every fault of a peer and what it costs, in one module (STYLE.md §2: one switch from
 * fault to action; Lodestar's peers/score): three tables, read top to bottom.
 *
 * 1. OFFENCES: each offence's penalty, and whether it disconnects or bans at once
 *    (000 "Reputation System", 004 §4.2, §6.3; protocols/errors.md "What each code costs").
 * 2. ERROR_ACTIONS: what a PAW wire error code a peer caused or answered with does to it
 *    (the offence it is charged as, the connection, the address book).
 * 3. VERDICT_ACTIONS: what the chain's judgement (src/ports/chain.ts) of a block, header or
 *    transaction a peer sent costs it, by where it arrived: the gossip verdict and the
 *    offence. Sync faults are the `syncHeaders` and `servedBlock` rows.
 *
 * src/peers/enforcer.ts is the one place that applies them. Browser-safe.
 */
import type { OffenceName } from '../api/peers.ts'
import { ErrorCode, type ErrorCodeName, type ErrorCodeValue } from '../errors.ts'

/**
 * Everything a peer can do that costs it, in one table (000 "Reputation System", 004 §4.2,
 * §6.3; protocols/errors.md "What each code costs"): the wire code it is recorded under,
 * the local penalty, and what happens to the connection. src/peers/enforcer.ts applies it.
 */
export interface Offence {
  /** The PAW code it is logged and counted under. */
  code: ErrorCodeValue
  /** Added to the peer's local score (decays with PENALTY_HALF_LIFE_MS). */
  penalty: number
  /** The connection is closed at once. */
  disconnect: boolean
  /** 004 §6.3 "misbehavior triggers immediate ban": banned at once for DEFAULT_BAN_MS, persisted. */
  ban: boolean
  /** The connection is closed once the peer has committed it this often within `withinMs`. */
  repeated?: { times: number; withinMs: number }
  rationale: string
}

export const OFFENCES = {
  messageTooLarge: {
    code: ErrorCode.MessageTooLarge,
    penalty: -50,
    disconnect: true,
    ban: false,
    rationale:
      '004 §4.2 "drop message, disconnect peer": a frame over its limit costs nothing to send and would cost us its size',
  },
  invalidMessage: {
    code: ErrorCode.InvalidMessageFormat,
    penalty: -5,
    disconnect: false,
    ban: false,
    rationale: '004 §4.2 "drop message, log warning": a bug as often as an attack, so small',
  },
  rateLimited: {
    code: ErrorCode.RateLimited,
    penalty: -25,
    disconnect: false,
    ban: false,
    rationale: 'charged once per violation window by the rate limiter; the peer is throttled meanwhile',
  },
  unexpectedMessage: {
    code: ErrorCode.UnexpectedMessage,
    penalty: -10,
    disconnect: false,
    ban: false,
    rationale: 'an answer nobody asked for, or frames sent ahead of a lock-step stream: not used',
  },
  slowReader: {
    code: ErrorCode.ResourceLimitExceeded,
    penalty: -20,
    disconnect: false,
    ban: false,
    repeated: { times: 3, withinMs: 10 * 60_000 },
    rationale:
      'an answer the peer did not read within the write timeout held our memory for that long; the third in 10 minutes is no accident',
  },
  budgetHog: {
    code: ErrorCode.ResourceLimitExceeded,
    penalty: -10,
    disconnect: false,
    ban: false,
    rationale:
      "held the most of the node's memory budget when it ran out; its largest holdings were taken back",
  },
  invalidTransaction: {
    code: ErrorCode.InvalidMessageFormat,
    penalty: -10,
    disconnect: false,
    ban: false,
    rationale: 'a transaction fetched by request that fails validation: the peer vouched for it',
  },
  invalidBlock: {
    code: ErrorCode.InvalidMessageFormat,
    penalty: -100,
    disconnect: true,
    ban: true,
    rationale:
      '004 §6.3: a gossiped block that breaks a rule no valid block can (proof of work, tx root, signatures, coinbase): honest peers validate before relaying, so its sender is not one',
  },
  invalidStateProof: {
    code: ErrorCode.InvalidMessageFormat,
    penalty: -100,
    disconnect: true,
    ban: true,
    rationale:
      'a /paw/state/1 answer whose proof the chain refuses (a forged account, a proof against another root, a fake inclusion): an honest node answers only for a block of its best chain, whose root it validated, so its proofs always verify (a block the asker lacks is refused, not charged); a false one is a lie, banned as 004 §6.3 bans an invalid block',
  },
  connectionFailed: {
    code: ErrorCode.NetworkError,
    penalty: -2,
    disconnect: false,
    ban: false,
    rationale: '004 §6.3 "failed connections decrease score": a dial or handshake that failed',
  },
} as const satisfies Record<OffenceName, Offence>

export type { OffenceName }

/** The penalty of each offence (OFFENCES), for callers that only need the number. */
export const PENALTIES = Object.fromEntries(
  Object.entries(OFFENCES).map(([name, offence]) => [name, offence.penalty]),
) as { readonly [K in OffenceName]: (typeof OFFENCES)[K]['penalty'] }

/**
 * What a PAW error a peer caused (or answered us with) does to it, in one place: the
 * local penalty, whether the connection is closed, and what the address book learns.
 * Codes that are not the peer's fault (limits, our shutdown, the network) cost nothing
 * beyond connectionFailed where a dial was involved.
 */
export interface ErrorAction {
  /** The offence it is charged as (OFFENCES), if any. */
  penalty: OffenceName | undefined
  disconnect: boolean
  /** 'wrong-chain': never dialled again; 'retry-later': a failed attempt (backoff). */
  addressBook: 'wrong-chain' | 'retry-later' | undefined
  rationale: string
}

export const ERROR_ACTIONS: Record<ErrorCodeName, ErrorAction> = {
  ProtocolVersionMismatch: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'wrong-chain',
    rationale: 'another protocol version cannot talk to us: not misbehaviour, but never worth dialling again',
  },
  ChainIdMismatch: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'wrong-chain',
    rationale: 'a node of another chain: its address is never dialled (issue 7 "addresses of another chain")',
  },
  HandshakeTimeout: {
    penalty: 'connectionFailed',
    disconnect: true,
    addressBook: 'retry-later',
    rationale: 'slow or overloaded, perhaps on purpose: a small cost, retried with backoff',
  },
  MessageTooLarge: {
    penalty: 'messageTooLarge',
    disconnect: true,
    addressBook: undefined,
    rationale: '004 §4.2: drop the message and disconnect; a 10 MiB frame costs it nothing to send',
  },
  InvalidMessageFormat: {
    penalty: 'invalidMessage',
    disconnect: false,
    addressBook: undefined,
    rationale: '004 §4.2: drop the message and log; a bug as often as an attack, so small',
  },
  PeerLimitReached: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'retry-later',
    rationale: 'its slots (or ours) are full: nobody misbehaved',
  },
  ReputationRejection: {
    penalty: undefined,
    disconnect: true,
    addressBook: 'retry-later',
    rationale: 'it refused us for our reputation: we retry later, it is its call',
  },
  NetworkError: {
    penalty: undefined,
    disconnect: false,
    addressBook: 'retry-later',
    rationale: 'the network, not the peer (a failed dial is charged connectionFailed where it is made)',
  },
  RateLimited: {
    penalty: 'rateLimited',
    disconnect: false,
    addressBook: undefined,
    rationale: 'charged once per violation window by the rate limiter; throttled meanwhile',
  },
  UnexpectedMessage: {
    penalty: 'unexpectedMessage',
    disconnect: false,
    addressBook: undefined,
    rationale: 'an answer nobody asked for: its entries are not used',
  },
  ResourceLimitExceeded: {
    penalty: undefined,
    disconnect: false,
    addressBook: 'retry-later',
    rationale:
      'a peer over its memory budget, or the node over its own: the work is refused; what the peer did to get there is charged as slowReader or budgetHog',
  },
}

const ACTIONS_BY_CODE = new Map<number, ErrorAction>(
  Object.entries(ErrorCode).map(([name, code]) => [code, ERROR_ACTIONS[name as ErrorCodeName]]),
)

/** The action for a PAW error code; undefined for a code PAW does not define. */
export function actionForCode(code: number): ErrorAction | undefined {
  return ACTIONS_BY_CODE.get(code)
}

/** Where a peer's block, header or transaction reached us. */
export type Arrival =
  /** Flooded on the blocks topic: honest peers validate before they relay. */
  | 'gossipBlock'
  /**
   * A compact block we forwarded after the header check, then fully validated
   * (protocols/gossip.md "What a relay promises"): honest peers relay it unvalidated too.
   */
  | 'relayedBlock'
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
  relayedBlock: {
    invalid: {
      gossip: 'ignore',
      offence: 'invalidMessage',
      rationale:
        'its header and transaction root were checked, the rest was not (protocols/gossip.md "What a relay promises"): an honest relay forwards such a block too, so no ban; each costs its miner a block of proof of work',
    },
    'unknown-parent': notTheirFault('not reached: only a block on our tip is forwarded early'),
    refused: notTheirFault('depends on our view (a clock ahead of ours), not proof of malice'),
  },
  gossipHeader: {
    invalid: { gossip: 'reject', rationale: "gossipsub's P4 charges it; a header costs little to check" },
    'unknown-parent': notTheirFault('header sync fetches the gap'),
    refused: notTheirFault('depends on our view'),
  },
  gossipTransaction: {
    invalid: {
      gossip: 'reject',
      rationale: "no valid transaction can be it: gossipsub's P4 charges the sender",
    },
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
