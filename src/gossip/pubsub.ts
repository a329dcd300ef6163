/**
 * The gossipsub router as PawGossip uses it: the methods @libp2p/gossipsub 17 has but its
 * exported interface does not declare, and reading a peer's score from it. Browser-safe.
 */
import type { GossipSub, TopicValidatorResult } from '@libp2p/gossipsub'

/** The gossipsub methods used here that its exported interface does not declare. */
export interface PawPubSub extends GossipSub {
  reportMessageValidationResult(
    msgId: string,
    propagationSource: string,
    acceptance: TopicValidatorResult,
  ): void
  getScore(peerId: string): number
  getMeshPeers(topic: string): string[]
  /** gossipsub 17's PeerScore: its `peerStats` says which peers it tracks (see gossipScoreOf). */
  score?: { peerStats?: Map<string, unknown> }
  /** gossipsub 17's seen-cache (a SimpleTimeCache): its `entries` map is read by forwarding.ts. */
  seenCache?: { entries?: Map<string, unknown> }
}

/**
 * A peer's gossipsub score, or undefined if gossipsub does not track it (getScore answers 0
 * for those, which would read as a clean slate). Where the PeerScore internals are not as
 * expected, every connected peer counts as tracked.
 */
export function gossipScoreOf(pubsub: PawPubSub, peerId: string): number | undefined {
  const tracked = pubsub.score?.peerStats
  if (tracked instanceof Map && !tracked.has(peerId)) return undefined
  return pubsub.getScore(peerId)
}
