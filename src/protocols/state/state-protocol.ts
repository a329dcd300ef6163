/**
 * `/paw/state/1` (protocols/state.md): an account as of a block, or a transaction's status,
 * with a proof against a header the asker holds. Browser-safe.
 *
 * - Answering (a node whose chain has a `stateProver`: full nodes): a stream a handshaken
 *   peer opens carries one get_account or get_transaction_status; we answer with the
 *   chain's proof and close. A request beyond RATE_LIMITS.stateRequests is not answered
 *   (0x09, the stream reset); a malformed one, or an address the chain does not have, is
 *   0x05; an answer frame or a second request on the stream is 0x0A (responder.ts). A node
 *   without a prover does not register the protocol: a peer that opens it gets
 *   multistream's refusal.
 * - Asking (askAccount, askTransaction): one stream per request; we send it, close our
 *   side, and read one answer within the timeout. An answer that names another block or
 *   transaction than the one asked about is 0x0A, charged. What the answer proves is the
 *   chain's to check (StateVerifier), which the state client does (state-client.ts).
 */
import type { AbortOptions, Connection, Libp2p, Stream } from '@libp2p/interface'
import type { StateStats } from '../../api/stats.ts'
import type { Settings } from '../../config/settings.ts'
import { NetworkError } from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import type { Enforcer } from '../../peers/enforcer.ts'
import type { PeerRateLimiter } from '../../peers/rate-limits.ts'
import type { StateProver } from '../../ports/chain.ts'
import { equalBytes, toHex } from '../../wire/bytes.ts'
import type { Frame } from '../../wire/frame.ts'
import type { FrameLimits } from '../../wire/frame-limits.ts'
import {
  type AccountAnswer,
  decodeAccount,
  decodeTransactionStatus,
  encodeGetAccount,
  encodeGetTransactionStatus,
  type TransactionStatusAnswer,
} from '../../wire/state.ts'
import { abortOnSignal, reasonOf } from '../shared/abort.ts'
import {
  decodePeerPayload,
  endFailedStream,
  type FaultSink,
  newRefusedCounts,
  PeerFault,
  refuseFault,
  unexpectedFault,
} from '../shared/faults.ts'
import type { MemoryBudget } from '../shared/memory-budget.ts'
import { asNetworkError, ProtocolStreams } from '../shared/protocol-streams.ts'
import { nextMessage } from '../shared/reader.ts'
import type { StreamPeers } from '../shared/stream-peers.ts'
import { MAX_STATE_STREAMS, STATE_PROTOCOL, STATE_REQUEST_TIMEOUT_MS, StateFrameType } from './constants.ts'
import { ACCOUNT_ANSWER_LIMITS, REQUEST_LIMITS, TRANSACTION_ANSWER_LIMITS } from './limits.ts'
import { answerRequest } from './responder.ts'

export { STATE_PROTOCOL } from './constants.ts'

/** The protocol's own counters (the state client adds its verdicts: StateClient.stats()). */
export type StateProtocolStats = Pick<StateStats, 'served' | 'asked' | 'refused'>

export interface StateProtocolInit {
  libp2p: Libp2p
  peers: StreamPeers
  settings: Settings
  log: Logger
  /** Whether /paw/handshake/1 completed on the connection (requireHandshake). */
  isHandshaken: (connection: Connection) => boolean
  limiter: Pick<PeerRateLimiter, 'allow'>
  /** Charges peers for their faults (src/peers/enforcer.ts). */
  enforcer: Pick<Enforcer, 'charge'>
  /** The memory budget frames are reserved from; none: unbounded (tests). */
  budget?: MemoryBudget | undefined
  /** What answers peers (FullChainPort.stateProver); absent: the protocol is asked, not served. */
  prover?: StateProver | undefined
  /**
   * How long a request waits for its answer, and an answer for the chain's proof.
   * @default STATE_REQUEST_TIMEOUT_MS
   */
  timeoutMs?: number
}

