/**
 * Verified reads over /paw/state/1 (protocols/state.md "What an answer proves",
 * "Validation"): an account, or where a transaction is, from peers this node does not
 * trust. Each answer is checked by the chain (StateVerifier) against a header of this
 * node's best chain; a peer whose proof the chain refuses lied: it is charged
 * `invalidStateProof` (src/peers/offences.ts), logged at WARN, counted by the chain's code,
 * and the next peer asked. Peers are asked in turn, best reputation first, those known (by
 * identify) to serve the protocol before those not yet identified. Browser-safe.
 */
import type { AbortOptions, PeerId, PeerStore } from '@libp2p/interface'
import type { StateStats } from '../../api/stats.ts'
import { isPawError } from '../../errors.ts'
import type { Logger } from '../../logging.ts'
import type { Enforcer } from '../../peers/enforcer.ts'
import type { Refusal, StateVerifier } from '../../ports/chain.ts'
import { StateReadError, StateReadErrorCode } from '../../state-read-error.ts'
import { toHex } from '../../wire/bytes.ts'
import { MAX_PEERS_PER_READ, STATE_PROTOCOL } from './constants.ts'
import type { StateProtocol } from './state-protocol.ts'

/** A peer that might answer: connected and handshaken. */
export interface StateCandidate {
  peerId: string
  /** Its reputation now (src/peers/reputation.ts): the best is asked first. */
  score: number
  /** Whether identify listed /paw/state/1 among its protocols; undefined until identify ran. */
  serves: boolean | undefined
}

export interface StateClientInit {
  protocol: Pick<StateProtocol, 'askAccount' | 'askTransaction' | 'stats'>
  /** The chain's checks (ChainPortBase.stateVerifier). */
  verifier: StateVerifier
  /** The peers that may be asked now. */
  candidates: () => readonly StateCandidate[] | Promise<readonly StateCandidate[]>
  enforcer: Pick<Enforcer, 'charge'>
  log: Logger
  /** Peers one read asks at most. @default MAX_PEERS_PER_READ */
  maxPeers?: number
  /** Breaks ties between peers of equal standing. @default Math.random */
  random?: () => number
}

/** An account a peer proved, as of a block of this node's best chain. */
export interface VerifiedAccountReading<A = unknown> {
  account: A
  block: Uint8Array
  height: number
  peer: string
}

/** Where a transaction is, as far as the peers asked could show. */
export type VerifiedTransactionStatus =
  | { status: 'included'; block: Uint8Array; height: number; peer: string }
  | { status: 'pending' }
  | { status: 'unknown' }

export interface AccountReadOptions extends AbortOptions {
  /** Block ids to read the account at, best first (the tip, then a couple below it). */
  blocks: readonly Uint8Array[]
}

/** Orders candidates: identified servers first, then by reputation, ties at random; non-servers dropped. */
export function orderCandidates(
  candidates: readonly StateCandidate[],
  random: () => number = Math.random,
): string[] {
  const rank = (candidate: StateCandidate): number => (candidate.serves === true ? 0 : 1)
  return candidates
    .filter((candidate) => candidate.serves !== false)
    .map((candidate) => ({ candidate, tie: random() }))
    .sort(
      (a, b) =>
        rank(a.candidate) - rank(b.candidate) || b.candidate.score - a.candidate.score || a.tie - b.tie,
    )
    .map(({ candidate }) => candidate.peerId)
}

/**
 * Whether identify listed /paw/state/1 among `peer`'s protocols (a light node does not
 * register it); undefined while identify has not run (no protocols known yet).
 */
export async function servesState(
  peerStore: Pick<PeerStore, 'get'>,
  peer: PeerId,
): Promise<boolean | undefined> {
  try {
    const { protocols, metadata } = await peerStore.get(peer)
    // Only identify's list is the peer's whole list: before identify completes (it runs after
    // the handshake), the store holds just the protocols streams were negotiated for so far.
    if (!metadata.has('AgentVersion')) return undefined
    return protocols.includes(STATE_PROTOCOL)
  } catch {
    return undefined
  }
}

/** What an error a peer's request failed with says, for the unavailable message: its code. */
function failureOf(error: unknown): string {
  if (isPawError(error)) return error.code
  return error instanceof Error ? error.message : String(error)
}

export class StateClient {
  readonly #init: StateClientInit
  readonly #maxPeers: number
  readonly #stats = { verified: 0, unavailable: 0, lies: {} as Record<string, number> }

  /** @throws RangeError for maxPeers below 1 */
  constructor(init: StateClientInit) {
    const maxPeers = init.maxPeers ?? MAX_PEERS_PER_READ
    if (!Number.isSafeInteger(maxPeers) || maxPeers < 1)
      throw new RangeError('maxPeers must be an integer ≥ 1')
    this.#init = init
    this.#maxPeers = maxPeers
  }

