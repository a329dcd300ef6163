/**
 * Gossipsub peer-score parameters and thresholds for PAW's message rates
 * (docs/gossip-scoring.md). gossipsub's defaults assume ~10 messages/s on every topic; PAW
 * has one block a minute (2 s on devnet) and a bursty transaction topic, so every
 * rate-dependent number here is derived from the expected rates instead. Parameters are
 * created and validated at start-up (`createPawScoring`): a bad value throws naming the
 * field. The score model at the end is pure, so tests can show what an honest peer and an
 * invalid-block sender score. Browser-safe.
 */

import {
  type PeerScoreParams,
  type PeerScoreThresholds,
  type TopicScoreParams,
  validatePeerScoreParams,
  validatePeerScoreThresholds,
} from '@libp2p/gossipsub/score'
import { isLoopbackHost } from '../config/host-port.ts'
import { ipFamily } from '../wire/ip.ts'
import { blockTopic, headerTopic, parseTopic, transactionTopic } from './topics.ts'

/** What `createPawScoreParams` is computed from. */
export interface PawScoringOptions {
  /** The chain whose topics are scored. */
  chainId: string
  /** Expected time between blocks (the chain's target block time). */
  blockIntervalMs: number
  /** Peak network-wide transaction rate the parameters must tolerate. */
  expectedTxPerSecond: number
  /** Our reputation of a peer, added to its gossipsub score (P5). */
  appSpecificScore?: (peerId: string) => number
  /**
   * IPs exempt from the colocation penalty, besides loopback, which always is (a local
   * network's nodes all come from 127.0.0.0/8 or ::1).
   */
  ipColocationWhitelist?: Iterable<string>
  /**
   * Penalise mesh peers that deliver too few blocks (P3). Needs steady block production:
   * turn it off on a devnet where blocks are only mined on demand.
   */
  meshDeliveryPenalties?: boolean
}

/**
 * The colocation whitelist gossipsub asks `has(ip)`: the IPs given, and every loopback
 * address however it is written (127.0.0.0/8, ::1, ::ffff:127.x.y.z), not just the two
 * strings 127.0.0.1 and ::1 (docs/gossip-scoring.md: "loopback whitelisted").
 */
export class ColocationWhitelist extends Set<string> {
  override has(ip: string): boolean {
    return (
      super.has(ip) ||
      (ipFamily(ip.toLowerCase().replace(/^::ffff:/, '')) !== undefined && isLoopbackHost(ip))
    )
  }
}

/** Defaults for the optional fields of PawScoringOptions. */
export const defaultPawScoringOptions = {
  appSpecificScore: (_peerId: string): number => 0,
  ipColocationWhitelist: [] as readonly string[],
  meshDeliveryPenalties: true,
}

/** Scoring tick (gossipsub's minimum); every decay below is per this interval. */
export const DECAY_INTERVAL_MS = 1_000
/** A mesh peer is assumed to deliver at least this share of a topic's messages first or near-first. */
export const HONEST_MESH_SHARE = 0.2
/** Invalid messages on one topic that must take a peer at the topic score cap below graylistThreshold. */
export const MAX_INVALID_TO_GRAYLIST: Readonly<Record<'blocks' | 'headers' | 'transactions', number>> = {
  blocks: 3,
  headers: 3,
  transactions: 10,
}

/**
 * The per-interval decay factor that halves a counter every `halfLifeMs`:
 * 0.5^(decayIntervalMs / halfLifeMs).
 */
export function decayFor(halfLifeMs: number, decayIntervalMs: number = DECAY_INTERVAL_MS): number {
  if (!(halfLifeMs > 0) || !(decayIntervalMs > 0)) throw new RangeError('half-life and interval must be > 0')
  return 0.5 ** (decayIntervalMs / halfLifeMs)
}

/**
 * The level a counter fed `ratePerSecond` settles at, just after a decay tick:
 * r·Δ·d / (1 − d). This is the lowest it reads between ticks.
 */
