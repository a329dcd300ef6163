/**
 * Block and transaction propagation over gossipsub (000 NEW_BLOCK, NEW_TRANSACTION;
 * DECISIONS.md "Propagation"). gossipsub runs with asynchronous validation: every new
 * message waits, unforwarded, while this service validates it against the chain in the
 * priority queue (ingress-queue.ts), then is reported Accept (forwarded to the mesh),
 * Ignore (dropped, no penalty) or Reject (dropped, the sender's score pays: P4).
 *
 * What each node type subscribes to and how each message is judged:
 *
 * | topic        | full / miner                             | light                     |
 * |--------------|------------------------------------------|---------------------------|
 * | blocks       | full validation + addBlock               | not subscribed            |
 * | transactions | rate limit, signature and state, mempool | not subscribed            |
 * | headers      | Accept if the block is stored (relay)    | header rules + addHeader  |
 *
 * Outcomes (the same table is in protocols/gossip.md):
 * - Accept: a block or header that extended the best chain or moved it (reorg); a
 *   transaction admitted to the mempool.
 * - Ignore: duplicates, blocks that only make a side branch (stored, first seen wins,
 *   not relayed), a parent or predecessor we do not know yet (not provably wrong),
 *   a full mempool, a peer over its rate limit (throttled; scored by reputation instead),
 *   anything from a peer that has not completed /paw/handshake/1.
 * - Reject: bytes that do not decode, and every rule a valid message cannot break (proof
 *   of work, target, tx root, coinbase, signatures, the chain ID).
 *
 * Browser-safe.
 */
import {
  type GossipSub,
  type GossipsubMessage,
  type PublishResult,
  TopicValidatorResult,
} from '@libp2p/gossipsub'
import type { NodeChain, PawNodeEvents } from '../api.ts'
import { decodeBlock, decodeHeader, decodeTransaction, encodeBlock, encodeHeader } from '../chain/encoding.ts'
import { type ChainError, ChainErrorCode, isChainError, PROVABLY_INVALID_CODES } from '../chain/errors.ts'
import { blockHash, txHash } from '../chain/hashing.ts'
import type { AddBlockOutcome, Block, Transaction } from '../chain/types.ts'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import type { PeerRateLimiter } from '../peers/rate-limits.ts'
import type { Reputation } from '../peers/reputation.ts'
import { toHex } from '../wire/bytes.ts'
import { type IngressLane, IngressQueue, type LaneLimits, type LaneStats } from './ingress-queue.ts'
import { pawTopics, type TopicKind, topicKindFor } from './topics.ts'
import { TransactionWaitingRoom } from './waiting-room.ts'

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
  /** gossipsub 17's seen-cache (a SimpleTimeCache): its `entries` map is read here, see #ignoreAndUnsee. */
  seenCache?: { entries?: Map<string, unknown> }
}

/** How long a full node holds a header whose block has not arrived yet (within the 3 s gossip window). */
export const HEADER_WAIT_MS = 2_500

type Verdict = TopicValidatorResult

/** A message gossipsub handed over, as long as it awaits its verdict. */
interface Received {
  msgId: string
  source: string
  kind: TopicKind
  topic: string
  data: Uint8Array
  /** performance.now() when gossipsub handed it over. */
  receivedAt: number
}

/**
 * gossipsub forwards an Accepted message only while it is in its message cache (5
 * heartbeats, ~5 s). A message Accepted later than this (a long queue, a slow block) is
 * forwarded by publishing it again.
 */
export const FORWARD_WINDOW_MS = 3_500

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

/**
 * The verdict for a ChainError. Blocks: a block whose transactions break a state rule
 * (nonce, balance, a transaction twice) is invalid too. Transactions: those are Ignore,
 * since they depend on what this node has seen (another transaction may have spent the
 * nonce first, or the pool may be full) and an honest peer can relay them.
 */
export function verdictForChainError(error: ChainError, kind: 'block' | 'header' | 'transaction'): Verdict {
  if (PROVABLY_INVALID_CODES.has(error.code)) return TopicValidatorResult.Reject
  if (kind === 'block') {
    if (
      error.code === ChainErrorCode.BadNonce ||
      error.code === ChainErrorCode.InsufficientBalance ||
      error.code === ChainErrorCode.DuplicateTransaction
    ) {
      return TopicValidatorResult.Reject
    }
  }
  // UNKNOWN_PARENT, BAD_TIMESTAMP (a clock ahead of ours is not proof of malice),
  // MEMPOOL_FULL, and for transactions BAD_NONCE / INSUFFICIENT_BALANCE / DUPLICATE.
  return TopicValidatorResult.Ignore
}

