/**
 * Block, header and transaction propagation over gossipsub (000 NEW_BLOCK, NEW_TRANSACTION;
 * DECISIONS.md "Propagation"; protocols/gossip.md). gossipsub runs with asynchronous
 * validation: every new message waits, unforwarded, while the chain judges it in the
 * priority queue (ingress-queue.ts), then is reported Accept (forwarded to the mesh),
 * Ignore (dropped, no penalty) or Reject (dropped, the sender's score pays: P4). The
 * chain is known only through its port (src/ports/chain.ts): gossip moves its encodings
 * and never decodes one.
 *
 * What each node type subscribes to, and who judges each message:
 *
 * | topic        | full / miner                                     | light                          |
 * |--------------|--------------------------------------------------|--------------------------------|
 * | blocks       | importBlock (block-judge.ts)                     | not subscribed                 |
 * | blocks/2     | rebuild, header check, forward, import (compact-judge.ts) | not subscribed        |
 * | transactions | rate limit, then the pool (transaction-judge.ts) | not subscribed                 |
 * | headers      | Accept if the block is stored (header-relay.ts)  | importHeader (header-judge.ts) |
 *
 * blocks/2 carries compact blocks (protocols/compact-blocks.md): with a chain that splits
 * blocks (its port's blockParts) and a fetcher for what a mempool lacks (/paw/blocks/1),
 * a full node subscribes to it and floods its own blocks there instead of whole on blocks/1,
 * and whole on blocks/1 as well only while a peer takes no compact blocks (legacy-bridge.ts).
 *
 * What a refused message costs its sender is src/peers/offences.ts's (refusals.ts).
 * This file routes messages to their judge, publishes, and runs the parts' lifecycle.
 * Browser-safe.
 */
import { type GossipsubMessage, TopicValidatorResult } from '@libp2p/gossipsub'
import type { AbortOptions } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import type { PeerRateLimiter } from '../peers/rate-limits.ts'
import type { Reputation } from '../peers/reputation.ts'
import type { BlockSummary, ChainPort } from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import { BlockJudge } from './block-judge.ts'
import { type CompactFetcher, CompactJudge } from './compact-judge.ts'
import { compactBlockOf, randomNonce } from './compact-sender.ts'
import { CompactCounters, type CompactStats } from './compact-stats.ts'
import { Forwarding } from './forwarding.ts'
import { GossipCounters, type GossipStats } from './gossip-stats.ts'
import type { AcceptedGossip, Enqueue, Received, Verdict } from './gossip-types.ts'
import { HeaderJudge } from './header-judge.ts'
import { HeaderRelay } from './header-relay.ts'
import { GossipHeartbeat } from './heartbeat.ts'
import { type IngressLane, IngressQueue, type LaneLimits } from './ingress-queue.ts'
import { LegacyBridge } from './legacy-bridge.ts'
import type { PawPubSub } from './pubsub.ts'
import { relayCheck } from './relay-check.ts'
import { RelayedBlocks } from './relayed-blocks.ts'
import { compactBlockTopic, pawTopics, type TopicKind, topicKindFor } from './topics.ts'
import { TransactionJudge } from './transaction-judge.ts'

export type { CompactFetcher } from './compact-judge.ts'
export type { CompactStats } from './compact-stats.ts'
export { FORWARD_WINDOW_MS } from './forwarding.ts'
export type { GossipStats } from './gossip-stats.ts'
export type { AcceptedGossip } from './gossip-types.ts'
export { HEADER_WAIT_MS } from './header-relay.ts'
export { gossipScoreOf, type PawPubSub } from './pubsub.ts'

export interface PublishBlockOptions extends AbortOptions {
  /**
   * Places of the block's transactions to send whole in its compact block: those the
   * announcer's mempool did not hold (compact-sender.ts). The first always is.
   */
  prefill?: ReadonlySet<number>
  /** The compact block went out already, before the import (publishEarly): only the rest now. */
  sentEarly?: boolean
  /** The chain's readBlock of the block, if the caller has it: not read again. */
  summary?: BlockSummary
}

