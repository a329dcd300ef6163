/**
 * `/paw/blocks/1` (protocols/blocks.md): blocks and headers by hash or height range,
 * answered from the node's stored chain. Browser-safe.
 *
 * Streams and who runs them:
 * - streams a peer opens carry its requests; we answer each with one frame, lock-step
 *   (responder.ts), from `source`: a full node's Chain (stored block encodings, written
 *   without re-encoding or copying) or a light node's headers (get_headers only);
 * - our own requests to a peer (getBlock, getBlocks, getHeaders) run on at most
 *   REQUEST_STREAMS_PER_PEER streams ("lanes") per connection, each lock-step: one
 *   outstanding request per stream. Two lanes let the peer read the next answer from its
 *   store while it writes the previous one, which one lock-step stream cannot (the link
 *   would idle between answers). A lane's stream is kept LANE_LINGER_MS after its last
 *   request for the next one, then closed.
 *
 * Every stream goes through a FrameChannel (read-idle and write timeouts, traffic
 * counters); a `blocks` answer is written with a deadline scaled to its size (writer.ts).
 * A peer's fault (0x05, 0x09, 0x0A) is logged at WARN, charged to its reputation and
 * counted, and its stream is reset; transport failures only end the stream.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import type { BlockHeader, Hash } from '../../chain/types.ts'
import type { Settings } from '../../config/settings.ts'
import { NetworkError } from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import type { Enforcer } from '../../peers/enforcer.ts'
import type { PeerManager } from '../../peers/peer-manager.ts'
import type { PeerRateLimiter } from '../../peers/rate-limits.ts'
import {
  BlocksFrameType,
  encodeGetBlock,
  encodeGetBlocks,
  encodeGetHeaders,
  type RangeRequest,
} from '../../wire/blocks.ts'
import type { Frame } from '../../wire/frame.ts'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import { endFailedStream, type FaultSink, PeerFault, refuseFault } from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import type { MemoryBudget } from '../shared/memory-budget.ts'
import { asNetworkError, ProtocolStreams } from '../shared/protocol-streams.ts'
import { BLOCKS_PROTOCOL, MAX_BLOCKS_STREAMS, REQUEST_STREAMS_PER_PEER } from './constants.ts'
import type { BlocksContext } from './context.ts'
import { answerLimits, laneLimits, responderLimits } from './limits.ts'
import { nextMessage } from './reader.ts'
import { matchBlock, matchBlocks, matchHeaders } from './requester.ts'
import { CannotServeError, serveRequests } from './responder.ts'
import { type BlocksStats, copyBlocksStats, newBlocksStats } from './stats.ts'

export { BLOCKS_PROTOCOL, MAX_BLOCKS_STREAMS, REQUEST_STREAMS_PER_PEER } from './constants.ts'
export type { BlocksStats } from './stats.ts'

/**
 * What a node serves from. A full node's `Chain` (src/chain/types.ts) is one; a light
 * node's header chain (no `getEncodedBlock`) answers get_headers only.
 */
export interface BlocksSource {
  tip(): { height: number }
  /** Headers of the best chain from `fromHeight`, at most `count`. */
  getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]>
  /** The block's stored encoding, on any branch; absent on a light node. */
  getEncodedBlock?(hash: Hash): Promise<Uint8Array | undefined>
}

/** What the protocol needs of the peer manager: connections of handshaken peers and their traffic counters. */
export type BlocksPeers = Pick<PeerManager, 'connected' | 'traffic'>

export interface BlocksProtocolInit {
  libp2p: Libp2p
  peers: BlocksPeers
  settings: Settings
  log: Logger
  /** Whether /paw/handshake/1 completed on the connection (requireHandshake). */
  isHandshaken: (connection: Connection) => boolean
  /** What we serve from; undefined on a node without a chain (it answers nothing). */
  source: BlocksSource | undefined
  limiter: PeerRateLimiter
  /** Charges peers for their faults (src/peers/enforcer.ts). */
  enforcer: Pick<Enforcer, 'charge'>
  /** The memory budget frames and answers are reserved from; none: unbounded (tests). */
  budget?: MemoryBudget | undefined
  /** The chain's largest block encoding, which bounds the answers we accept (default: a frame's worth). */
  maxBlockBytes?: number
}

/** One of our request streams to a connection: one request on it at a time. */
interface RequestLane {
  channel: FrameChannel | undefined
  /** Requests queued or running. */
  pending: number
  tail: Promise<void>
  /** Set while the lane is idle: closes it after LANE_LINGER_MS unless a request comes. */
  lingering: ReturnType<typeof setTimeout> | undefined
}