/** What a chain outcome means for relaying. */
function verdictForOutcome(outcome: AddBlockOutcome): Verdict {
  return outcome === 'extended' || outcome === 'reorg'
    ? TopicValidatorResult.Accept
    : TopicValidatorResult.Ignore
}

export interface GossipStats {
  lanes: Record<IngressLane, LaneStats>
  verdicts: Record<TopicKind, { accept: number; ignore: number; reject: number }>
  /** Transactions dropped unprocessed because their sender was over its rate limit. */
  throttled: number
  /** Messages ignored because their sender had not completed the handshake. */
  notHandshaken: number
  /** Messages Accepted after gossipsub's forwarding window, forwarded by publishing them again. */
  republished: number
}

export interface PawGossipInit {
  pubsub: PawPubSub
  chainId: string
  chain: NodeChain | undefined
  reputation: Reputation
  limiter: PeerRateLimiter
  /** Whether a peer has completed /paw/handshake/1 (gossip of others is ignored). */
  isHandshaken: (peerId: string) => boolean
  /** Connected, handshaken peers. */
  connectedPeers: () => string[]
  /** Charges invalid blocks (a ban: OFFENCES.invalidBlock) and acts on falling scores every heartbeat. */
  enforcer: Pick<Enforcer, 'charge' | 'review' | 'prune'>
  dispatch: <K extends 'block' | 'header' | 'transaction'>(
    name: K,
    detail: PawNodeEvents[K] extends CustomEvent<infer D> ? D : never,
  ) => void
  log: Logger
  laneLimits?: Partial<Record<IngressLane, LaneLimits>>
  /** A gossiped block's parent is unknown: we are behind (block sync fetches the gap). */
  onUnknownParent?: (from: string) => void
}

export class PawGossip {
  readonly #init: PawGossipInit
  readonly #pubsub: PawPubSub
  readonly #topics: Record<TopicKind, string>
  readonly #queue: IngressQueue
  readonly #waiting: TransactionWaitingRoom<Received>
  /** Headers a full node received before their block: relayed once the block is accepted. */
  readonly #headersAwaitingBlock = new Map<
    string,
    { received: Received; timer: ReturnType<typeof setTimeout> }
  >()
  readonly #log: Logger
  readonly #stats: Omit<GossipStats, 'lanes'>
  #heartbeats = 0
  readonly #onMessage = (event: CustomEvent<GossipsubMessage>): void => this.#received(event.detail)
  readonly #onHeartbeat = (): void => this.#heartbeat()

