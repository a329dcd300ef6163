/**
 * getAccount and waitForTransaction (src/api/state-reads.ts) over the chain port's proofs
 * (src/ports/chain.ts StateProver, StateVerifier). A full node proves to itself from its
 * own state, through the same verifier a light node uses; a light node asks peers through
 * the state client (src/protocols/state/), which checks each answer against a header this
 * node holds and charges a peer that lied. Progress follows the chain's tip and reorg
 * events: nothing polls. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type {
  AccountReading,
  TransactionConfirmation,
  TransactionProgress,
  WaitForTransactionOptions,
} from '../api/state-reads.ts'
import type { Logger } from '../logging.ts'
import type { ChainPort, StateVerifier, VerifiedAccount } from '../ports/chain.ts'
import { StateReadError, StateReadErrorCode } from '../state-read-error.ts'
import { toHex } from '../wire/bytes.ts'

/** A transaction's place as the reads see it. */
export type TransactionWhere =
  | { status: 'included'; block: Uint8Array; height: number }
  | { status: 'pending' }
  | { status: 'unknown' }

/** Reads from peers, verified (src/protocols/state/state-client.ts StateClient). */
export interface PeerStateReads {
  account(
    address: Uint8Array,
    options: { blocks: Uint8Array[] } & AbortOptions,
  ): Promise<VerifiedAccount<unknown> & { peer: string }>
  transaction(id: Uint8Array, options?: AbortOptions): Promise<TransactionWhere>
}