export interface PawGossipInit {
  pubsub: PawPubSub
  /** The chain whose messages are judged; without one, every message is Ignored. */
  chain: ChainPort | undefined
  /**
   * The chain ID of the topics published to by a node with no chain (it can still submit
   * transactions); a chain's own `chainId` takes precedence.
   */
  chainId?: string
  reputation: Reputation
  limiter: PeerRateLimiter
  /** Whether a peer has completed /paw/handshake/1 (gossip of others is ignored). */
  isHandshaken: (peerId: string) => boolean
  /** Connected, handshaken peers. */
  connectedPeers: () => string[]
  /** Charges what offences.ts names (an invalid block: a ban) and acts on falling scores every heartbeat. */
  enforcer: Pick<Enforcer, 'charge' | 'review' | 'prune'>
  /** A block, header or transaction from a peer was taken by the chain (the node's events). */
  onAccepted: (accepted: AcceptedGossip) => void
  log: Logger
  laneLimits?: Partial<Record<IngressLane, LaneLimits>>
  /**
   * We are behind (block sync fetches the gap): a gossiped block's parent is unknown, or a
   * compact block's sender could give neither what our mempool lacked nor the block.
   */
  onUnknownParent?: (from: string) => void
  /**
   * Asks a compact block's sender for what the mempool lacks (the node's BlocksProtocol);
   * without it, compact relay is off: whole blocks on blocks/1 only.
   */
  blockFetcher?: CompactFetcher
}

export class PawGossip {
  readonly #init: PawGossipInit
  readonly #pubsub: PawPubSub
  readonly #chainId: string | undefined
  readonly #topics: Record<TopicKind, string> | undefined
  readonly #queue: IngressQueue
  readonly #counters = new GossipCounters()
  readonly #forwarding: Forwarding
  readonly #heartbeat: GossipHeartbeat
  readonly #blocks: BlockJudge | undefined
  readonly #headerRelay: HeaderRelay | undefined
  readonly #headers: HeaderJudge | undefined
  readonly #transactions: TransactionJudge | undefined
  readonly #compact: CompactJudge | undefined
  readonly #compactTopic: string | undefined
  readonly #compactCounters = new CompactCounters()
  readonly #bridge: LegacyBridge | undefined
  readonly #relayed = new RelayedBlocks()
  readonly #onMessage = (event: CustomEvent<GossipsubMessage>): void => this.#received(event.detail)
  readonly #onHeartbeat = (): void => this.#heartbeat.beat()

