/**
 * `/paw/mempool/1` (protocols/mempool.md): MEMPOOL_SYNC after a handshake and
 * TRANSACTION_REQUEST by hash. Browser-safe.
 *
 * Streams and who runs them:
 * - one we open per connection to announce our pending set (announcer.ts), answering the
 *   peer's fetches on it (responder.ts);
 * - streams the peer opens: an inventory, which we fetch from (receiver.ts), or a
 *   TRANSACTION_REQUEST, which we answer (responder.ts);
 * - TRANSACTION_REQUESTs we open for `requestTransactions` (requester.ts).
 *
 * Every stream goes through a FrameChannel (read-idle and write timeouts, traffic
 * counters). A peer's fault (shared/faults.ts) is logged at WARN, charged to its reputation
 * and counted, and its stream is reset; transport failures only end the stream.
 *
 * Transactions are the chain's opaque encodings: the pool port (src/ports/transaction-pool.ts)
 * names them by id, the chain port gives a fetched one's id, and the chain's shape their
 * size on the wire.
 */
import type { AbortOptions, Connection, Stream } from '@libp2p/interface'
import { NetworkError } from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import { FrameType } from '../../wire/constants.ts'
import { decodeMempoolHashes, encodeGetTransactions, MEMPOOL_HASH_LENGTH } from '../../wire/mempool.ts'
import { abortOnSignal, reasonOf } from '../shared/abort.ts'
import {
  decodePeerPayload,
  endFailedStream,
  type FaultSink,
  PeerFault,
  rateLimitedFault,
  refuseFault,
  unexpectedFault,
} from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import { asNetworkError, ProtocolStreams } from '../shared/protocol-streams.ts'
import { nextMessage } from '../shared/reader.ts'
import { announce, inventory } from './announcer.ts'
import { MAX_MEMPOOL_STREAMS, MEMPOOL_PROTOCOL, REJECTED_HASHES_REMEMBERED } from './constants.ts'
import type { MempoolChainSide, MempoolContext } from './context.ts'
import { mempoolLimits, OPENED_BY_PEER_LIMITS, SERVING_LIMITS } from './limits.ts'
import { readAnswer, receiveInventory } from './receiver.ts'
import { RecentSet } from './recent-set.ts'
import { requestHashes } from './requester.ts'
import { serveRequests } from './responder.ts'
import { copyMempoolSyncStats, type MempoolSyncStats, newMempoolSyncStats } from './stats.ts'
import type { MempoolProtocolInit } from './types.ts'

export { MAX_MEMPOOL_STREAMS, MEMPOOL_PROTOCOL } from './constants.ts'
export type { MempoolSyncStats } from './stats.ts'
export type { MempoolChain, MempoolProtocolInit } from './types.ts'

/** What a TRANSACTION_REQUEST brought, as the chain will decode it. */
export interface FetchedTransactions {
  /** The encodings of the transactions the peer held, in request order. */
  found: Uint8Array[]
  /** The ids (hex hashes) it did not hold, in request order. */
  notFound: string[]
}

