/**
 * Whole blocks for the peers that do not take compact ones (protocols/compact-blocks.md
 * "Mixed networks"). A peer subscribed to blocks/1 but not to blocks/2 (another
 * implementation, an older paw-node, a node with compact relay off) hears nothing of a
 * block that travels compact. A compact node with such a peer therefore also publishes the
 * block whole on blocks/1: its own blocks when it floods them, and a block that came
 * compact once it has passed full validation (a whole block on blocks/1 is judged as a
 * whole block, and a relay that forwards an invalid one is charged as for an invalid
 * block: so never before full validation). A node whose every blocks/1 peer is on blocks/2
 * too publishes nothing whole, and compact relay keeps its bytes.
 *
 * Gossip message ids are content-based (message-id.ts): the copies several bridges publish
 * of one block are one message to every router, forwarded once and dropped as duplicates
 * after that. Browser-safe.
 */
import type { Logger } from '../logging.ts'
import type { CompactCounters } from './compact-stats.ts'
import type { Forwarding } from './forwarding.ts'
import type { PawPubSub } from './pubsub.ts'

export interface LegacyBridgeInit {
  pubsub: Pick<PawPubSub, 'getSubscribers'>
  forwarding: Pick<Forwarding, 'publish'>
  /** blocks/1: whole blocks. */
  wholeTopic: string
  /** blocks/2: compact blocks. */
  compactTopic: string
  counters: Pick<CompactCounters, 'bridged'>
  log: Logger
}

export class LegacyBridge {
  readonly #init: LegacyBridgeInit

  constructor(init: LegacyBridgeInit) {
    this.#init = init
  }

  /** Peers subscribed to whole blocks and not to compact ones. */
  legacyPeers(): number {
    const { pubsub, wholeTopic, compactTopic } = this.#init
    const compact = new Set(pubsub.getSubscribers(compactTopic).map((peer) => peer.toString()))
    let legacy = 0
    for (const peer of pubsub.getSubscribers(wholeTopic)) if (!compact.has(peer.toString())) legacy++
    return legacy
  }

  /**
   * Publishes a fully validated block whole on blocks/1 if a peer needs it; resolves with
   * the peers it was sent to (0 if none needed it, or the block was seen there already).
   */
  async publishWhole(encoded: Uint8Array): Promise<number> {
    if (this.legacyPeers() === 0) return 0
    try {
      const recipients = await this.#init.forwarding.publish(this.#init.wholeTopic, encoded)
      this.#init.counters.bridged++
      return recipients
    } catch (error) {
      // PublishError.Duplicate: it came whole already (from a legacy peer or another
      // bridge), and gossipsub forwarded that copy.
      this.#init.log.debug('whole block for peers without compact relay not published', {
        error: (error as Error).message,
      })
      return 0
    }
  }
}
