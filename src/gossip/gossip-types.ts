/**
 * What the parts of PawGossip pass each other: a received message awaiting its verdict,
 * and what the node hears of gossip the chain took. Browser-safe.
 */
import type { TopicValidatorResult } from '@libp2p/gossipsub'
import type { ImportOutcome } from '../ports/chain.ts'
import type { IngressLane } from './ingress-queue.ts'
import type { TopicKind } from './topics.ts'

/** What gossipsub is told of a message: Accept (forward), Ignore, Reject (P4). */
export type Verdict = TopicValidatorResult

/** A message gossipsub handed over, as long as it awaits its verdict. */
export interface Received {
  msgId: string
  source: string
  kind: TopicKind
  topic: string
  data: Uint8Array
  /** performance.now() when gossipsub handed it over. */
  receivedAt: number
}

/**
 * Gossip the chain took and that moved the best chain (blocks, headers) or entered the
 * pool (transactions): the node turns it into its own events. `decoded` is the chain's
 * own form (ImportOutcome's `decoded`, the pool's), handed on untouched; hashes and ids
 * are hex.
 */
export type AcceptedGossip =
  | { kind: 'block'; decoded: unknown; hash: string; height: number; from: string; outcome: ImportOutcome }
  | { kind: 'header'; decoded: unknown; hash: string; height: number; from: string; outcome: ImportOutcome }
  | { kind: 'transaction'; decoded: unknown; id: string; from: string }

/**
 * Queues `judge` for `received` in `lane`; its verdict is reported when it runs (undefined:
 * the judge keeps the message and reports it later), Ignore if it throws or is dropped.
 */
export type Enqueue = (
  lane: IngressLane,
  received: Received,
  judge: () => Promise<Verdict | undefined> | Verdict | undefined,
) => void