/** How many blocks below the tip an account read may fall back to (a peer one block behind). */
const ACCOUNT_FALLBACK_BLOCKS = 2
const DEFAULT_DROP_AFTER_BLOCKS = 5

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be an integer ≥ 1`)
  return value
}

export class StateReads {
  readonly #port: ChainPort
  readonly #peers: PeerStateReads | undefined
  readonly #log: Logger

  constructor(port: ChainPort, peers: PeerStateReads | undefined, log: Logger) {
    this.#port = port
    this.#peers = peers
    this.#log = log
  }

  #verifier(): StateVerifier {
    const verifier = this.#port.stateVerifier
    if (verifier === undefined) {
      throw new StateReadError(
        StateReadErrorCode.Unsupported,
        `chain ${this.#port.chainId}: its headers commit to no state, so accounts cannot be read`,
      )
    }
    return verifier
  }

  /** Whether this node answers from its own state. */
  #local(): boolean {
    return this.#port.kind === 'full' && this.#port.stateProver !== undefined
  }

  #peerReads(): PeerStateReads {
    if (this.#peers === undefined) {
      throw new StateReadError(StateReadErrorCode.Unsupported, 'this node has no state client')
    }
    return this.#peers
  }

  async getAccount(address: Uint8Array, options: AbortOptions = {}): Promise<AccountReading<unknown>> {
    const verifier = this.#verifier()
    if (!verifier.isAddress(address)) {
      throw new TypeError(`${toHex(address)} is not an address of chain ${this.#port.chainId}`)
    }
    options.signal?.throwIfAborted()
    const base = { address: toHex(address) }
    if (this.#local() && this.#port.kind === 'full' && this.#port.stateProver !== undefined) {
      const block = this.#port.tip().hash
      const answer = await this.#port.stateProver.proveAccount(block, address, options)
      if (answer === undefined || answer.status === 'unknown-block') {
        throw new StateReadError(StateReadErrorCode.Unavailable, 'the tip moved while reading: try again')
      }
      const judged = await verifier.verifyAccount(block, address, answer, options)
      if (judged.status !== 'accepted') {
        throw new StateReadError(
          StateReadErrorCode.Unavailable,
          `this node's own proof did not verify (${judged.code}: ${judged.reason})`,
        )
      }
      const { account, height } = judged.value
      return { ...base, account, blockHash: toHex(block), height, source: 'local' }
    }
    const reading = await this.#peerReads().account(address, {
      ...options,
      blocks: await this.#recentBlocks(options),
    })
    return {
      ...base,
      account: reading.account,
      blockHash: toHex(reading.block),
      height: reading.height,
      source: 'proof',
      peer: reading.peer,
    }
  }

  /** The tip's id and those of the blocks just below it, best first. */
  async #recentBlocks(options: AbortOptions): Promise<Uint8Array[]> {
    const tip = this.#port.tip()
    const from = Math.max(0, tip.height - ACCOUNT_FALLBACK_BLOCKS)
    const encoded = await this.#port.encodedHeaders(from, tip.height - from + 1, options)
    return encoded.map((header) => this.#port.readHeader(header).hash).reverse()
  }

  /** Where the transaction is now. */
  async #where(id: Uint8Array, options: AbortOptions): Promise<TransactionWhere> {
    const verifier = this.#verifier()
    if (!(this.#local() && this.#port.kind === 'full' && this.#port.stateProver !== undefined)) {
      return this.#peerReads().transaction(id, options)
    }
    const answer = await this.#port.stateProver.proveTransaction(id, options)
    if (answer.status !== 'included') return answer
    const judged = await verifier.verifyTransaction(id, answer.block, answer.proof, options)
    // Refused: the block left the best chain between the two calls; the next tip tells.
    return judged.status === 'accepted'
      ? { status: 'included', block: judged.value.block, height: judged.value.height }
      : { status: 'unknown' }
  }

  /**
   * Resolves once the transaction `id` is in the best chain under `confirmations` blocks
   * (its own counted); re-checked at each new tip and reorg.
   * @throws StateReadError ERR_TRANSACTION_DROPPED, the signal's reason when aborted
   */
  waitForTransaction(
    id: Uint8Array,
    options: WaitForTransactionOptions = {},
  ): Promise<TransactionConfirmation> {
    this.#verifier()
    const wanted = positiveInteger(options.confirmations ?? 1, 'confirmations')
    const dropAfter = positiveInteger(options.dropAfterBlocks ?? DEFAULT_DROP_AFTER_BLOCKS, 'dropAfterBlocks')
    const { signal } = options
    signal?.throwIfAborted()
    const idHex = toHex(id)
    const port = this.#port
    return new Promise<TransactionConfirmation>((resolve, reject) => {
      let settled = false
      let running = false
      let rerun = false
      /** A new tip arrived since the last read: an `unknown` then counts towards dropAfterBlocks. */
      let tipArrived = false
      let unknownTips = 0
      let tipsSeen = 0
      let lastReported = ''
      let included: { blockHash: string; height: number } | undefined

      const finish = (fail: unknown, value?: TransactionConfirmation) => {
        if (settled) return
        settled = true
        port.removeEventListener('tip', onTip)
        port.removeEventListener('reorg', onReorg)
        signal?.removeEventListener('abort', onAbort)
        if (value !== undefined) resolve(value)
        else reject(fail)
      }
      const report = (progress: TransactionProgress) => {
        const key = JSON.stringify(progress)
        if (key === lastReported) return
        lastReported = key
        try {
          options.onProgress?.(progress)
        } catch (error) {
          this.#log.warn('waitForTransaction: onProgress threw', { error })
        }
      }
      const check = async (atTip: boolean): Promise<void> => {
        if (atTip) {
          tipsSeen++
          tipArrived = true
        }
        if (running) {
          rerun = true
          return
        }
        running = true
        try {
          do {
            rerun = false
            const countsAsTip = tipArrived
            tipArrived = false
            const where = await this.#where(id, { signal })
            if (settled) return
            if (where.status === 'included') {
              unknownTips = 0
              included = { blockHash: toHex(where.block), height: where.height }
              const confirmations = port.tip().height - where.height + 1
              report({ status: 'included', ...included, confirmations })
              if (confirmations >= wanted) finish(undefined, { id: idHex, ...included, confirmations })
              continue
            }
            if (included !== undefined) {
              report({ status: 'reorged-out', ...included })
              included = undefined
            }
            report({ status: where.status })
            if (where.status === 'pending') unknownTips = 0
            else if (countsAsTip && ++unknownTips >= dropAfter) {
              finish(
                new StateReadError(
                  StateReadErrorCode.TransactionDropped,
                  `transaction ${idHex} was neither pending nor in a recent block at ${unknownTips} tips in a row`,
                ),
              )
            }
          } while (rerun && !settled)
        } catch (error) {
          if (signal?.aborted) return
          // A read that failed (no peer reachable now) is retried at the next tip, not fatal.
          this.#log.debug('waitForTransaction: no answer this time', { id: idHex, error, tipsSeen })
        } finally {
          running = false
        }
      }
      const onTip = () => void check(true)
      const onReorg = () => void check(false)
      const onAbort = () => finish(signal?.reason)
      port.addEventListener('tip', onTip)
      port.addEventListener('reorg', onReorg)
      signal?.addEventListener('abort', onAbort, { once: true })
      void check(false)
    })
  }
}
