/**
 * The compact blocks topic on a full node (protocols/compact-blocks.md "Receiving";
 * protocols/gossip.md "What a relay promises"):
 *
 * 1. decode the message and read its header; a block held already is Ignored;
 * 2. rebuild the block from the prefilled transactions and the mempool (compact-rebuild.ts);
 * 3. ask the sender for the missing places (get_block_transactions on /paw/blocks/1), off the
 *    ingress queue, and come back to it with the answer;
 * 4. a rebuilt list that does not match the header's transaction root (a short-id collision
 *    the pool could not see), a failed fetch or wrong answer: fetch the whole block
 *    (get_block), and check the message against it: a message that does not describe the
 *    real block is Rejected, its sender charged as for an invalid block; a sender that
 *    gives neither: the message is forgotten (another copy is judged anew) and block sync
 *    asks the other peers;
 * 5. the header check (its parent is our tip, proof of work, target, timestamp: the chain's
 *    headerChecker): then Accept, so gossipsub forwards the message at once, and import
 *    (full validation). A block that then fails costs its sender `relayedBlock`, not a ban:
 *    honest relays forward such a block too. A block on our tip that fails the header check
 *    is imported first and judged as a whole block is (block-judge.ts); one off our tip is
 *    imported first too, but charged `relayedBlock` only: its relay's tip may have differed;
 * 6. a block accepted by the import goes whole to peers without compact relay
 *    (legacy-bridge.ts).
 *
 * Browser-safe.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { AbortOptions } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import type { Enforcer } from '../peers/enforcer.ts'
import type { BlockParts, FullChainPort } from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import {
  type CompactBlock,
  decodeCompactBlock,
  SHORT_ID_BYTES,
  shortId,
  shortIdKey,
  shortIdNumber,
} from '../wire/compact-block.ts'
import type { BlockJudge } from './block-judge.ts'
import {
  compactDescribes,
  missingOf,
  type Rebuilt,
  rebuildFromPool,
  takeFromPool,
} from './compact-rebuild.ts'
import type { CompactCounters } from './compact-stats.ts'
import type { Forwarding } from './forwarding.ts'
import type { Enqueue, Received, Verdict } from './gossip-types.ts'
import type { LegacyBridge } from './legacy-bridge.ts'
import { verdictForRefusal } from './refusals.ts'
import { type RelayCheck, relayCheck } from './relay-check.ts'
import type { RelayedBlocks } from './relayed-blocks.ts'

/**
 * How long a fetch for a compact block's missing transactions, or its whole block, may
 * take. Within gossipsub's forwarding window (forwarding.ts), so that a block completed at
 * the limit is still forwarded by the Accept itself.
 */
export const COMPACT_FETCH_TIMEOUT_MS = 3_000

/** What a compact block's receiver asks its sender on /paw/blocks/1 (BlocksProtocol). */
export interface CompactFetcher {
  /** The transactions at `indexes` of block `hash`; undefined if the peer does not hold it (not_found). */
  getBlockTransactions(
    peerId: string,
    hash: Uint8Array,
    indexes: number[],
    options?: AbortOptions,
  ): Promise<Uint8Array[] | undefined>
  /** The whole block, read by the chain to be `hash`'s; undefined if not held. */
  getBlock(peerId: string, hash: Uint8Array, options?: AbortOptions): Promise<Uint8Array | undefined>
}

export type CompactChain = Pick<
  FullChainPort,
  'shape' | 'readHeader' | 'readBlock' | 'transactionId' | 'tip' | 'headerChecker' | 'encodedBlock' | 'pool'
>

