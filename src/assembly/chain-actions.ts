/**
 * What the node's API does with its own chain (src/api/ announceBlock, submitTransaction,
 * requestTransactions, fetchBlock): add to the local chain or pool, then publish; decode
 * and verify what peers return. Everything goes through the chain port (src/ports/chain.ts),
 * so the API works for any chain: the chain's codec turns its own values into the encodings
 * the network moves. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { AnnounceResult, SubmitResult, TransactionRequestResult } from '../api/index.ts'
import type { PublishBlockOptions } from '../gossip/gossip-service.ts'
import { logNewTip } from '../gossip/tip-line.ts'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import { verdictAction } from '../peers/offences.ts'
import type { ChainPort, ImportOutcome, Judgement, Refusal } from '../ports/chain.ts'
import type { TransactionPoolPort } from '../ports/transaction-pool.ts'
import { equalBytes, toHex } from '../wire/bytes.ts'

/**
 * The chain refused what this node's own user gave it (a block, a transaction), and had no
 * error of its own to say why. `code` is the chain's code (the reference chain throws its
 * ChainError instead, whose `code` is the same).
 */
export class ChainRefusedError extends Error {
  override readonly name = 'ChainRefusedError'
  readonly code: string
  readonly status: Refusal['status']

  constructor(refusal: Refusal) {
    super(refusal.reason)
    this.code = refusal.code
    this.status = refusal.status
  }
}

/** The chain's own error for a refusal, else a ChainRefusedError. */
function refusalError(refusal: Refusal): Error {
  return refusal.cause ?? new ChainRefusedError(refusal)
}

export interface ChainActionsInit {
  chain: ChainPort | undefined
  gossip: {
    publishBlock(
      encoded: Uint8Array,
      headerEncoding: Uint8Array,
      options?: PublishBlockOptions,
    ): Promise<number>
    publishEarly(
      encoded: Uint8Array,
      headerEncoding: Uint8Array,
      options?: PublishBlockOptions,
    ): Promise<number | undefined>
    endEarly(hash: Uint8Array): void
    publishTransaction(encoded: Uint8Array): Promise<number>
  }
  blocks: {
    getBlock(peerId: string, hash: Uint8Array, options?: AbortOptions): Promise<Uint8Array | undefined>
  }
  mempool: {
    requestTransactions(
      peerId: string,
      ids: readonly string[],
      options?: AbortOptions,
    ): Promise<{ found: Uint8Array[]; notFound: string[] }>
  }
  /** Connected peers, in the order fetchBlock asks them. */
  connectedPeers: () => string[]
  enforcer: Pick<Enforcer, 'charge'>
  log: Logger
}

export class ChainActions<B = unknown, T = unknown> {
  readonly #init: ChainActionsInit

  constructor(init: ChainActionsInit) {
    this.#init = init
  }