export class MempoolProtocol {
  readonly #plumbing: ProtocolStreams
  readonly #init: MempoolProtocolInit
  readonly #log: Logger
  readonly #stats = newMempoolSyncStats()
  readonly #inFlight = new Set<string>()
  readonly #rejected = new RecentSet(REJECTED_HASHES_REMEMBERED)
  /** Connections that sent us their inventory: a second one is 0x0A. */
  readonly #inventoryFrom = new Set<string>()
  /** Connections we announced to (once each). */
  readonly #announcedOn = new Set<string>()
  /** One sync in flight per peer and direction. */
  readonly #receivingFrom = new Set<string>()
  readonly #announcingTo = new Set<string>()
  readonly #chain: MempoolChainSide | undefined
  readonly #context: MempoolContext
  readonly #onConnectionClose = (event: CustomEvent<Connection>): void => {
    this.#inventoryFrom.delete(event.detail.id)
    this.#announcedOn.delete(event.detail.id)
  }

  /**
   * @throws RangeError for a chain whose ids are not the 32 bytes /paw/mempool/1 carries
   *   (protocols/mempool.md)
   */
  constructor(init: MempoolProtocolInit) {
    const chain = init.chain
    if (chain !== undefined && chain.shape.hashBytes !== MEMPOOL_HASH_LENGTH) {
      throw new RangeError(
        `${MEMPOOL_PROTOCOL} carries ${MEMPOOL_HASH_LENGTH}-byte transaction ids, the chain's are ${chain.shape.hashBytes}`,
      )
    }
    this.#init = init
    this.#chain =
      chain === undefined ? undefined : { port: chain, pool: chain.pool, limits: mempoolLimits(chain.shape) }
    this.#plumbing = new ProtocolStreams({
      protocol: MEMPOOL_PROTOCOL,
      settings: init.settings,
      peers: init.peers,
      budget: init.budget,
      onFault: (peerId, fault) => refuseFault(this.#sink(), peerId, fault),
    })
    this.#log = init.log
    this.#context = {
      init,
      chain: this.#chain,
      stats: this.#stats,
      inFlight: this.#inFlight,
      rejected: this.#rejected,
      channel: (stream, connection, limits) => this.#plumbing.channel(stream, connection, limits),
      open: (connection, limits, options) => this.#plumbing.open(connection, limits, options),
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
      maxStreams: MAX_MEMPOOL_STREAMS,
    })
    this.#init.libp2p.addEventListener('connection:close', this.#onConnectionClose)
  }

  async stop(): Promise<void> {
    if (!this.#plumbing.running) return
    this.#init.libp2p.removeEventListener('connection:close', this.#onConnectionClose)
    await this.#plumbing.close(this.#init.libp2p)
    this.#inventoryFrom.clear()
    this.#announcedOn.clear()
    this.#receivingFrom.clear()
    this.#announcingTo.clear()
    this.#inFlight.clear()
  }

  /** Counters since this node was created (a copy; for the node's stats). */
  stats(): MempoolSyncStats {
    return copyMempoolSyncStats(this.#stats)
  }

  /**
   * MEMPOOL_SYNC: announce our pending set to a peer that just completed the handshake, and
   * answer its fetches. Resolves when the peer closes the stream. Does nothing on a light
   * node, with an empty mempool, or if this connection was announced to already. The
   * signal, if it aborts, resets the stream.
   * @throws NetworkError if the peer is not connected or the stream fails; the signal's reason
   */
  async announceTo(peerId: string, options: AbortOptions = {}): Promise<void> {
    if (!this.#plumbing.running || this.#chain?.pool === undefined) return
    options.signal?.throwIfAborted()
    const connection = this.#plumbing.connectionOf(peerId)
    if (this.#announcedOn.has(connection.id) || this.#announcingTo.has(peerId)) return
    const payload = inventory(this.#context)
    if (payload === undefined) return
    this.#announcedOn.add(connection.id)
    this.#announcingTo.add(peerId)
    let channel: FrameChannel | undefined
    try {
      await announce(
        this.#context,
        connection,
        peerId,
        payload,
        (opened) => {
          channel = opened
        },
        options,
      )
    } catch (error) {
      this.#failed(channel, peerId, error)
      if (options.signal?.aborted) throw reasonOf(options.signal)
      if (!(error instanceof PeerFault)) throw error
    } finally {
      this.#announcingTo.delete(peerId)
    }
  }

  /**
   * TRANSACTION_REQUEST: fetch transactions by id (hex hash) from a peer, at most 256 per
   * call. The answer must match the request (each transaction's id as the chain gives it);
   * what it brings is not added to the mempool.
   * @throws RangeError (not 1..256 ids), TypeError (an id that is not a hash, or a repeat),
   *   NetworkError (peer not connected, stream failed or closed unanswered, or no chain to
   *   check the answer by), UnexpectedMessageError (0x0A: the answer does not match; the
   *   peer is charged), InvalidMessageFormatError (0x05: a malformed answer; the peer is
   *   charged); the signal's reason if it aborted (the stream is reset)
   */
  async requestTransactions(
    peerId: string,
    ids: readonly string[],
    options: AbortOptions = {},
  ): Promise<FetchedTransactions> {
    const hashes = requestHashes(ids)
    if (!this.#plumbing.running) throw new NetworkError('the node is not running')
    const chain = this.#chain
    if (chain === undefined) throw new NetworkError('this node has no chain to check transactions by')
    options.signal?.throwIfAborted()
    const connection = this.#plumbing.connectionOf(peerId)
    let channel: FrameChannel | undefined
    let stopListening = (): void => {}
    try {
      channel = await this.#plumbing.open(connection, chain.limits.requesting, options)
      stopListening = abortOnSignal(channel.stream, options.signal)
      channel.expectOne(chain.limits.answer(hashes.length))
      await channel.write(FrameType.GetTransactions, encodeGetTransactions(hashes))
      this.#stats.requestsSent++
      const answer = await readAnswer(this.#context, chain.port, channel, peerId, hashes)
      await channel.close()
      return { found: answer.found.map((entry) => entry.encoded), notFound: answer.notFound }
    } catch (error) {
      this.#failed(channel, peerId, error)
      if (options.signal?.aborted) throw reasonOf(options.signal)
      throw error instanceof PeerFault ? error.error : asNetworkError(error)
    } finally {
      stopListening()
    }
  }

  /** A stream the peer opened: its first frame says what it is. */
  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peerId = connection.remotePeer.toString()
    const channel = this.#plumbing.channel(stream, connection, OPENED_BY_PEER_LIMITS)
    try {
      const first = await nextMessage(channel, (fault) => this.#refuse(peerId, fault))
      if (first === undefined) {
        await channel.close()
      } else if (first.type === FrameType.MempoolHashes) {
        await this.#receive(channel, connection, peerId, first.payload)
      } else if (first.type === FrameType.GetTransactions) {
        channel.setLimits(SERVING_LIMITS)
        await serveRequests(this.#context, channel, peerId, first)
      } else {
        throw unexpectedFault('a transactions frame that answers no get_transactions of ours')
      }
    } catch (error) {
      this.#failed(channel, peerId, error)
    }
  }

  async #receive(
    channel: FrameChannel,
    connection: Connection,
    peerId: string,
    payload: Parameters<typeof decodeMempoolHashes>[0],
  ): Promise<void> {
    if (this.#inventoryFrom.has(connection.id)) {
      throw unexpectedFault('a second mempool_hashes from this peer on this connection')
    }
    this.#inventoryFrom.add(connection.id)
    if (!this.#init.limiter.allow(peerId, 'mempoolInventories')) {
      throw rateLimitedFault('mempool_hashes beyond the mempoolInventories limit: not used')
    }
    const hashes = decodePeerPayload(() => decodeMempoolHashes(payload))
    this.#stats.inventoriesReceived++
    if (this.#receivingFrom.has(peerId)) {
      // Its inventory on another connection is being fetched already.
      this.#log.debug('mempool inventory skipped: a sync from this peer is in flight', { peer: peerId })
      await channel.close()
      return
    }
    this.#receivingFrom.add(peerId)
    try {
      await receiveInventory(this.#context, channel, peerId, hashes)
    } finally {
      this.#receivingFrom.delete(peerId)
    }
  }

  /** Ends a stream that failed: a peer's fault is refused (counted, charged). */
  #failed(channel: FrameChannel | undefined, peerId: string, error: unknown): void {
    endFailedStream(this.#sink(), channel?.stream, peerId, error)
  }

  #refuse(peerId: string, fault: PeerFault): void {
    refuseFault(this.#sink(), peerId, fault)
  }

  #sink(): FaultSink {
    return { refused: this.#stats.refused, enforcer: this.#init.enforcer, log: this.#log, what: 'mempool' }
  }
}
