/**
 * `/paw/peers/1` (protocols/peers.md, DECISIONS.md "Peer exchange"): a peer's addresses of
 * other peers, by request only. Browser-safe.
 *
 * - Answering: a stream a handshaken peer opens carries one `get_peers`; we answer with one
 *   `peers` frame listing what `answer(requester)` gives (the address book's sample, never
 *   the requester itself nor a banned peer) and close. More than one request per peer per
 *   10 s (RATE_LIMITS.peerRequests) is not answered: 0x09, charged. A `peers` frame nobody
 *   asked for is 0x0A: its entries are not used. In seed mode the peer is disconnected
 *   once answered, as CometBFT seeds do.
 * - Asking: `getPeers(peerId)` opens a stream, sends `get_peers` and returns the decoded
 *   list (entries with a bad IP, port or id are skipped, counted and logged). We never ask
 *   one peer twice within PEER_REQUEST_INTERVAL_MS: an early call is refused locally.
 */
import type { AbortOptions, Connection, Libp2p, Stream } from '@libp2p/interface'
import type { PeersStats } from '../../api/stats.ts'
import type { Settings } from '../../config/settings.ts'
import { NetworkError, RateLimitedError } from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import type { Enforcer } from '../../peers/enforcer.ts'
import type { PeerRateLimiter } from '../../peers/rate-limits.ts'
import { FrameType } from '../../wire/constants.ts'
import type { Frame } from '../../wire/frame.ts'
import {
  decodeGetPeers,
  decodePeerList,
  encodeGetPeers,
  encodePeerList,
  type PeerAddress,
  type PeerList,
} from '../../wire/peer-list.ts'
import { abortOnSignal, reasonOf } from '../shared/abort.ts'
import {
  decodePeerPayload,
  endFailedStream,
  type FaultSink,
  newRefusedCounts,
  PeerFault,
  rateLimitedFault,
  refuseFault,
  unexpectedFault,
} from '../shared/faults.ts'
import type { FrameChannel } from '../shared/frame-channel.ts'
import type { MemoryBudget } from '../shared/memory-budget.ts'
import { asNetworkError, ProtocolStreams } from '../shared/protocol-streams.ts'
import { nextMessage } from '../shared/reader.ts'
import type { StreamPeers } from '../shared/stream-peers.ts'
import { REQUESTER_LIMITS, RESPONDER_LIMITS } from './limits.ts'

export const PEERS_PROTOCOL = '/paw/peers/1'
/**
 * How long we wait before asking a peer again: DECISIONS.md "Peer exchange" allows one
 * get_peers per peer per 10 s, counted by the responder from when each arrives, so we
 * keep a second of margin for the network's and our timers' jitter (at exactly 10 s a
 * devnet saw honest requests refused with 0x09).
 */
export const PEER_REQUEST_INTERVAL_MS = 11_000
/** One request and one answer per stream; 2 leaves room for a stream that is closing. */
const MAX_PEERS_STREAMS = 2

export type { PeersStats }

export interface PeersProtocolInit {
  libp2p: Libp2p
  peers: StreamPeers
  settings: Settings
  log: Logger
  isHandshaken: (connection: Connection) => boolean
  limiter: PeerRateLimiter
  /** Charges peers for their faults (src/peers/enforcer.ts). */
  enforcer: Pick<Enforcer, 'charge'>
  /** The memory budget frames are reserved from; none: unbounded (tests). */
  budget?: MemoryBudget | undefined
  /** The addresses to give `requester` (at most 1000; without it and without banned peers). */
  answer: (requester: string) => PeerAddress[]
  /** Seed mode: the peer is disconnected once its request is answered. */
  seedMode: boolean
  /** Closes a peer's connection (seed mode). */
  disconnect: (peerId: string) => void
}