  /** The protocol's counters and this client's verdicts. */
  stats(): StateStats {
    return { ...this.#init.protocol.stats(), ...this.#stats, lies: { ...this.#stats.lies } }
  }

  /**
   * The account `address` as of the first of `blocks` a peer can prove it at, checked by
   * the chain against that block's header.
   * @throws TypeError for an address the chain does not have, or no blocks;
   *   StateReadError ERR_STATE_UNAVAILABLE when no peer gave an answer that verified;
   *   the signal's reason if it aborted
   */
  async account(address: Uint8Array, options: AccountReadOptions): Promise<VerifiedAccountReading> {
    const { verifier, protocol } = this.#init
    if (!verifier.isAddress(address)) throw new TypeError(`${toHex(address)} is not an address of this chain`)
    if (options.blocks.length === 0) throw new TypeError('account needs at least one block to read at')
    const { signal } = options
    const said: string[] = []
    const peers = await this.#peers(signal)
    for (const peer of peers) {
      const heard: string[] = []
      for (const block of options.blocks) {
        let answer: Awaited<ReturnType<typeof protocol.askAccount>>
        try {
          answer = await protocol.askAccount(peer, block, address, signal === undefined ? {} : { signal })
        } catch (error) {
          signal?.throwIfAborted()
          heard.push(this.#failed(peer, error))
          break
        }
        if (answer.status === 'unknown-block') {
          heard.push('unknown block')
          continue
        }
        const judged = await verifier.verifyAccount(
          block,
          address,
          answer,
          signal === undefined ? {} : { signal },
        )
        if (judged.status === 'accepted') {
          this.#stats.verified++
          const { account, height } = judged.value
          return { account, block: judged.value.block, height, peer }
        }
        if (judged.status === 'invalid') {
          this.#caught(peer, 'account', judged)
          heard.push(`lied (${judged.code})`)
          break
        }
        // Not on our best chain (any more): proves nothing about the peer.
        heard.push(`block not on our chain (${judged.code})`)
      }
      said.push(`${peer}: ${heard.join(', ')}`)
    }
    throw this.#unavailable(`account ${toHex(address)}`, peers.length, said)
  }

  /**
   * Where the transaction `id` is: `included` as soon as a peer proves it is in a block of
   * this node's best chain; else `pending` if a peer said so (or proved it into a block this
   * node does not hold yet), else `unknown`. Neither of those two proves anything.
   * @throws StateReadError ERR_STATE_UNAVAILABLE when no peer answered at all; the signal's
   *   reason if it aborted
   */
  async transaction(id: Uint8Array, options: AbortOptions = {}): Promise<VerifiedTransactionStatus> {
    const { verifier, protocol } = this.#init
    const { signal } = options
    const said: string[] = []
    let answered = 0
    let pending = false
    const peers = await this.#peers(signal)
    for (const peer of peers) {
      let answer: Awaited<ReturnType<typeof protocol.askTransaction>>
      try {
        answer = await protocol.askTransaction(peer, id, signal === undefined ? {} : { signal })
      } catch (error) {
        signal?.throwIfAborted()
        said.push(`${peer}: ${this.#failed(peer, error)}`)
        continue
      }
      answered++
      if (answer.status !== 'included') {
        pending ||= answer.status === 'pending'
        said.push(`${peer}: ${answer.status}`)
        continue
      }
      const judged = await verifier.verifyTransaction(
        id,
        answer.block,
        answer.proof,
        signal === undefined ? {} : { signal },
      )
      if (judged.status === 'accepted') {
        this.#stats.verified++
        return { status: 'included', block: judged.value.block, height: judged.value.height, peer }
      }
      if (judged.status === 'invalid') {
        this.#caught(peer, 'transaction status', judged)
        said.push(`${peer}: lied (${judged.code})`)
        continue
      }
      // A block we do not hold on our best chain (yet, or any more): not proof of a lie.
      pending = true
      said.push(`${peer}: included in a block not on our chain (${judged.code})`)
    }
    if (answered === 0) throw this.#unavailable(`transaction ${toHex(id)}`, peers.length, said)
    return pending ? { status: 'pending' } : { status: 'unknown' }
  }

  /** The peers to ask, in order, at most maxPeers. */
  async #peers(signal: AbortSignal | undefined): Promise<string[]> {
    signal?.throwIfAborted()
    const candidates = await this.#init.candidates()
    return orderCandidates(candidates, this.#init.random).slice(0, this.#maxPeers)
  }

  /** A request that got no usable answer (charged by the protocol where it was the peer's fault): why, in short. */
  #failed(peer: string, error: unknown): string {
    const why = failureOf(error)
    this.#init.log.debug('state: no answer from peer', {
      peer,
      code: why,
      error: error instanceof Error ? error.message : String(error),
    })
    return why
  }

  /** A proof the chain refused: the peer lied (protocols/state.md "Validation"). */
  #caught(peer: string, what: string, judged: Refusal): void {
    this.#stats.lies[judged.code] = (this.#stats.lies[judged.code] ?? 0) + 1
    this.#init.log.warn('state: a peer answered with a proof that does not verify', {
      peer,
      what,
      code: judged.code,
      reason: judged.reason,
    })
    this.#init.enforcer.charge(
      peer,
      'invalidStateProof',
      `${what}: ${judged.code}: ${judged.reason}`,
      'state',
    )
  }

  #unavailable(what: string, asked: number, said: readonly string[]): StateReadError {
    this.#stats.unavailable++
    const detail = asked === 0 ? 'no connected peer serves /paw/state/1' : said.join('; ')
    return new StateReadError(
      StateReadErrorCode.Unavailable,
      `no peer proved ${what}: asked ${asked} peer(s): ${detail}`,
    )
  }
}
