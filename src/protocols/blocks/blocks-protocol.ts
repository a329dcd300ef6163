/**
 * `/paw/blocks/1` (protocols/blocks.md): blocks and headers by hash or height range,
 * answered from the node's stored chain. Browser-safe.
 *
 * Streams and who runs them:
 * - streams a peer opens carry its requests; we answer each with one frame, lock-step
 *   (responder.ts), from the chain port (src/ports/chain.ts): a full node's (stored block
 *   and header encodings, written without re-encoding or copying) or a light node's
 *   headers (get_headers only);
 * - our own requests to a peer (getBlock, getBlocks, getHeaders) run on at most
 *   REQUEST_STREAMS_PER_PEER streams ("lanes") per connection, each lock-step: one
 *   outstanding request per stream. Two lanes let the peer read the next answer from its
 *   store while it writes the previous one, which one lock-step stream cannot (the link
 *   would idle between answers). A lane's stream is kept LANE_LINGER_MS after its last
 *   request for the next one, then closed.
 *
 * Every stream goes through a FrameChannel (read-idle and write timeouts, traffic
 * counters); a `blocks` answer is written with a deadline scaled to its size (writer.ts).
 * Frames are sized by the chain's shape (limits.ts), and a get_block answer is checked by
 * the chain to be the block asked for.
 * A peer's fault (0x05, 0x09, 0x0A) is logged at WARN, charged to its reputation and
 * counted, and its stream is reset; transport failures only end the stream.
 */
import type { AbortOptions, Connection, Stream } from '@libp2p/interface'
import { NetworkError } from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import type { ChainShape } from '../../ports/chain.ts'
import { encodeGetBlockTransactions } from '../../wire/block-transactions.ts'
import {
  BLOCK_HASH_LENGTH,
  BlocksFrameType,
  encodeGetBlock,
  encodeGetBlocks,
  encodeGetHeaders,
  MAX_BLOCK_ENCODING_BYTES,
  type RangeRequest,
} from '../../wire/blocks.ts'
import type { Frame } from '../../wire/frame.ts'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import { abortOnSignal, raceSignal, reasonOf } from '../shared/abort.ts'
import { endFailedStream, type FaultSink, PeerFault, refuseFault } from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { asNetworkError, ProtocolStreams } from '../shared/protocol-streams.ts'
import { nextMessage } from '../shared/reader.ts'
import { BLOCKS_PROTOCOL, MAX_BLOCKS_STREAMS, REQUEST_STREAMS_PER_PEER } from './constants.ts'
import type { BlocksContext } from './context.ts'
import { type BlocksLimits, blocksLimits, responderLimits } from './limits.ts'
import { matchBlock, matchBlocks, matchBlockTransactions, matchHeaders } from './requester.ts'
import { CannotServeError, serveRequests } from './responder.ts'
import { type BlocksStats, copyBlocksStats, newBlocksStats } from './stats.ts'
import type { BlocksProtocolInit } from './types.ts'