export interface CompactJudgeInit {
  chain: CompactChain
  parts: BlockParts
  fetcher: CompactFetcher
  blocks: Pick<BlockJudge, 'judge'>
  enforcer: Pick<Enforcer, 'charge'>
  forwarding: Pick<Forwarding, 'judged' | 'ignoreAndUnsee'>
  enqueue: Enqueue
  relayed: RelayedBlocks
  counters: CompactCounters
  /** Whole blocks on blocks/1 for peers without compact relay, once validated. */
  bridge?: Pick<LegacyBridge, 'publishWhole'>
  /**
   * The sender gave neither the missing transactions nor the block: the block is real if its
   * header is, and other peers will have it, so block sync asks them (the node: sync in the
   * background). `from` is the sender.
   */
  onUnfetched?: (from: string) => void
  log: Logger
  /** @default COMPACT_FETCH_TIMEOUT_MS */
  fetchTimeoutMs?: number
}

/** A compact block being rebuilt: the message, its decoding and the block's id. */
interface Pending {
  received: Received
  compact: CompactBlock
  hash: Uint8Array
}

export class CompactJudge {
  readonly #init: CompactJudgeInit

  constructor(init: CompactJudgeInit) {
    this.#init = init
  }

  /** Steps 1 and 2; undefined while the missing transactions are fetched (the verdict comes later). */
  async judge(received: Received): Promise<Verdict | undefined> {
    const { chain, counters } = this.#init
    counters.received++
    let compact: CompactBlock
    let hash: Uint8Array
    try {
      compact = decodeCompactBlock(received.data, chain.shape)
      hash = chain.readHeader(compact.header).hash
    } catch (error) {
      return this.#invalid(received, 'MALFORMED', (error as Error).message)
    }
    if (this.#init.relayed.has(toHex(hash)) || (await chain.encodedBlock(hash)) !== undefined) {
      return TopicValidatorResult.Ignore
    }
    const pending: Pending = { received, compact, hash }
    // gossipsub queued our IDONTWANT to the mesh when the message came; let it reach the
    // sockets before the rebuild holds the event loop, or peers forwarding meanwhile send a
    // copy we do not want (the duplicates are what a compact block's bytes are made of).
    await ioTurn()
    const rebuilt = rebuildFromPool(compact, hash, chain.pool, (encoded) => chain.transactionId(encoded))
    counters.collisions += rebuilt.collisions
    if (rebuilt.missing.length === 0) {
      counters.rebuilt++
      return this.#complete(pending, rebuilt)
    }
    this.#fetchMissing(pending, rebuilt)
    return undefined
  }

  /** Step 3, off the queue: the answer comes back to it. */
  #fetchMissing(pending: Pending, rebuilt: Rebuilt): void {
    const { fetcher, counters } = this.#init
    const { received, hash } = pending
    counters.fetched++
    counters.transactionsFetched += rebuilt.missing.length
    fetcher
      .getBlockTransactions(received.source, hash, rebuilt.missing, this.#timeout())
      .then((fetched) => {
        if (fetched === undefined || !this.#fill(pending, rebuilt, fetched)) {
          this.#fetchWhole(pending, 'the sender did not send the missing transactions')
          return
        }
        this.#init.enqueue('blocks', received, () => this.#complete(pending, rebuilt))
      })
      .catch((error: unknown) => this.#fetchWhole(pending, (error as Error).message))
  }

  /** Puts `fetched` in the missing places if each has the short id the message gave it. */
  #fill(pending: Pending, rebuilt: Rebuilt, fetched: Uint8Array[]): boolean {
    const { compact, hash } = pending
    if (fetched.length !== rebuilt.missing.length) return false
    const key = shortIdKey(hash, compact.nonce)
    const shortAt = shortIdPlaces(compact)
    for (const [k, place] of rebuilt.missing.entries()) {
      const transaction = fetched[k] as Uint8Array
      const id = this.#init.chain.transactionId(transaction)
      const at = shortAt.get(place)
      // A prefilled place is never missing; a short id that does not match is a wrong answer.
      if (id === undefined || at === undefined) return false
      if (shortIdNumber(shortId(key, id)) !== shortIdNumber(compact.shortIds, at)) return false
      rebuilt.transactions[place] = transaction
      rebuilt.ids[place] = id
    }
    rebuilt.missing = missingOf(rebuilt.ids)
    return rebuilt.missing.length === 0
  }

