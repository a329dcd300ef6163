/**
 * Telling gossipsub its verdicts (protocols/gossip.md "Validation outcomes"), and the two
 * places where that alone would lose a message: an Accept that comes after gossipsub's
 * message cache has let the message go, and an Ignore that is about the sender or our
 * load rather than the message. Browser-safe.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Logger } from '../logging.ts'
import type { GossipCounters } from './gossip-stats.ts'
import type { Received, Verdict } from './gossip-types.ts'
import type { PawPubSub } from './pubsub.ts'
import type { TopicKind } from './topics.ts'

/**
 * gossipsub forwards an Accepted message only while it is in its message cache (5
 * heartbeats, ~5 s). A message Accepted later than this (a long queue, a slow block) is
 * forwarded by publishing it again.
 */
export const FORWARD_WINDOW_MS = 3_500

export interface ForwardingInit {
  pubsub: PawPubSub
  counters: GossipCounters
  log: Logger
}

export class Forwarding {
  readonly #pubsub: PawPubSub
  readonly #counters: GossipCounters
  readonly #log: Logger

  constructor(init: ForwardingInit) {
    this.#pubsub = init.pubsub
    this.#counters = init.counters
    this.#log = init.log
  }

  /** Publishes `data` on `topic` as our own message; resolves with the peers it was sent to. */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    return (await this.#pubsub.publish(topic, data)).recipients.length
  }

  /** Tells gossipsub the verdict on a message, and counts it. */
  report(message: Pick<Received, 'msgId' | 'source' | 'kind'>, verdict: Verdict): void {
    this.#counters.verdict(message.kind, verdict)
    this.#pubsub.reportMessageValidationResult(message.msgId, message.source, verdict)
  }

  /** Reports a verdict on a received message; an Accept that came too late is forwarded by publishing. */
  judged(received: Received, verdict: Verdict): void {
    this.report(received, verdict)
    if (verdict !== TopicValidatorResult.Accept) return
    if (performance.now() - received.receivedAt <= FORWARD_WINDOW_MS) return
    this.#counters.republished++
    // Out of gossipsub's message cache, so the Accept forwarded nothing. Publishing needs the
    // ID out of the seen-cache (else it is a duplicate); peers that have it drop the copy.
    this.#pubsub.seenCache?.entries?.delete(received.msgId)
    this.publish(received.topic, received.data).catch((error: unknown) => {
      this.#log.debug('late forward failed', { kind: received.kind, error: (error as Error).message })
    })
  }

  /**
   * Ignores a message for a reason that is about its sender or our load, not its content
   * (no handshake, over the rate limit, queue full, a wait expired), and forgets that it
   * was seen (protocols/gossip.md "Resolved in r1"). gossipsub puts every new ID in its
   * seen-cache before validation; left there, the same message from an honest peer would
   * be dropped as a duplicate for two minutes, so a throttled or unhandshaken peer could
   * keep real blocks and transactions from us by sending them first. SimpleTimeCache has
   * no delete; removing from its map keeps its expiry order intact.
   */
  ignoreAndUnsee(message: { msgId: string; source: string; kind: TopicKind }): void {
    this.report(message, TopicValidatorResult.Ignore)
    this.#pubsub.seenCache?.entries?.delete(message.msgId)
  }
}