export class PeersProtocol {
  readonly #init: PeersProtocolInit
  readonly #plumbing: ProtocolStreams
  readonly #log: Logger
  /** When we last asked each peer (our side of the 10 s rule). */
  readonly #askedAt = new Map<string, number>()
  readonly #stats: PeersStats = {
    requestsSent: 0,
    requestsServed: 0,
    entriesReceived: 0,
    entriesSkipped: 0,
    refused: newRefusedCounts(),
  }

  constructor(init: PeersProtocolInit) {
    this.#init = init
    this.#log = init.log
    this.#plumbing = new ProtocolStreams({
      protocol: PEERS_PROTOCOL,
      settings: init.settings,
      peers: init.peers,
      budget: init.budget,
      onFault: (peerId, fault) => refuseFault(this.#sink(), peerId, fault),
    })
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
      maxStreams: MAX_PEERS_STREAMS,
    })
  }

  async stop(): Promise<void> {
    if (!this.#plumbing.running) return
    await this.#plumbing.close(this.#init.libp2p)
  }

  stats(): PeersStats {
    return { ...this.#stats, refused: { ...this.#stats.refused } }
  }

  /** Whether we may ask `peerId` now (the 10 s rule). */
  mayAsk(peerId: string, now = Date.now()): boolean {
    const last = this.#askedAt.get(peerId)
    return last === undefined || now - last >= PEER_REQUEST_INTERVAL_MS
  }

  /**
   * 000 PEER_DISCOVERY: the peer's list of other peers.
   * @throws RateLimitedError (asked within the last 10 s: nothing sent), NetworkError,
   *   UnexpectedMessageError (0x0A) or InvalidMessageFormatError (0x05) for a wrong
   *   answer, which is charged to the peer; the signal's reason if it aborted (the stream
   *   is reset)
   */
  async getPeers(peerId: string, options: AbortOptions = {}): Promise<PeerList> {
    if (!this.#plumbing.running) throw new NetworkError(`${PEERS_PROTOCOL} is not running`)
    options.signal?.throwIfAborted()
    const now = Date.now()
    if (!this.mayAsk(peerId, now)) {
      throw new RateLimitedError(
        `asked ${peerId} for peers less than ${PEER_REQUEST_INTERVAL_MS / 1000} s ago`,
      )
    }
    const connection = this.#plumbing.connectionOf(peerId)
    this.#askedAt.set(peerId, now)
    const channel = await this.#plumbing.open(connection, REQUESTER_LIMITS, options)
    const stopListening = abortOnSignal(channel.stream, options.signal)
    try {
      await channel.write(FrameType.GetPeers, encodeGetPeers())
      this.#stats.requestsSent++
      const frame = await this.#readOne(channel, peerId)
      if (frame === undefined) throw new NetworkError('the peer closed the stream without answering')
      if (frame.type !== FrameType.Peers)
        throw unexpectedFault(`a ${frame.type} frame does not answer get_peers`)
      const payload = frame.payload
      const list = decodePeerPayload(() => decodePeerList(payload))
      this.#stats.entriesReceived += list.peers.length + list.skipped.length
      this.#stats.entriesSkipped += list.skipped.length
      if (list.skipped.length > 0) {
        this.#log.debug('peer list entries skipped', { peer: peerId, skipped: list.skipped.length })
      }
      void channel.close()
      return list
    } catch (error) {
      this.#failed(channel, peerId, error)
      if (options.signal?.aborted) throw reasonOf(options.signal)
      throw error instanceof PeerFault ? error.error : asNetworkError(error)
    } finally {
      stopListening()
    }
  }

  /**
   * The next frame the stream accepts, or undefined at its end. A frame it does not accept
   * (malformed, or of a type not accepted here) is charged and skipped, and reading goes on
   * (framing.md "Receiving").
   */
  #readOne(channel: FrameChannel, peerId: string): Promise<Frame | undefined> {
    return nextMessage(channel, (fault) => refuseFault(this.#sink(), peerId, fault))
  }

  /** A stream the peer opened: one get_peers, answered. */
  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peerId = connection.remotePeer.toString()
    const channel = this.#plumbing.channel(stream, connection, RESPONDER_LIMITS)
    try {
      const frame = await this.#readOne(channel, peerId)
      if (frame === undefined) return
      if (frame.type === FrameType.Peers) throw unexpectedFault('a peers list nobody asked for: not used')
      const payload = frame.payload
      decodePeerPayload(() => decodeGetPeers(payload))
      if (!this.#init.limiter.allow(peerId, 'peerRequests')) {
        throw rateLimitedFault('get_peers within 10 s of the last: not answered')
      }
      const list = this.#init.answer(peerId)
      await channel.write(FrameType.Peers, encodePeerList(list))
      this.#stats.requestsServed++
      await channel.close()
      if (this.#init.seedMode) {
        this.#log.debug('seed mode: answered, disconnecting', { peer: peerId, peers: list.length })
        this.#init.disconnect(peerId)
      }
    } catch (error) {
      this.#failed(channel, peerId, error)
    }
  }

  #failed(channel: FrameChannel, peerId: string, error: unknown): void {
    endFailedStream(this.#sink(), channel.stream, peerId, error)
  }

  #sink(): FaultSink {
    return { refused: this.#stats.refused, enforcer: this.#init.enforcer, log: this.#log, what: 'peers' }
  }
}