export { BLOCKS_PROTOCOL, MAX_BLOCKS_STREAMS, REQUEST_STREAMS_PER_PEER } from './constants.ts'
export { CannotServeError } from './responder.ts'
export type { BlocksStats } from './stats.ts'
export type { BlockServingChain, BlocksChain, BlocksPeers, BlocksProtocolInit } from './types.ts'

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
  /** What streams peers open accept (their requests), from the chain's largest block. */
  readonly #responderLimits: FrameLimits
  /** What our requests are sized and checked by; undefined without a chain or a shape. */
  readonly #requesting: { shape: ChainShape; limits: BlocksLimits } | undefined
  readonly #context: BlocksContext

  /**
   * @throws RangeError for a chain whose ids are not the 32 bytes /paw/blocks/1 carries
   *   (protocols/blocks.md "Blocks, headers and hashes")
   */
  constructor(init: BlocksProtocolInit) {
    const shape = init.chain?.shape ?? init.shape
    if (shape !== undefined && shape.hashBytes !== BLOCK_HASH_LENGTH) {
      throw new RangeError(
        `${BLOCKS_PROTOCOL} carries ${BLOCK_HASH_LENGTH}-byte block ids, the chain's are ${shape.hashBytes}`,
      )
    }
    this.#init = init
    this.#requesting = shape === undefined ? undefined : { shape, limits: blocksLimits(shape) }
    // Without a chain nothing is served: the largest frame a request stream may see is a frame's worth.
    this.#responderLimits =
      this.#requesting?.limits.responder ?? responderLimits({ maxBlockBytes: MAX_BLOCK_ENCODING_BYTES })
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
   * encoding; undefined if the peer answered not_found. The chain reads it (readBlock): it
   * must be a block, its body its header's, and its id `hash`; it is not validated further.
   * @throws NetworkError (not connected, stream failed, or no chain to read the block by),
   *   UnexpectedMessageError (0x0A) or InvalidMessageFormatError (0x05) for a wrong answer,
   *   which is charged to the peer; InvalidMessageFormatError for a hash that is not 32
   *   bytes; the signal's reason if it aborted
   */
  async getBlock(
    peerId: string,
    hash: Uint8Array,
    options: AbortOptions = {},
  ): Promise<Uint8Array | undefined> {
    const payload = encodeGetBlock(hash)
    const chain = this.#init.chain
    if (chain === undefined) throw new NetworkError('this node has no chain to read a block by')
    const { shape, limits } = this.#requestingAs()
    return this.#request(
      peerId,
      BlocksFrameType.GetBlock,
      payload,
      limits.getBlock,
      (frame) => matchBlock(payload, frame, chain, shape),
      options,
    )
  }

  /**
   * The transactions at `indexes` (strictly increasing) of block `hash`, which the peer
   * holds or has just forwarded as a compact block (protocols/compact-blocks.md); undefined
   * if it answered not_found. Sized by the chain's shape, not otherwise checked: the
   * compact block's short ids say whether they are the ones asked for.
   * @throws as getBlock
   */
  async getBlockTransactions(
    peerId: string,
    hash: Uint8Array,
    indexes: number[],
    options: AbortOptions = {},
  ): Promise<Uint8Array[] | undefined> {
    const { shape, limits } = this.#requestingAs()
    const payload = encodeGetBlockTransactions({ hash, indexes }, shape)
    return this.#request(
      peerId,
      BlocksFrameType.GetBlockTransactions,
      payload,
      limits.answer({ type: BlocksFrameType.GetBlockTransactions, count: indexes.length }),
      (frame) => matchBlockTransactions(hash, indexes.length, frame, shape),
      options,
    )
  }

  /**
   * Block encodings of the peer's best chain at heights fromHeight, fromHeight + 1, …: at
   * most `count`, possibly fewer (trimmed by the answer bounds or the peer's tip; empty
   * above its tip), each of a length the chain's shape allows. Not validated: the caller
   * has the chain check them and their linkage.
   * @throws as getBlock (but needs no chain); InvalidMessageFormatError for a range outside
   *   u32 / 1..65535
   */
  async getBlocks(
    peerId: string,
    fromHeight: number,
    count: number,
    options: AbortOptions = {},
  ): Promise<Uint8Array[]> {
    const range: RangeRequest = { startHeight: fromHeight, count }
    const payload = encodeGetBlocks(range)
    const { shape, limits } = this.#requestingAs()
    return this.#request(
      peerId,
      BlocksFrameType.GetBlocks,
      payload,
      limits.answer({ type: BlocksFrameType.GetBlocks, range }),
      (frame) => matchBlocks(range, frame, shape),
      options,
    )
  }

  /**
   * Header encodings (of the chain's fixed size) of the peer's best chain from
   * `fromHeight`: at most `count`, possibly fewer (at most 512 per answer; empty above its
   * tip). Not validated.
   * @throws as getBlocks
   */
  async getHeaders(
    peerId: string,
    fromHeight: number,
    count: number,
    options: AbortOptions = {},
  ): Promise<Uint8Array[]> {
    const range: RangeRequest = { startHeight: fromHeight, count }
    const payload = encodeGetHeaders(range)
    const { shape, limits } = this.#requestingAs()
    return this.#request(
      peerId,
      BlocksFrameType.GetHeaders,
      payload,
      limits.answer({ type: BlocksFrameType.GetHeaders, range }),
      (frame) => matchHeaders(range, frame, shape),
      options,
    )
  }

  /**
   * The shape our requests' answers are sized and checked by.
   * @throws NetworkError on a node without a chain or a shape (it cannot read an answer)
   */
  #requestingAs(): { shape: ChainShape; limits: BlocksLimits } {
    if (this.#requesting === undefined) {
      throw new NetworkError(`this node has no chain: it cannot read what ${BLOCKS_PROTOCOL} answers`)
    }
    return this.#requesting
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
   * `limits` (what the request can be answered with), and matches it. A request given up
   * (its signal aborted) while it waits for the lane is never sent; one given up after it
   * was sent resets its stream (an answer it will not read cannot stay on the lane).
   */
  async #request<T>(
    peerId: string,
    type: string,
    payload: Uint8Array,
    limits: FrameLimits,
    match: (frame: Frame) => T,
    options: AbortOptions,
  ): Promise<T> {
    if (!this.#plumbing.running) throw new NetworkError(`${BLOCKS_PROTOCOL} is not running`)
    const signal = options.signal
    signal?.throwIfAborted()
    const connection = this.#plumbing.connectionOf(peerId)
    const lane = this.#laneFor(connection)
    lane.pending++
    const run = lane.tail.then(async () => {
      signal?.throwIfAborted()
      lane.channel ??= await this.#plumbing.open(connection, this.#requestingAs().limits.lane, options)
      const channel = lane.channel
      const stopListening = abortOnSignal(channel.stream, signal)
      try {
        channel.expectOne(limits)
        await channel.write(type, payload)
        this.#stats.requestsSent++
        const frame = await nextMessage(channel, (fault) => this.#refuse(peerId, fault), {
          skipFaults: false,
          ...(signal === undefined ? {} : { signal }),
        })
        if (frame === undefined) throw new NetworkError('the peer closed the stream without answering')
        return match(frame)
      } catch (error) {
        // The stream is not reused after a failure: the next request opens another.
        lane.channel = undefined
        this.#failed(channel, peerId, error)
        if (signal?.aborted) throw reasonOf(signal)
        throw error instanceof PeerFault ? error.error : asNetworkError(error)
      } finally {
        stopListening()
      }
    })
    lane.tail = run.then(
      () => undefined,
      () => undefined,
    )
    const settled = run.finally(() => {
      lane.pending--
      if (lane.pending === 0) this.#linger(connection.id, lane)
    })
    return raceSignal(settled, signal)
  }

  /** A stream the peer opened: its requests, answered one by one. */
  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peerId = connection.remotePeer.toString()
    const channel = this.#plumbing.channel(stream, connection, this.#responderLimits)
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