  /** Step 4: the whole block from the sender, then back to the queue. */
  #fetchWhole(pending: Pending, why: string): void {
    const { received, hash } = pending
    this.#init.counters.fallbacks++
    this.#init.log.debug('compact block: fetching the whole block', { from: received.source, why })
    this.#init.fetcher
      .getBlock(received.source, hash, this.#timeout())
      .then((block) => {
        if (block === undefined) {
          this.#unfetched(received)
          return
        }
        this.#init.enqueue('blocks', received, () => this.#fromWholeBlock(pending, block))
      })
      .catch(() => this.#unfetched(received))
  }

  /** Neither part nor whole from the sender: forgotten, so another copy is judged; sync asks the others. */
  #unfetched(received: Received): void {
    this.#init.forwarding.ignoreAndUnsee(received)
    this.#init.onUnfetched?.(received.source)
  }

  /**
   * Every id known: the transaction root, from the ids, decides whether the rebuild was
   * right; then step 5 (the pool's encodings are taken only after the forward).
   */
  async #complete(pending: Pending, rebuilt: Rebuilt): Promise<Verdict | undefined> {
    const { parts, counters, forwarding, relayed } = this.#init
    const { received, compact } = pending
    if (!parts.commits(compact.header, rebuilt.ids as Uint8Array[])) {
      counters.rootMismatches++
      this.#fetchWhole(pending, 'the rebuilt transactions do not match the transaction root')
      return undefined
    }
    const check = await this.#headerCheck(pending)
    const early = check === 'passed'
    const key = toHex(pending.hash)
    if (early) {
      // IDONTWANTs that came while we rebuilt are read first, so gossipsub does not send
      // the message to peers that have it already.
      await ioTurn()
      forwarding.judged(received, TopicValidatorResult.Accept)
      counters.forwarded(key, received.receivedAt)
      await ioTurn()
    }
    if (takeFromPool(rebuilt, this.#init.chain.pool).length > 0) {
      // Mined or evicted since the rebuild: the sender has them.
      if (!early) this.#fetchWhole(pending, 'transactions left the pool')
      else this.#fetchForImport(pending, rebuilt)
      return undefined
    }
    const encoded = parts.join(compact.header, rebuilt.transactions as Uint8Array[])
    if (!early) return this.#importWhole(encoded, received.source, arrivalFor(check))
    relayed.add(key, encoded)
    await this.#importForwarded(pending, encoded)
    return undefined
  }