export function steadyCounter(
  ratePerSecond: number,
  decay: number,
  decayIntervalMs = DECAY_INTERVAL_MS,
): number {
  const perTick = (ratePerSecond * decayIntervalMs) / 1000
  return (perTick * decay) / (1 - decay)
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** Positive score a topic can give: time in mesh (P1) plus first deliveries (P2), before its weight. */
const P1_MAX = 10
const P2_MAX = 20
/** P3 with no deliveries at all, before the topic weight: enough to be pruned, far from graylisted. */
const P3_FULL_DEFICIT = -20

interface TopicPlan {
  /** Messages per second on the topic at the expected rate. */
  rate: number
  topicWeight: number
  /** Half-life of the delivery counters, in ms. */
  deliveriesHalfLifeMs: number
  meshPenalties: boolean
  activationMs: number
  windowMs: number
  invalidWeight: number
  invalidHalfLifeMs: number
}

function topicParams(plan: TopicPlan): TopicScoreParams {
  const deliveryDecay = decayFor(plan.deliveriesHalfLifeMs)
  // The counter of a peer that delivers every message first.
  const fullRate = Math.max(steadyCounter(plan.rate, deliveryDecay), 1)
  const threshold = Math.max(steadyCounter(plan.rate * HONEST_MESH_SHARE, deliveryDecay) / 2, 0.1)
  const quantumMs = 10_000
  const timeInMeshCap = HOUR / quantumMs
  return {
    topicWeight: plan.topicWeight,
    timeInMeshWeight: P1_MAX / timeInMeshCap,
    timeInMeshQuantum: quantumMs,
    timeInMeshCap,
    firstMessageDeliveriesWeight: P2_MAX / fullRate,
    firstMessageDeliveriesDecay: deliveryDecay,
    firstMessageDeliveriesCap: fullRate,
    meshMessageDeliveriesWeight: plan.meshPenalties ? P3_FULL_DEFICIT / (threshold * threshold) : 0,
    meshMessageDeliveriesDecay: deliveryDecay,
    meshMessageDeliveriesCap: fullRate,
    meshMessageDeliveriesThreshold: threshold,
    meshMessageDeliveriesWindow: plan.windowMs,
    meshMessageDeliveriesActivation: plan.activationMs,
    meshFailurePenaltyWeight: plan.meshPenalties ? P3_FULL_DEFICIT / (threshold * threshold) : 0,
    meshFailurePenaltyDecay: deliveryDecay,
    invalidMessageDeliveriesWeight: plan.invalidWeight,
    invalidMessageDeliveriesDecay: decayFor(plan.invalidHalfLifeMs),
  }
}

/** Messages per second on each topic of `options`' chain, at the expected rates. */
export function expectedTopicRates(options: PawScoringOptions): Record<string, number> {
  const blocks = 1000 / options.blockIntervalMs
  return {
    [blockTopic(options.chainId)]: blocks,
    [headerTopic(options.chainId)]: blocks,
    [transactionTopic(options.chainId)]: options.expectedTxPerSecond,
  }
}

/** gossipsub PeerScoreParams for PAW's three topics (numbers in docs/gossip-scoring.md). */
export function createPawScoreParams(options: PawScoringOptions): PeerScoreParams {
  const opts = { ...defaultPawScoringOptions, ...options }
  if (!(opts.blockIntervalMs >= 1000))
    throw new ScoringConfigError('blockIntervalMs', 'must be at least 1000')
  if (!(opts.expectedTxPerSecond > 0)) throw new ScoringConfigError('expectedTxPerSecond', 'must be > 0')
  const rates = expectedTopicRates(opts)
  const block = opts.blockIntervalMs
  const blockPlan = {
    topicWeight: 1,
    deliveriesHalfLifeMs: 10 * block,
    meshPenalties: opts.meshDeliveryPenalties,
    activationMs: 5 * block,
    windowMs: 500,
    invalidWeight: -100,
    invalidHalfLifeMs: 6 * HOUR,
  }
  return {
    topics: {
      [blockTopic(opts.chainId)]: topicParams({ ...blockPlan, rate: rates[blockTopic(opts.chainId)] ?? 0 }),
      [headerTopic(opts.chainId)]: topicParams({
        ...blockPlan,
        topicWeight: 0.5,
        invalidWeight: -200,
        rate: rates[headerTopic(opts.chainId)] ?? 0,
      }),
      // No floor on the transaction rate (a quiet network sends none), so no P3 here.
      [transactionTopic(opts.chainId)]: topicParams({
        rate: opts.expectedTxPerSecond,
        topicWeight: 0.5,
        deliveriesHalfLifeMs: MINUTE,
        meshPenalties: false,
        activationMs: MINUTE,
        windowMs: 100,
        invalidWeight: -10,
        invalidHalfLifeMs: 10 * MINUTE,
      }),
    },
    topicScoreCap: 40,
    appSpecificScore: opts.appSpecificScore,
    appSpecificWeight: 1,
    IPColocationFactorWeight: -25,
    IPColocationFactorThreshold: 3,
    IPColocationFactorWhitelist: new ColocationWhitelist(opts.ipColocationWhitelist),
    behaviourPenaltyWeight: -4,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: decayFor(10 * MINUTE),
    decayInterval: DECAY_INTERVAL_MS,
    decayToZero: 0.01,
    retainScore: 6 * HOUR,
  }
}

/** gossipsub thresholds matching createPawScoreParams' scale. */
export function createPawScoreThresholds(partial: Partial<PeerScoreThresholds> = {}): PeerScoreThresholds {
  return {
    // Below −100 a peer has lost more than the topic cap can give: misbehaviour, not bad luck.
    gossipThreshold: -100,
    publishThreshold: -200,
    // Two invalid blocks (−400) take a peer with no positive score to it; three (−900) take
    // even a peer at the topic cap (40) well below it.
    graylistThreshold: -400,
    // Above the topic cap (40): only a peer our reputation vouches for is trusted for PX.
    acceptPXThreshold: 100,
    // Half an honest steady mesh peer's P1 alone: a mesh median below it means bad peers.
    opportunisticGraftThreshold: 5,
    ...partial,
  }
}

/** A scoring parameter that is out of range; `field` is its path, as in the message. */
export class ScoringConfigError extends Error {
  readonly field: string
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`)
    this.name = 'ScoringConfigError'
    this.field = field
  }
}

function check(condition: boolean, field: string, problem: string): void {
  if (!condition) throw new ScoringConfigError(field, problem)
}

/**
 * Validates PAW scoring: our own checks first (each naming the field), then gossipsub's
 * `validatePeerScoreParams` and `validatePeerScoreThresholds`. With `rates` (messages/s per
 * topic) it also checks each mesh delivery threshold is reachable by an honest peer.
 * @throws ScoringConfigError
 */
export function validatePawScoring(
  params: PeerScoreParams,
  thresholds: PeerScoreThresholds,
  rates?: Readonly<Record<string, number>>,
): void {
  const t = thresholds
  check(params.topicScoreCap > 0, 'topicScoreCap', 'must be > 0')
  check(t.gossipThreshold < 0, 'thresholds.gossipThreshold', 'must be < 0')
  check(t.publishThreshold < t.gossipThreshold, 'thresholds.publishThreshold', 'must be < gossipThreshold')
  check(
    t.graylistThreshold < t.publishThreshold,
    'thresholds.graylistThreshold',
    'must be < publishThreshold',
  )
  check(t.acceptPXThreshold > 0, 'thresholds.acceptPXThreshold', 'must be > 0')
  check(
    t.opportunisticGraftThreshold >= 0 && t.opportunisticGraftThreshold < params.topicScoreCap,
    'thresholds.opportunisticGraftThreshold',
    'must be in [0, topicScoreCap)',
  )
  check(params.appSpecificWeight > 0, 'appSpecificWeight', 'must be > 0 (our reputation feeds in)')
  check(params.IPColocationFactorWeight < 0, 'IPColocationFactorWeight', 'must be < 0')
  check(params.IPColocationFactorThreshold >= 1, 'IPColocationFactorThreshold', 'must be >= 1')
  check(params.behaviourPenaltyWeight < 0, 'behaviourPenaltyWeight', 'must be < 0')
  check(params.retainScore > 0, 'retainScore', 'must be > 0 (else reconnecting clears a penalty)')
  const entries = Object.entries(params.topics)
  check(entries.length > 0, 'topics', 'must score at least one topic')
  let chainId: string | undefined
  for (const [topic, p] of entries) {
    const at = (field: string) => `topics[${JSON.stringify(topic)}]${field === '' ? '' : `.${field}`}`
    const parsed = parseTopic(topic)
    check(parsed !== undefined, at(''), 'is not a PAW topic')
    if (parsed === undefined) continue
    chainId ??= parsed.chainId
    check(parsed.chainId === chainId, at(''), `belongs to chain ${parsed.chainId}, not ${chainId}`)
    check(p.topicWeight > 0, at('topicWeight'), 'must be > 0')
    check(p.timeInMeshWeight >= 0, at('timeInMeshWeight'), 'must be >= 0')
    check(p.firstMessageDeliveriesWeight >= 0, at('firstMessageDeliveriesWeight'), 'must be >= 0')
    check(p.meshMessageDeliveriesWeight <= 0, at('meshMessageDeliveriesWeight'), 'must be <= 0')
    check(p.meshFailurePenaltyWeight <= 0, at('meshFailurePenaltyWeight'), 'must be <= 0')
    check(p.invalidMessageDeliveriesWeight < 0, at('invalidMessageDeliveriesWeight'), 'must be < 0')
    for (const field of [
      'firstMessageDeliveriesDecay',
      'meshMessageDeliveriesDecay',
      'meshFailurePenaltyDecay',
      'invalidMessageDeliveriesDecay',
    ] as const) {
      check(p[field] > 0 && p[field] < 1, at(field), 'must be in (0, 1)')
    }
    const limit = MAX_INVALID_TO_GRAYLIST[parsed.kind]
    const score = params.topicScoreCap + p.topicWeight * p.invalidMessageDeliveriesWeight * limit * limit
    check(
      score < t.graylistThreshold,
      at('invalidMessageDeliveriesWeight'),
      `${limit} invalid messages must take a peer at the topic cap below graylistThreshold (reach ${score})`,
    )
    const rate = rates?.[topic]
    if (rate !== undefined && p.meshMessageDeliveriesWeight !== 0) {
      const honest = steadyCounter(
        rate * HONEST_MESH_SHARE,
        p.meshMessageDeliveriesDecay,
        params.decayInterval,
      )
      check(
        p.meshMessageDeliveriesThreshold <= honest,
        at('meshMessageDeliveriesThreshold'),
        `an honest mesh peer at ${rate}/s reaches ${honest.toFixed(3)}, below the threshold`,
      )
      check(
        p.meshMessageDeliveriesActivation >= 2 * (1000 / rate),
        at('meshMessageDeliveriesActivation'),
        'must cover at least two expected messages',
      )
    }
  }
  try {
    validatePeerScoreParams(params)
    validatePeerScoreThresholds(thresholds)
  } catch (error) {
    throw new ScoringConfigError('gossipsub', (error as Error).message)
  }
}

/** The parameters, thresholds and rates a node starts gossipsub with, validated. */
export interface PawScoring {
  params: PeerScoreParams
  thresholds: PeerScoreThresholds
  rates: Record<string, number>
}

/** Creates and validates the scoring for `options`: call at start-up, so a bad value fails there. */
export function createPawScoring(options: PawScoringOptions): PawScoring {
  const params = createPawScoreParams(options)
  const thresholds = createPawScoreThresholds()
  const rates = expectedTopicRates(options)
  validatePawScoring(params, thresholds, rates)
  return { params, thresholds, rates }
}