export class StateProtocol {
  readonly #init: StateProtocolInit
  readonly #plumbing: ProtocolStreams
  readonly #log: Logger
  readonly #timeoutMs: number
  readonly #stats: StateProtocolStats = {
    served: { accounts: 0, transactions: 0 },
    asked: { accounts: 0, transactions: 0 },
    refused: newRefusedCounts(),
  }

  constructor(init: StateProtocolInit) {
    this.#init = init
    this.#log = init.log
    this.#timeoutMs = init.timeoutMs ?? STATE_REQUEST_TIMEOUT_MS
    this.#plumbing = new ProtocolStreams({
      protocol: STATE_PROTOCOL,
      settings: init.settings,
      peers: init.peers,
      budget: init.budget,
      onFault: (peerId, fault) => refuseFault(this.#sink(), peerId, fault),
    })
  }

  /** Whether this node answers the protocol (its chain has a prover). */
  get serves(): boolean {
    return this.#init.prover !== undefined
  }

  async start(): Promise<void> {
    if (this.#plumbing.running) return
    if (this.#init.prover === undefined) {
      this.#plumbing.start()
      return
    }
    await this.#plumbing.listen({
      libp2p: this.#init.libp2p,
      isHandshaken: this.#init.isHandshaken,
      onNotHandshaken: () => {
        this.#stats.refused.notHandshaken++
      },
      serve: (stream, connection) => this.#serve(stream, connection),
      maxStreams: MAX_STATE_STREAMS,
    })
  }

  async stop(): Promise<void> {
    if (!this.#plumbing.running) return
    if (this.serves) await this.#plumbing.close(this.#init.libp2p)
    else this.#plumbing.stop(new NetworkError('node is shutting down'))
  }

  stats(): StateProtocolStats {
    return {
      served: { ...this.#stats.served },
      asked: { ...this.#stats.asked },
      refused: { ...this.#stats.refused },
    }
  }

  /**
   * The peer's answer to get_account for `address` as of `block`, unverified.
   * @throws NetworkError (not connected, no answer within the timeout, the peer does not
   *   serve the protocol, the stream failed), UnexpectedMessageError (0x0A: an answer about
   *   another block) or InvalidMessageFormatError (0x05: a malformed answer), both charged
   *   to the peer; InvalidMessageFormatError for a block id or address that cannot be sent;
   *   the signal's reason if it aborted
   */
  async askAccount(
    peerId: string,
    block: Uint8Array,
    address: Uint8Array,
    options: AbortOptions = {},
  ): Promise<AccountAnswer> {
    const payload = encodeGetAccount({ block, address })
    const answer = await this.#ask(
      peerId,
      StateFrameType.GetAccount,
      payload,
      ACCOUNT_ANSWER_LIMITS,
      options,
      {
        count: () => this.#stats.asked.accounts++,
        decode: decodeAccount,
      },
    )
    if (!equalBytes(answer.block, block)) {
      throw this.#mismatch(
        peerId,
        `an account answer for block ${toHex(answer.block)}, not the one asked about`,
      )
    }
    return answer
  }

  /**
   * The peer's answer to get_transaction_status for `id`, unverified.
   * @throws as askAccount (0x0A: an answer about another transaction)
   */
  async askTransaction(
    peerId: string,
    id: Uint8Array,
    options: AbortOptions = {},
  ): Promise<TransactionStatusAnswer> {
    const payload = encodeGetTransactionStatus(id)
    const answer = await this.#ask(
      peerId,
      StateFrameType.GetTransactionStatus,
      payload,
      TRANSACTION_ANSWER_LIMITS,
      options,
      { count: () => this.#stats.asked.transactions++, decode: decodeTransactionStatus },
    )
    if (!equalBytes(answer.transaction, id)) {
      throw this.#mismatch(
        peerId,
        `a status of transaction ${toHex(answer.transaction)}, not the one asked about`,
      )
    }
    return answer
  }

  /** A well-formed answer to another question (protocols/state.md "Validation"): 0x0A, charged. */
  #mismatch(peerId: string, message: string): Error {
    const fault = unexpectedFault(message)
    refuseFault(this.#sink(), peerId, fault)
    return fault.error
  }

  /** Sends one request on a new stream and reads its one answer. */
  async #ask<T>(
    peerId: string,
    type: string,
    payload: Uint8Array,
    limits: FrameLimits,
    options: AbortOptions,
    answer: { count: () => void; decode: (payload: Frame['payload']) => T },
  ): Promise<T> {
    if (!this.#plumbing.running) throw new NetworkError(`${STATE_PROTOCOL} is not running`)
    options.signal?.throwIfAborted()
    const timeout = AbortSignal.timeout(this.#timeoutMs)
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
    const connection = this.#plumbing.connectionOf(peerId)
    const channel = await this.#plumbing.open(connection, limits, { signal })
    const stopListening = abortOnSignal(channel.stream, signal)
    try {
      await channel.write(type, payload)
      answer.count()
      // One request per stream: our side is done (the answerer need not wait for our close).
      await channel.close()
      const frame = await nextMessage(channel, (fault) => refuseFault(this.#sink(), peerId, fault), {
        skipFaults: false,
        signal,
      })
      if (frame === undefined) throw new NetworkError('the peer closed the stream without answering')
      const framePayload = frame.payload
      return decodePeerPayload(() => answer.decode(framePayload))
    } catch (error) {
      endFailedStream(this.#sink(), channel.stream, peerId, error)
      if (options.signal?.aborted) throw reasonOf(options.signal)
      if (timeout.aborted) throw new NetworkError(`no ${type} answer within ${this.#timeoutMs} ms`)
      throw error instanceof PeerFault ? error.error : asNetworkError(error)
    } finally {
      stopListening()
    }
  }

  /** A stream the peer opened: one request, answered, then the end of the stream. */
  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peerId = connection.remotePeer.toString()
    const channel = this.#plumbing.channel(stream, connection, REQUEST_LIMITS)
    const { prover, limiter } = this.#init
    try {
      if (prover === undefined) throw new NetworkError(`this node does not serve ${STATE_PROTOCOL}`)
      await answerRequest(channel, peerId, {
        prover,
        limiter,
        served: this.#stats.served,
        timeoutMs: this.#timeoutMs,
        log: this.#log,
        refuse: (fault) => refuseFault(this.#sink(), peerId, fault),
      })
    } catch (error) {
      endFailedStream(this.#sink(), channel.stream, peerId, error)
    }
  }

  #sink(): FaultSink {
    return { refused: this.#stats.refused, enforcer: this.#init.enforcer, log: this.#log, what: 'state' }
  }
}