  constructor(init: PawGossipInit) {
    this.#init = init
    this.#pubsub = init.pubsub
    this.#chainId = init.chain?.chainId ?? init.chainId
    this.#topics = this.#chainId === undefined ? undefined : pawTopics(this.#chainId)
    this.#queue = new IngressQueue(init.laneLimits)
    this.#forwarding = new Forwarding({ pubsub: init.pubsub, counters: this.#counters, log: init.log })
    this.#heartbeat = new GossipHeartbeat(init)
    const { chain, enforcer, onAccepted, log } = init
    const forwarding = this.#forwarding
    if (chain?.kind === 'full' && this.#topics !== undefined) {
      this.#headerRelay = new HeaderRelay({ chain, forwarding })
      this.#blocks = new BlockJudge({
        chain,
        enforcer,
        forwarding,
        headerRelay: this.#headerRelay,
        headerTopic: this.#topics.headers,
        onAccepted,
        ...(init.onUnknownParent === undefined ? {} : { onUnknownParent: init.onUnknownParent }),
        log,
      })
      const enqueue: Enqueue = (lane, received, judge) => this.#enqueue(lane, received, judge)
      this.#transactions = new TransactionJudge({ chain, enforcer, forwarding, enqueue, onAccepted })
      if (chain.blockParts !== undefined && init.blockFetcher !== undefined && this.#chainId !== undefined) {
        this.#compactTopic = compactBlockTopic(this.#chainId)
        this.#bridge = new LegacyBridge({
          pubsub: init.pubsub,
          forwarding,
          wholeTopic: this.#topics.blocks,
          compactTopic: this.#compactTopic,
          counters: this.#compactCounters,
          log,
        })
        this.#compact = new CompactJudge({
          chain,
          parts: chain.blockParts,
          fetcher: init.blockFetcher,
          blocks: this.#blocks,
          enforcer,
          forwarding,
          enqueue,
          relayed: this.#relayed,
          counters: this.#compactCounters,
          bridge: this.#bridge,
          ...(init.onUnknownParent === undefined ? {} : { onUnfetched: init.onUnknownParent }),
          log,
        })
      }
    } else if (chain?.kind === 'headers') {
      this.#headers = new HeaderJudge({ chain, enforcer, onAccepted, log })
    }
  }

  /** The topics this node's type subscribes to. */
  get subscribedTopics(): string[] {
    const { chain } = this.#init
    if (chain === undefined || this.#topics === undefined) return []
    if (chain.kind === 'headers') return [this.#topics.headers]
    const compact = this.#compactTopic === undefined ? [] : [this.#compactTopic]
    return [this.#topics.blocks, ...compact, this.#topics.transactions, this.#topics.headers]
  }

  start(): void {
    this.#pubsub.addEventListener('gossipsub:message', this.#onMessage)
    this.#pubsub.addEventListener('gossipsub:heartbeat', this.#onHeartbeat)
    for (const topic of this.subscribedTopics) this.#pubsub.subscribe(topic)
  }

  async stop(): Promise<void> {
    this.#pubsub.removeEventListener('gossipsub:message', this.#onMessage)
    this.#pubsub.removeEventListener('gossipsub:heartbeat', this.#onHeartbeat)
    for (const topic of this.subscribedTopics) this.#pubsub.unsubscribe(topic)
    this.#transactions?.clear()
    this.#headerRelay?.clear()
    this.#relayed.clear()
    await this.#queue.close()
  }

  stats(): GossipStats & { compact: CompactStats } {
    return { ...this.#counters.snapshot(this.#queue.stats()), compact: this.#compactCounters.snapshot() }
  }

  /**
   * A block forwarded after its header check and not stored yet (relayed-blocks.ts): what
   * /paw/blocks/1 answers a get_block or get_block_transactions for it from.
   */
  relayedBlock(hash: Uint8Array): Uint8Array | undefined {
    return this.#relayed.get(hash)
  }

  /** Resolves once every queued message has been judged (tests, benchmarks). */
  idle(): Promise<void> {
    return this.#queue.idle()
  }

  /**
   * Floods a block encoding, then its header's encoding for light nodes (protocols/gossip.md
   * "Who subscribes and publishes"); resolves with the peers sent the block. The block is
   * validated (imported) by now.
   */
  async publishBlock(
    encoded: Uint8Array,
    headerEncoding: Uint8Array,
    options?: PublishBlockOptions,
  ): Promise<number> {
    const topics = this.#publishTopics(options)
    let recipients = 0
    let compact = options?.sentEarly === true
    if (!compact) {
      const [topic, message] = this.#blockMessage(topics, encoded, options)
      recipients += await this.#forwarding.publish(topic, message)
      compact = topic === this.#compactTopic
    }
    // Validated: whole on blocks/1 too where a peer takes no compact blocks.
    if (compact && this.#bridge !== undefined) recipients += await this.#bridge.publishWhole(encoded)
    await this.#forwarding.publish(topics.headers, headerEncoding)
    return recipients
  }

  /**
   * Our own block before its import, as relays forward one (protocols/compact-blocks.md
   * "Sending"; BIP152's high-bandwidth mode): with compact relay on, a block on our tip
   * whose header passes the header check goes out compact now, and its import follows;
   * meanwhile peers' fetches for it are answered from the relay store. Resolves with the
   * peers sent it, or undefined if it was not sent (compact relay off, or not a block on
   * our tip with a valid header): then publishBlock sends it once it is imported. Call
   * `endEarly` once the import has answered either way.
   */
  async publishEarly(
    encoded: Uint8Array,
    headerEncoding: Uint8Array,
    options?: PublishBlockOptions,
  ): Promise<number | undefined> {
    const chain = this.#init.chain
    if (this.#compactTopic === undefined || chain?.kind !== 'full') return undefined
    if ((await relayCheck(chain, headerEncoding)) !== 'passed') return undefined
    const [topic, message, hash] = this.#blockMessage(this.#publishTopics(options), encoded, options)
    if (topic !== this.#compactTopic || hash === undefined) return undefined
    this.#relayed.add(hash, encoded)
    return this.#forwarding.publish(topic, message)
  }

  /** The import of a block sent early has answered: peers' fetches go to the chain's store again. */
  endEarly(hash: Uint8Array): void {
    this.#relayed.delete(toHex(hash))
  }

  /**
   * Where and as what a block of ours is flooded: compact on blocks/2 when compact relay is
   * on, with the block's id (hex); else whole on blocks/1.
   */
  #blockMessage(
    topics: Record<TopicKind, string>,
    encoded: Uint8Array,
    options: PublishBlockOptions | undefined,
  ): [topic: string, message: Uint8Array, hash?: string] {
    const chain = this.#init.chain
    if (this.#compactTopic === undefined || chain?.kind !== 'full' || chain.blockParts === undefined) {
      return [topics.blocks, encoded]
    }
    const summary = options?.summary ?? chain.readBlock(encoded)
    if (summary === undefined) return [topics.blocks, encoded]
    const source = { parts: chain.blockParts, shape: chain.shape }
    const compact = compactBlockOf(encoded, summary, source, randomNonce(), options?.prefill)
    if (compact === undefined) return [topics.blocks, encoded]
    const hash = toHex(summary.header.hash)
    // Counted as published now: the caller publishes it next, with no await between.
    this.#compactCounters.publishedNow(hash)
    return [this.#compactTopic, compact, hash]
  }

  /** Floods a transaction encoding; resolves with the peers it was sent to. */
  async publishTransaction(encoded: Uint8Array, options?: AbortOptions): Promise<number> {
    return this.#forwarding.publish(this.#publishTopics(options).transactions, encoded)
  }

  #publishTopics(options?: AbortOptions): Record<TopicKind, string> {
    options?.signal?.throwIfAborted()
    if (this.#topics === undefined) throw new TypeError('publishing needs a chain or a chain ID')
    return this.#topics
  }

  #received({ msgId, propagationSource, msg }: GossipsubMessage): void {
    const source = propagationSource.toString()
    let kind: TopicKind
    try {
      if (this.#chainId === undefined) throw new TypeError('no chain ID')
      kind = topicKindFor(this.#chainId, msg.topic)
    } catch {
      this.#pubsub.reportMessageValidationResult(msgId, source, TopicValidatorResult.Ignore)
      return
    }
    const received: Received = {
      msgId,
      source,
      kind,
      topic: msg.topic,
      data: msg.data,
      receivedAt: performance.now(),
    }
    if (!this.#init.isHandshaken(source)) {
      this.#counters.notHandshaken++
      this.#forwarding.ignoreAndUnsee(received)
      return
    }
    const data = msg.data
    const blocks = this.#blocks
    const transactions = this.#transactions
    const headers = this.#headers
    const relay = this.#headerRelay
    if (kind === 'transactions' && transactions !== undefined) {
      if (!this.#init.limiter.allow(source, 'gossipTransactions')) {
        this.#counters.throttled++
        this.#init.reputation.throttle(source)
        this.#forwarding.ignoreAndUnsee(received)
        return
      }
      this.#enqueue('transactions', received, () => transactions.judge(received))
    } else if (msg.topic === this.#compactTopic && blocks !== undefined && this.#compact !== undefined) {
      const compact = this.#compact
      const oversized = blocks.oversized(data, source)
      if (oversized !== undefined) this.#forwarding.judged(received, oversized)
      else this.#enqueue('blocks', received, () => compact.judge(received))
    } else if (kind === 'blocks' && msg.topic === this.#topics?.blocks && blocks !== undefined) {
      const oversized = blocks.oversized(data, source)
      if (oversized !== undefined) this.#forwarding.judged(received, oversized)
      else this.#enqueue('blocks', received, () => blocks.judge(data, source))
    } else if (kind === 'headers' && headers !== undefined) {
      this.#enqueue('blocks', received, () => headers.judge(data, source))
    } else if (kind === 'headers' && relay !== undefined) {
      this.#enqueue('blocks', received, () => relay.judge(received))
    } else {
      this.#forwarding.judged(received, TopicValidatorResult.Ignore)
    }
  }

  #enqueue(
    lane: IngressLane,
    received: Received,
    judge: () => Promise<Verdict | undefined> | Verdict | undefined,
  ): void {
    this.#queue.push({
      lane,
      bytes: received.data.length,
      run: async () => {
        let verdict: Verdict | undefined
        try {
          verdict = await judge()
        } catch (error) {
          // Not the sender's fault we know of (a store error, a bug): do not relay, do not charge.
          this.#init.log.error('gossip validation failed', { lane, error })
          verdict = TopicValidatorResult.Ignore
        }
        // undefined: the judge kept the message and reports it later.
        if (verdict !== undefined) this.#forwarding.judged(received, verdict)
      },
      drop: () => this.#forwarding.ignoreAndUnsee(received),
    })
  }
}