  #chain(what: string): ChainPort {
    const { chain } = this.#init
    if (chain === undefined) throw new TypeError(`${what} needs a node with a chain`)
    return chain
  }

  announceBlock(block: B, options?: AbortOptions): Promise<AnnounceResult> {
    return this.announceEncodedBlock(this.#chain('announceBlock').codec.encodeBlock(block), options)
  }

  async announceEncodedBlock(encoded: Uint8Array, options?: AbortOptions): Promise<AnnounceResult> {
    const chain = this.#chain('announceBlock')
    options?.signal?.throwIfAborted()
    const summary = chain.readBlock(encoded)
    if (summary === undefined) {
      throw refusalError({ status: 'invalid', code: 'MALFORMED', reason: 'not a block of this chain' })
    }
    const hash = toHex(summary.header.hash)
    // Before the import takes them out of the pool: the transactions our peers cannot have
    // had from us go whole in the compact block (protocols/compact-blocks.md "Sending").
    const prefill = chain.kind === 'full' ? notPooled(summary.transactionIds, chain.pool) : undefined
    const { gossip } = this.#init
    // The block as read above goes with it: building its compact block does not read it again.
    const publishOptions = prefill === undefined ? { summary } : { summary, prefill }
    // On our tip with a valid header: out compact before the import, as relays forward it
    // (protocols/compact-blocks.md "Sending"); the network does not wait for our validation.
    const early =
      chain.kind === 'full'
        ? await gossip.publishEarly(encoded, summary.headerEncoding, publishOptions)
        : undefined
    let judgement: Judgement<{ outcome: ImportOutcome }>
    try {
      judgement =
        chain.kind === 'full'
          ? await chain.importBlock(encoded, options)
          : await chain.importHeader(summary.headerEncoding, options)
    } finally {
      if (early !== undefined) gossip.endEarly(summary.header.hash)
    }
    if (judgement.status !== 'accepted') {
      if (early !== undefined) {
        // Our peers forwarded it and will charge us `relayedBlock` for it, as for a relay's.
        this.#init.log.warn('announced block refused after it was sent compact', {
          hash,
          code: judgement.code,
        })
      }
      throw refusalError(judgement)
    }
    const { outcome } = judgement.value
    // A block that lost the race to another of the same height would only be Ignored.
    if (outcome === 'side-branch') return { hash, outcome, recipients: early ?? 0 }
    const recipients =
      (early ?? 0) +
      (await gossip.publishBlock(encoded, summary.headerEncoding, {
        ...publishOptions,
        sentEarly: early !== undefined,
      }))
    logNewTip(this.#init.log, {
      height: summary.header.height,
      hash,
      outcome,
      transactions: summary.transactionIds.length,
      bytes: encoded.length,
      from: 'local',
    })
    this.#init.log.debug('block announced', { hash, recipients })
    return { hash, outcome, recipients }
  }

  submitTransaction(transaction: T, options?: AbortOptions): Promise<SubmitResult> {
    const chain = this.#chain('submitTransaction')
    return this.submitEncodedTransaction(chain.codec.encodeTransaction(transaction), options)
  }

  async submitEncodedTransaction(encoded: Uint8Array, options?: AbortOptions): Promise<SubmitResult> {
    const chain = this.#chain('submitTransaction')
    options?.signal?.throwIfAborted()
    let result: { id: string; evicted: string[] }
    if (chain.kind === 'full') {
      const judgement = chain.pool.admitLocal(encoded)
      if (judgement.status !== 'accepted') throw refusalError(judgement)
      result = { id: toHex(judgement.value.id), evicted: judgement.value.evicted }
    } else {
      // A light node cannot check balances; its full peers do. It refuses what it can
      // check (the reference chain: the signature), which would only cost it score with them.
      const judgement = chain.checkTransaction(encoded)
      if (judgement.status !== 'accepted') throw refusalError(judgement)
      result = { id: toHex(judgement.value.id), evicted: [] }
    }
    const recipients = await this.#init.gossip.publishTransaction(encoded)
    return { ...result, recipients }
  }

  async requestTransactions(
    peerId: string,
    ids: readonly string[],
    options?: AbortOptions,
  ): Promise<TransactionRequestResult<T>> {
    const chain = this.#chain('requestTransactions')
    const { found, notFound } = await this.#init.mempool.requestTransactions(peerId, ids, options)
    return { found: found.map((encoded) => chain.codec.decodeTransaction(encoded) as T), notFound }
  }

  /** The block `hash` from the first connected peer that has it and whose copy verifies. */
  async fetchBlock(hash: Uint8Array, options?: AbortOptions): Promise<B | undefined> {
    const chain = this.#chain('fetchBlock')
    const { blocks, log } = this.#init
    for (const peerId of this.#init.connectedPeers()) {
      options?.signal?.throwIfAborted()
      let bytes: Uint8Array | undefined
      try {
        bytes = await blocks.getBlock(peerId, hash, options)
      } catch (error) {
        options?.signal?.throwIfAborted()
        log.debug('block request failed', { peer: peerId, error: (error as Error).message })
        continue
      }
      if (bytes === undefined) continue
      const summary = chain.readBlock(bytes)
      if (summary === undefined || !equalBytes(summary.header.hash, hash)) {
        this.#refused(peerId, { status: 'invalid', code: 'MALFORMED', reason: 'not the block asked for' })
        continue
      }
      if (chain.kind === 'full') return chain.codec.decodeBlock(bytes) as B
      const judgement = await chain.verifyBlock(bytes, options)
      if (judgement.status === 'accepted') return judgement.value as B
      this.#refused(peerId, judgement)
    }
    return undefined
  }

  /** A served block the chain refused: charged as src/peers/offences.ts says. */
  #refused(peerId: string, refusal: Refusal): void {
    const { offence } = verdictAction('servedBlock', refusal.status)
    if (offence === undefined) {
      this.#init.log.warn('block refused', { peer: peerId, code: refusal.code, error: refusal.reason })
      return
    }
    this.#init.enforcer.charge(
      peerId,
      offence,
      `block refused: ${refusal.code}: ${refusal.reason}`,
      'fetchBlock',
    )
  }
}

/** Places (after the first) of the transactions `pool` does not hold. */
function notPooled(ids: readonly Uint8Array[], pool: Pick<TransactionPoolPort, 'has'>): Set<number> {
  const places = new Set<number>()
  for (let i = 1; i < ids.length; i++) if (!pool.has(toHex(ids[i] as Uint8Array))) places.add(i)
  return places
}