  constructor(init: PawGossipInit) {
    this.#init = init
    this.#pubsub = init.pubsub
    this.#topics = pawTopics(init.chainId)
    this.#queue = new IngressQueue(init.laneLimits)
    this.#log = init.log
    this.#waiting = new TransactionWaitingRoom<Received>({
      onExpire: (received) => this.#ignoreAndUnsee(received.msgId, received.source, received.kind),
    })
    const zero = () => ({ accept: 0, ignore: 0, reject: 0 })
    this.#stats = {
      verdicts: { blocks: zero(), transactions: zero(), headers: zero() },
      throttled: 0,
      notHandshaken: 0,
      republished: 0,
    }
  }

  /** The topics this node's type subscribes to. */
  get subscribedTopics(): string[] {
    const { chain } = this.#init
    if (chain === undefined) return []
    if (chain.headers !== undefined) return [this.#topics.headers]
    return [this.#topics.blocks, this.#topics.transactions, this.#topics.headers]
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
    this.#waiting.clear()
    for (const waiting of this.#headersAwaitingBlock.values()) clearTimeout(waiting.timer)
    this.#headersAwaitingBlock.clear()
    await this.#queue.close()
  }

  stats(): GossipStats {
    const verdicts = Object.fromEntries(
      Object.entries(this.#stats.verdicts).map(([kind, counts]) => [kind, { ...counts }]),
    ) as GossipStats['verdicts']
    return { ...this.#stats, verdicts, lanes: this.#queue.stats() }
  }

  /** Resolves once every queued message has been judged (tests, benchmarks). */
  idle(): Promise<void> {
    return this.#queue.idle()
  }

  /** Floods a block, then its header for light nodes; returns the peers sent the block. */
  async publishBlock(block: Block): Promise<number> {
    const result = await this.#publish(this.#topics.blocks, encodeBlock(block))
    await this.#publish(this.#topics.headers, encodeHeader(block.header))
    return result.recipients.length
  }

  /** Floods a transaction; returns the peers it was sent to. */
  async publishTransaction(encoded: Uint8Array): Promise<number> {
    return (await this.#publish(this.#topics.transactions, encoded)).recipients.length
  }

  async #publish(topic: string, data: Uint8Array): Promise<PublishResult> {
    return this.#pubsub.publish(topic, data)
  }

  #report(msgId: string, source: string, kind: TopicKind, verdict: Verdict): void {
    this.#stats.verdicts[kind][verdict]++
    this.#pubsub.reportMessageValidationResult(msgId, source, verdict)
  }

  /** Reports a verdict on a received message; an Accept that came too late is forwarded by publishing. */
  #judged(received: Received, verdict: Verdict): void {
    this.#report(received.msgId, received.source, received.kind, verdict)
    if (verdict !== TopicValidatorResult.Accept) return
    if (performance.now() - received.receivedAt <= FORWARD_WINDOW_MS) return
    this.#stats.republished++
    // Out of gossipsub's message cache, so the Accept forwarded nothing. Publishing needs the
    // ID out of the seen-cache (else it is a duplicate); peers that have it drop the copy.
    this.#pubsub.seenCache?.entries?.delete(received.msgId)
    this.#publish(received.topic, received.data).catch((error: unknown) => {
      this.#log.debug('late forward failed', { kind: received.kind, error: (error as Error).message })
    })
  }

  /**
   * Ignores a message for a reason that is about its sender or our load, not its content
   * (no handshake, over the rate limit, queue full), and forgets that it was seen.
   * gossipsub puts every new ID in its seen-cache before validation; left there, the same
   * message from an honest peer would be dropped as a duplicate for two minutes, so a
   * throttled or unhandshaken peer could keep real blocks and transactions from us by
   * sending them first. SimpleTimeCache has no delete; removing from its map keeps its
   * expiry order intact.
   */
  #ignoreAndUnsee(msgId: string, source: string, kind: TopicKind): void {
    this.#report(msgId, source, kind, TopicValidatorResult.Ignore)
    this.#pubsub.seenCache?.entries?.delete(msgId)
  }

  #received({ msgId, propagationSource, msg }: GossipsubMessage): void {
    const source = propagationSource.toString()
    let kind: TopicKind
    try {
      kind = topicKindFor(this.#init.chainId, msg.topic)
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
    const report = (verdict: Verdict) => this.#judged(received, verdict)
    if (!this.#init.isHandshaken(source)) {
      this.#stats.notHandshaken++
      this.#ignoreAndUnsee(msgId, source, kind)
      return
    }
    const unsee = () => this.#ignoreAndUnsee(msgId, source, kind)
    const { chain } = this.#init
    const data = msg.data
    if (kind === 'transactions' && chain?.mempool !== undefined) {
      if (!this.#init.limiter.allow(source, 'gossipTransactions')) {
        this.#stats.throttled++
        this.#init.reputation.throttle(source)
        unsee()
        return
      }
      this.#enqueue('transactions', data.length, report, unsee, () => this.#validateTransaction(received))
    } else if (kind === 'blocks' && chain?.chain !== undefined) {
      if (data.length > chain.chain.params.maxBlockBytes + 1024) {
        report(TopicValidatorResult.Reject)
        this.#invalidBlock(source, `a ${data.length}-byte block is over the chain's maximum`)
        return
      }
      this.#enqueue('blocks', data.length, report, unsee, () => this.#validateBlock(data, source))
    } else if (kind === 'headers' && chain?.headers !== undefined) {
      this.#enqueue('blocks', data.length, report, unsee, () => this.#validateHeader(data, source))
    } else if (kind === 'headers' && chain?.chain !== undefined) {
      this.#enqueue('blocks', data.length, report, unsee, () => this.#relayHeader(received))
    } else {
      report(TopicValidatorResult.Ignore)
    }
  }

  #enqueue(
    lane: IngressLane,
    bytes: number,
    report: (verdict: Verdict) => void,
    dropped: () => void,
    judge: () => Promise<Verdict | undefined>,
  ): void {
    this.#queue.push({
      lane,
      bytes,
      run: async () => {
        let verdict: Verdict | undefined
        try {
          verdict = await judge()
        } catch (error) {
          // Not the sender's fault we know of (a store error, a bug): do not relay, do not charge.
          this.#log.error('gossip validation failed', { lane, error })
          verdict = TopicValidatorResult.Ignore
        }
        // undefined: the judge parked the message and reports it later.
        if (verdict !== undefined) report(verdict)
      },
      drop: dropped,
    })
  }

  async #validateBlock(data: Uint8Array, source: string): Promise<Verdict> {
    const chain = this.#init.chain?.chain
    if (chain === undefined) return TopicValidatorResult.Ignore
    let block: Block
    try {
      block = decodeBlock(data)
    } catch (error) {
      this.#invalidBlock(source, `undecodable block: ${(error as Error).message}`)
      return TopicValidatorResult.Reject
    }
    const hash = toHex(blockHash(block.header))
    try {
      const outcome = await chain.addBlock(block)
      const verdict = verdictForOutcome(outcome)
      if (verdict === TopicValidatorResult.Accept) {
        this.#log.debug('block accepted', { height: block.header.height, hash, from: source, outcome })
        this.#init.dispatch('block', { block, hash, from: source, outcome })
        const waiting = this.#headersAwaitingBlock.get(hash)
        if (waiting !== undefined) {
          // The header came first and is held: relaying it now is what publishing would do.
          this.#headersAwaitingBlock.delete(hash)
          clearTimeout(waiting.timer)
          this.#judged(waiting.received, TopicValidatorResult.Accept)
        } else {
          // Light nodes follow headers; ours may be the first copy they get.
          this.#publish(this.#topics.headers, encodeHeader(block.header)).catch((error: unknown) => {
            this.#log.debug('header publish failed', { hash, error: (error as Error).message })
          })
        }
      }
      return verdict
    } catch (error) {
      if (!isChainError(error)) throw error
      if (error.code === ChainErrorCode.UnknownParent) this.#init.onUnknownParent?.(source)
      const verdict = verdictForChainError(error, 'block')
      this.#log[verdict === TopicValidatorResult.Reject ? 'warn' : 'debug']('block refused', {
        hash,
        height: block.header.height,
        from: source,
        code: error.code,
        error: error.message,
        verdict,
      })
      if (verdict === TopicValidatorResult.Reject) {
        this.#invalidBlock(
          source,
          `block ${hash} at height ${block.header.height}: ${error.code}: ${error.message}`,
        )
      }
      return verdict
    }
  }

  /**
   * A gossiped block no valid block could be: honest peers validate before they relay
   * (gossipsub asynchronous validation), so its sender is banned at once (004 §6.3;
   * OFFENCES.invalidBlock), besides what gossipsub's P4 charges it.
   */
  #invalidBlock(source: string, why: string): void {
    this.#init.enforcer.charge(source, 'invalidBlock', why, 'gossip')
  }

  /** Peers whose gossipsub score is known: connected ones, and those it retains after they left. */
  #scoredPeers(): Set<string> {
    const peers = new Set(this.#init.connectedPeers())
    const tracked = this.#pubsub.score?.peerStats
    if (tracked instanceof Map) for (const peerId of tracked.keys()) peers.add(peerId as string)
    return peers
  }

  async #validateHeader(data: Uint8Array, source: string): Promise<Verdict> {
    const headers = this.#init.chain?.headers
    if (headers === undefined) return TopicValidatorResult.Ignore
    let header: ReturnType<typeof decodeHeader>
    try {
      header = decodeHeader(data)
    } catch {
      return TopicValidatorResult.Reject
    }
    const hash = toHex(blockHash(header))
    try {
      const outcome = await headers.addHeader(header)
      const verdict = verdictForOutcome(outcome)
      if (verdict === TopicValidatorResult.Accept) {
        this.#init.dispatch('header', { header, hash, from: source, outcome })
      }
      return verdict
    } catch (error) {
      if (!isChainError(error)) throw error
      return verdictForChainError(error, 'header')
    }
  }

  /**
   * Full nodes relay a header only for a block they have validated and stored. A header
   * that overtook its block (it is 153 bytes, the block up to 10 MiB) is held, unanswered,
   * until the block is accepted or HEADER_WAIT_MS pass: Ignoring it at once would leave
   * its ID in the seen-cache and make our own header publication a duplicate nobody hears.
   */
  async #relayHeader(received: Received): Promise<Verdict | undefined> {
    const chain = this.#init.chain?.chain
    if (chain === undefined) return TopicValidatorResult.Ignore
    let hash: Uint8Array
    try {
      hash = blockHash(decodeHeader(received.data))
    } catch {
      return TopicValidatorResult.Reject
    }
    if ((await chain.getEncodedBlock(hash)) !== undefined) return TopicValidatorResult.Accept
    const key = toHex(hash)
    if (this.#headersAwaitingBlock.has(key) || this.#headersAwaitingBlock.size >= 64) {
      return TopicValidatorResult.Ignore
    }
    const timer = setTimeout(() => {
      if (this.#headersAwaitingBlock.get(key)?.received !== received) return
      this.#headersAwaitingBlock.delete(key)
      this.#ignoreAndUnsee(received.msgId, received.source, 'headers')
    }, HEADER_WAIT_MS)
    this.#headersAwaitingBlock.set(key, { received, timer })
    return undefined
  }

  async #validateTransaction(received: Received): Promise<Verdict | undefined> {
    const mempool = this.#init.chain?.mempool
    if (mempool === undefined) return TopicValidatorResult.Ignore
    let transaction: Transaction
    try {
      transaction = decodeTransaction(received.data)
    } catch {
      return TopicValidatorResult.Reject
    }
    if (mempool.has(toHex(txHash(transaction)))) return TopicValidatorResult.Ignore
    return this.#admitGossiped(transaction, received.source, received)
  }

  /**
   * Adds a gossiped transaction to the mempool. With `msgId`, one refused as BAD_NONCE is
   * parked instead (undefined: reported later): probably a later nonce that overtook its
   * predecessor on another path, which would otherwise be lost to gossipsub's seen-cache.
   */
  #admitGossiped(transaction: Transaction, source: string, parkable?: Received): Verdict | undefined {
    const mempool = this.#init.chain?.mempool
    if (mempool === undefined) return TopicValidatorResult.Ignore
    let id: string
    try {
      id = mempool.add(transaction).id
    } catch (error) {
      if (!isChainError(error)) throw error
      if (error.code === ChainErrorCode.BadNonce && parkable !== undefined) {
        if (this.#waiting.park(transaction, parkable)) return undefined
      }
      return verdictForChainError(error, 'transaction')
    }
    this.#init.dispatch('transaction', { transaction, id, from: source, via: 'gossip' })
    this.#releaseSuccessors(transaction)
    return TopicValidatorResult.Accept
  }

  /** Transactions parked for a sender's next nonce: try them now that one more is pending. */
  #releaseSuccessors(admitted: Transaction): void {
    for (const parked of this.#waiting.takeNext(admitted)) {
      this.#queue.push({
        lane: 'transactions',
        bytes: 152,
        run: async () => {
          const verdict =
            this.#admitGossiped(parked.transaction, parked.tag.source) ?? TopicValidatorResult.Ignore
          this.#judged(parked.tag, verdict)
        },
        drop: () => this.#ignoreAndUnsee(parked.tag.msgId, parked.tag.source, 'transactions'),
      })
    }
  }

  /**
   * Every gossipsub heartbeat (1 s): the enforcer acts on every peer whose score is known,
   * connected or not (a ban below BAN_BELOW, a disconnect below DISCONNECT_BELOW).
   * gossipsub keeps lowering the score of a peer that already left, as its messages
   * still in our queue are judged invalid, so a peer disconnected at −400 is banned when it
   * reaches −1,000, wherever it is by then.
   */
  #heartbeat(): void {
    this.#heartbeats++
    for (const peerId of this.#scoredPeers()) this.#init.enforcer.review(peerId)
    if (this.#heartbeats % 60 === 0) {
      this.#init.limiter.prune()
      this.#init.reputation.prune()
      this.#init.enforcer.prune()
    }
  }
}