/**
 * How long an idle lane keeps its stream for the next request. A sync asks again within
 * milliseconds of each answer; reopening a stream each time would cost a round trip and
 * restart yamux's receive window at 256 KiB (bench/sync measured 0.72x the raw stream
 * that way, 0.8x and more with lanes kept). Far below the peer's read-idle timeout (30 s).
 */
const LANE_LINGER_MS = 1_000

export class BlocksProtocol {
  readonly #plumbing: ProtocolStreams
  readonly #init: BlocksProtocolInit
  readonly #log: Logger
  readonly #stats = newBlocksStats()
  /** Our request lanes by connection id (at most REQUEST_STREAMS_PER_PEER each). */
  readonly #lanes = new Map<string, RequestLane[]>()
  readonly #context: BlocksContext

  constructor(init: BlocksProtocolInit) {
    this.#init = init
    this.#plumbing = new ProtocolStreams({
      protocol: BLOCKS_PROTOCOL,
      settings: init.settings,
      peers: init.peers,
      budget: init.budget,
      onFault: (peerId, fault) => refuseFault(this.#sink(), peerId, fault),
    })
    this.#log = init.log
    this.#context = {
      init,
      stats: this.#stats,
      sizes: { largest: 0 },
      refuse: (peerId, fault) => this.#refuse(peerId, fault),
    }
  }

  async start(): Promise<void> {
    if (this.#plumbing.running) return
    await this.#plumbing.listen({
      libp2p: this.#init.libp2p,
      isHandshaken: this.#init.isHandshaken,
      onNotHandshaken: () => {
        this.#stats.refused.notHandshaken++
      },
      serve: (stream, connection) => this.#serve(stream, connection),
      maxStreams: MAX_BLOCKS_STREAMS,
    })
  }

  async stop(): Promise<void> {
    if (!this.#plumbing.running) return
    await this.#plumbing.close(this.#init.libp2p)
    for (const lanes of this.#lanes.values()) for (const lane of lanes) clearTimeout(lane.lingering)
    this.#lanes.clear()
  }

  /** Counters since this node was created (a copy; for the node's stats). */
  stats(): BlocksStats {
    return copyBlocksStats(this.#stats)
  }

  /**
   * The block with this hash (on any branch the peer stores), as the peer's stored
   * encoding; undefined if the peer answered not_found. Its hash is checked, its contents
   * are not.
   * @throws NetworkError (not connected, stream failed), UnexpectedMessageError (0x0A) or
   *   InvalidMessageFormatError (0x05) for a wrong answer, which is charged to the peer;
   *   InvalidMessageFormatError for a hash that is not 32 bytes
   */
  async getBlock(peerId: string, hash: Uint8Array): Promise<Uint8Array | undefined> {
    const payload = encodeGetBlock(hash)
    const limits = answerLimits({ type: BlocksFrameType.GetBlock }, this.#init.maxBlockBytes)
    return this.#request(peerId, BlocksFrameType.GetBlock, payload, limits, (frame) =>
      matchBlock(payload, frame),
    )
  }

  /**
   * Block encodings of the peer's best chain at heights fromHeight, fromHeight + 1, …: at
   * most `count`, possibly fewer (trimmed by the answer bounds or the peer's tip; empty
   * above its tip). Not validated: the caller decodes and checks linkage.
   * @throws as getBlock; InvalidMessageFormatError for a range outside u32 / 1..65535
   */
  async getBlocks(peerId: string, fromHeight: number, count: number): Promise<Uint8Array[]> {
    const range: RangeRequest = { startHeight: fromHeight, count }
    const payload = encodeGetBlocks(range)
    const limits = answerLimits({ type: BlocksFrameType.GetBlocks, range }, this.#init.maxBlockBytes)
    return this.#request(peerId, BlocksFrameType.GetBlocks, payload, limits, (frame) =>
      matchBlocks(range, frame),
    )
  }

  /**
   * 153-byte header encodings of the peer's best chain from `fromHeight`: at most `count`,
   * possibly fewer (at most 512 per answer; empty above its tip). Not validated.
   * @throws as getBlocks
   */
  async getHeaders(peerId: string, fromHeight: number, count: number): Promise<Uint8Array[]> {
    const range: RangeRequest = { startHeight: fromHeight, count }
    const payload = encodeGetHeaders(range)
    const limits = answerLimits({ type: BlocksFrameType.GetHeaders, range }, this.#init.maxBlockBytes)
    return this.#request(peerId, BlocksFrameType.GetHeaders, payload, limits, (frame) =>
      matchHeaders(range, frame),
    )
  }

  /** The lane a new request to `connection` joins: an idle one, a new one while under the cap, else the least busy. */
  #laneFor(connection: Connection): RequestLane {
    let lanes = this.#lanes.get(connection.id)
    if (lanes === undefined) {
      lanes = []
      this.#lanes.set(connection.id, lanes)
    }
    const quietest = lanes.reduce<RequestLane | undefined>(
      (best, lane) => (best === undefined || lane.pending < best.pending ? lane : best),
      undefined,
    )
    if (quietest !== undefined && (quietest.pending === 0 || lanes.length >= REQUEST_STREAMS_PER_PEER)) {
      clearTimeout(quietest.lingering)
      quietest.lingering = undefined
      return quietest
    }
    const lane: RequestLane = {
      channel: undefined,
      pending: 0,
      tail: Promise.resolve(),
      lingering: undefined,
    }
    lanes.push(lane)
    return lane
  }

  /** Closes an idle lane after LANE_LINGER_MS, unless a request takes it first. */
  #linger(connectionId: string, lane: RequestLane): void {
    clearTimeout(lane.lingering)
    const timer = setTimeout(() => this.#retire(connectionId, lane), LANE_LINGER_MS)
    // Node: an idle lane does not keep the process alive (browsers have no unref).
    ;(timer as { unref?: () => void }).unref?.()
    lane.lingering = timer
  }

  /** Removes an idle lane and closes its stream. */
  #retire(connectionId: string, lane: RequestLane): void {
    clearTimeout(lane.lingering)
    lane.lingering = undefined
    const lanes = this.#lanes.get(connectionId)
    if (lanes !== undefined) {
      const remaining = lanes.filter((other) => other !== lane)
      if (remaining.length === 0) this.#lanes.delete(connectionId)
      else this.#lanes.set(connectionId, remaining)
    }
    const idle = lane.channel
    lane.channel = undefined
    if (idle !== undefined) void idle.close()
  }

  /**
   * Sends one request on one of the connection's lanes, accepting one answer within
   * `limits` (what the request can be answered with), and matches it.
   */
  async #request<T>(
    peerId: string,
    type: string,
    payload: Uint8Array,
    limits: FrameLimits,
    match: (frame: Frame) => T,
  ): Promise<T> {
    if (!this.#plumbing.running) throw new NetworkError(`${BLOCKS_PROTOCOL} is not running`)
    const connection = this.#plumbing.connectionOf(peerId)
    const lane = this.#laneFor(connection)
    lane.pending++
    const run = lane.tail.then(async () => {
      lane.channel ??= await this.#plumbing.open(connection, laneLimits(this.#init.maxBlockBytes))
      const channel = lane.channel
      try {
        channel.expectOne(limits)
        await channel.write(type, payload)
        this.#stats.requestsSent++
        const frame = await nextMessage(this.#context, channel, peerId, false)
        if (frame === undefined) throw new NetworkError('the peer closed the stream without answering')
        return match(frame)
      } catch (error) {
        // The stream is not reused after a failure: the next request opens another.
        lane.channel = undefined
        this.#failed(channel, peerId, error)
        throw error instanceof PeerFault ? error.error : asNetworkError(error)
      }
    })
    lane.tail = run.then(
      () => undefined,
      () => undefined,
    )
    try {
      return await run
    } finally {
      lane.pending--
      if (lane.pending === 0) this.#linger(connection.id, lane)
    }
  }

  /** A stream the peer opened: its requests, answered one by one. */
  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peerId = connection.remotePeer.toString()
    const channel = this.#plumbing.channel(stream, connection, responderLimits(this.#init.maxBlockBytes))
    try {
      await serveRequests(
        this.#context,
        channel,
        peerId,
        this.#init.peers.traffic(connection, BLOCKS_PROTOCOL),
      )
    } catch (error) {
      this.#failed(channel, peerId, error)
    }
  }

  /** Ends a stream that failed: a peer's fault is refused (counted, charged). */
  #failed(channel: FrameChannel | undefined, peerId: string, error: unknown): void {
    const level = error instanceof CannotServeError ? 'info' : 'debug'
    endFailedStream(this.#sink(), channel?.stream, peerId, error, level)
  }

  #refuse(peerId: string, fault: PeerFault): void {
    refuseFault(this.#sink(), peerId, fault)
  }

  #sink(): FaultSink {
    return { refused: this.#stats.refused, enforcer: this.#init.enforcer, log: this.#log, what: 'blocks' }
  }
}