  /** A forwarded block's transactions that left the pool before its import: from the sender. */
  #fetchForImport(pending: Pending, rebuilt: Rebuilt): void {
    const gone = missingOf(rebuilt.transactions)
    this.#init.fetcher
      .getBlockTransactions(pending.received.source, pending.hash, gone, this.#timeout())
      .then((fetched) => {
        if (fetched === undefined || fetched.length !== gone.length) throw new Error('not sent')
        gone.forEach((place, k) => {
          rebuilt.transactions[place] = fetched[k]
        })
        const encoded = this.#init.parts.join(pending.compact.header, rebuilt.transactions as Uint8Array[])
        this.#init.relayed.add(toHex(pending.hash), encoded)
        this.#init.enqueue('blocks', pending.received, async () => {
          await this.#importForwarded(pending, encoded)
          return undefined
        })
      })
      .catch((error: unknown) => {
        this.#init.log.warn('compact block forwarded but not imported: its transactions are gone', {
          hash: toHex(pending.hash),
          error: (error as Error).message,
        })
      })
  }

  /** Full validation of a block forwarded already: its refusal costs `relayedBlock`. */
  async #importForwarded(pending: Pending, encoded: Uint8Array): Promise<void> {
    const key = toHex(pending.hash)
    try {
      await this.#importWhole(encoded, pending.received.source, 'relayedBlock')
    } catch (error) {
      // Forwarded already: nothing more to tell gossipsub.
      this.#init.log.error('compact block import failed', { hash: key, error })
    } finally {
      this.#init.relayed.delete(key)
    }
  }

  /**
   * Imports (full validation) a block that came compact; once it is accepted, peers that
   * take no compact blocks get it whole (legacy-bridge.ts).
   */
  async #importWhole(
    encoded: Uint8Array,
    source: string,
    arrival: 'gossipBlock' | 'relayedBlock',
  ): Promise<Verdict> {
    const verdict = await this.#init.blocks.judge(encoded, source, arrival)
    // Not awaited: the verdict on the compact message (its forward) does not wait for it.
    if (verdict === TopicValidatorResult.Accept) void this.#init.bridge?.publishWhole(encoded)
    return verdict
  }

  /** The real block (getBlock checked it is `hash`'s and its body its header's): does the message describe it? */
  async #fromWholeBlock(pending: Pending, block: Uint8Array): Promise<Verdict | undefined> {
    const { received, compact, hash } = pending
    const summary = this.#init.chain.readBlock(block)
    const parts = this.#init.parts.split(block)
    if (summary === undefined || parts === undefined) return TopicValidatorResult.Ignore
    if (!compactDescribes(compact, hash, parts.transactions, summary.transactionIds)) {
      // Honest relays forward a compact block only once it rebuilt to the header's root,
      // which a message that does not describe the block cannot do.
      const verdict = this.#invalid(
        received,
        'BAD_COMPACT_BLOCK',
        'its short ids or transactions are not the block’s',
      )
      // The block itself matches its header: validated as a whole block, not relayed.
      await this.#importWhole(block, received.source, 'gossipBlock')
      return verdict
    }
    const check = await this.#headerCheck(pending)
    if (check !== 'passed') return this.#importWhole(block, received.source, arrivalFor(check))
    const key = toHex(hash)
    this.#init.relayed.add(key, block)
    this.#init.forwarding.judged(received, TopicValidatorResult.Accept)
    this.#init.counters.forwarded(key, received.receivedAt)
    await ioTurn()
    await this.#importForwarded(pending, block)
    return undefined
  }

  /** The header check a relay makes before forwarding (relay-check.ts). */
  #headerCheck(pending: Pending): Promise<RelayCheck> {
    return relayCheck(this.#init.chain, pending.compact.header)
  }

  #invalid(received: Received, code: string, reason: string): Verdict {
    return verdictForRefusal(
      'gossipBlock',
      { status: 'invalid', code, reason: `compact block: ${reason}` },
      received.source,
      this.#init.enforcer,
    )
  }

  #timeout(): AbortOptions {
    return { signal: AbortSignal.timeout(this.#init.fetchTimeoutMs ?? COMPACT_FETCH_TIMEOUT_MS) }
  }
}

/** What a compact block validated before any forward costs its sender if it is invalid. */
function arrivalFor(check: 'failed' | 'off-tip'): 'gossipBlock' | 'relayedBlock' {
  return check === 'failed' ? 'gossipBlock' : 'relayedBlock'
}

/**
 * A turn of the event loop: what was just sent (an IDONTWANT, a forwarded message) reaches
 * the sockets before synchronous work (a rebuild, decoding and checking a whole block)
 * holds the loop. setImmediate where there is one: setTimeout(0) waits at least 1 ms.
 */
function ioTurn(): Promise<void> {
  if (typeof globalThis.setImmediate === 'function') {
    return new Promise((resolve) => globalThis.setImmediate(resolve))
  }
  return new Promise((resolve) => setTimeout(resolve, 0))
}

/** Where each place's short id starts in the message's short ids, for the places not prefilled. */
function shortIdPlaces(compact: CompactBlock): Map<number, number> {
  const prefilledAt = new Set(compact.prefilled.map(({ index }) => index))
  const places = new Map<number, number>()
  let at = 0
  for (let place = 0; place < compact.transactionCount; place++) {
    if (prefilledAt.has(place)) continue
    places.set(place, at)
    at += SHORT_ID_BYTES
  }
  return places
}
