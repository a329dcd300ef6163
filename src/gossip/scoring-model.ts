/**
 * A pure model of the gossipsub score (the formula of @libp2p/gossipsub's computeScore,
 * written out so tests and docs can evaluate it without a running router): what an honest
 * peer settles at under createPawScoreParams, and how fast an invalid-message sender falls
 * to the graylist. Browser-safe.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'
import { HONEST_MESH_SHARE, steadyCounter } from './scoring.ts'

/** A peer's counters on one topic, as gossipsub keeps them. */
export interface TopicCounters {
  /** Time since the peer was grafted into our mesh, or undefined if it is not in it. */
  inMeshMs?: number
  /** P2 counter: messages it delivered to us first. */
  firstMessageDeliveries: number
  /** P3 counter: messages it delivered first or within the window. */
  meshMessageDeliveries: number
  /** Whether P3 is active (the peer has been in the mesh past the activation time). */
  meshMessageDeliveriesActive: boolean
  /** P3b counter. */
  meshFailurePenalty: number
  /** P4 counter: messages we Rejected. */
  invalidMessageDeliveries: number
}

/** Counters of a peer that has delivered nothing and done nothing wrong. */
export const ZERO_COUNTERS: TopicCounters = Object.freeze({
  firstMessageDeliveries: 0,
  meshMessageDeliveries: 0,
  meshMessageDeliveriesActive: false,
  meshFailurePenalty: 0,
  invalidMessageDeliveries: 0,
})

/** One topic's contribution before the topic weight: P1 + P2 + P3 + P3b + P4. */
export function topicScore(p: TopicScoreParams, c: TopicCounters): number {
  let score = 0
  if (c.inMeshMs !== undefined) {
    score += Math.min(c.inMeshMs / p.timeInMeshQuantum, p.timeInMeshCap) * p.timeInMeshWeight
  }
  score += Math.min(c.firstMessageDeliveries, p.firstMessageDeliveriesCap) * p.firstMessageDeliveriesWeight
  if (c.meshMessageDeliveriesActive && c.meshMessageDeliveries < p.meshMessageDeliveriesThreshold) {
    const deficit = p.meshMessageDeliveriesThreshold - c.meshMessageDeliveries
    score += deficit * deficit * p.meshMessageDeliveriesWeight
  }
  score += c.meshFailurePenalty * p.meshFailurePenaltyWeight
  score += c.invalidMessageDeliveries * c.invalidMessageDeliveries * p.invalidMessageDeliveriesWeight
  return score
}

/** What a peer's score is computed from besides its topic counters. */
export interface PeerExtras {
  /** Our reputation score of the peer (P5, before its weight). */
  appSpecificScore?: number
  /** Peers connected from its (non-whitelisted) IP, itself included (P6). */
  peersOnSameIp?: number
  /** P7 counter. */
  behaviourPenalty?: number
}

/** The whole score: weighted topic scores capped by topicScoreCap, then P5, P6 and P7. */
export function peerScore(
  params: PeerScoreParams,
  topics: Readonly<Record<string, TopicCounters>>,
  extras: PeerExtras = {},
): number {
  let score = 0
  for (const [topic, counters] of Object.entries(topics)) {
    const p = params.topics[topic]
    if (p !== undefined) score += topicScore(p, counters) * p.topicWeight
  }
  if (params.topicScoreCap > 0) score = Math.min(score, params.topicScoreCap)
  score += (extras.appSpecificScore ?? 0) * params.appSpecificWeight
  const surplus = (extras.peersOnSameIp ?? 1) - params.IPColocationFactorThreshold
  if (surplus > 0) score += surplus * surplus * params.IPColocationFactorWeight
  const excess = (extras.behaviourPenalty ?? 0) - params.behaviourPenaltyThreshold
  if (excess > 0) score += excess * excess * params.behaviourPenaltyWeight
  return score
}

/** How an honest mesh peer is assumed to behave. */
export interface HonestBehaviour {
  /** Time in our mesh. */
  inMeshMs: number
  /** Share of each topic's messages it delivers first (default: 0, the worst case). */
  firstShare?: number
  /** Share it delivers first or within the window (default HONEST_MESH_SHARE). */
  meshShare?: number
}

/**
 * The steady-state score of an honest mesh peer on every topic in `rates` (messages/s),
 * using the counters' lowest point between decay ticks.
 */
export function expectedSteadyScore(
  params: PeerScoreParams,
  rates: Readonly<Record<string, number>>,
  behaviour: HonestBehaviour,
): number {
  const topics: Record<string, TopicCounters> = {}
  for (const [topic, rate] of Object.entries(rates)) {
    const p = params.topics[topic]
    if (p === undefined) continue
    topics[topic] = {
      ...ZERO_COUNTERS,
      inMeshMs: behaviour.inMeshMs,
      firstMessageDeliveries: steadyCounter(
        rate * (behaviour.firstShare ?? 0),
        p.firstMessageDeliveriesDecay,
        params.decayInterval,
      ),
      meshMessageDeliveries: steadyCounter(
        rate * (behaviour.meshShare ?? HONEST_MESH_SHARE),
        p.meshMessageDeliveriesDecay,
        params.decayInterval,
      ),
      meshMessageDeliveriesActive: behaviour.inMeshMs > p.meshMessageDeliveriesActivation,
    }
  }
  return peerScore(params, topics)
}

/**
 * The score of a peer that starts at `startScore` (default: the topic cap, the most a topic
 * can give) and then sends `invalid` messages on `topic` that we Reject, before any decay.
 */
export function invalidSenderScore(
  params: PeerScoreParams,
  topic: string,
  invalid: number,
  startScore: number = params.topicScoreCap,
): number {
  const p = params.topics[topic]
  if (p === undefined) throw new RangeError(`${topic} is not scored`)
  return startScore + invalid * invalid * p.invalidMessageDeliveriesWeight * p.topicWeight
}

/** The fewest invalid messages on `topic` that take a peer at the topic cap below graylist. */
export function invalidMessagesToGraylist(
  params: PeerScoreParams,
  thresholds: PeerScoreThresholds,
  topic: string,
): number {
  for (let n = 1; n <= 10_000; n++) {
    if (invalidSenderScore(params, topic, n) < thresholds.graylistThreshold) return n
  }
  return Number.POSITIVE_INFINITY
}
