/**
 * The node's chain events (issue 18): `reorg`, then `block` (full, miner) or `header`
 * (light) for each block joining the best chain, then `tip`, for every move of the best
 * chain whatever made it. They are driven by the chain port's own `tip` and `reorg`
 * events (src/ports/chain.ts), so any chain has them; ImportOrigins says where each block
 * came from, and holds the block the chain decoded on import. Hashes go out as lowercase
 * hex. Moves are emitted one at a time, in the order the chain made them. Browser-safe.
 */
import type { ChainTip, PawNodeEvents } from '../api/index.ts'
import type { Logger } from '../logging.ts'
import type { ChainPort, ChainPortEvents, TipSummary } from '../ports/chain.ts'
import { equalBytes, fromHex, toHex } from '../wire/bytes.ts'
import { type ImportOrigins, type InFlight, LOCAL } from './import-origins.ts'

type ChainEventMap = Pick<PawNodeEvents<unknown, unknown, unknown>, 'block' | 'header' | 'tip' | 'reorg'>

/** Dispatches one of the node's chain events. */
export type ChainEventDispatch = <K extends keyof ChainEventMap>(
  name: K,
  detail: ChainEventMap[K] extends CustomEvent<infer D> ? D : never,
) => void

export interface ChainFeedInit {
  chain: ChainPort
  origins: ImportOrigins
  dispatch: ChainEventDispatch
  /** Whether `block` or `header` has listeners: a block no one hears is not read from the store. */
  hasListeners?: (name: 'block' | 'header') => boolean
  log: Logger
}

/** One move of the best chain, as the port announced it. */
interface Move {
  tip: TipSummary
  /** The imports running when the chain moved: one of them may have moved it. */
  running: InFlight[]
  /** The port's reorg event of the same move, which follows its tip event. */
  reorg?: { disconnected: Uint8Array[]; connected: Uint8Array[] }
  /** Its emission has read `reorg`: a reorg event now is not this move's. */
  read: boolean
}

function chainTip(tip: TipSummary): ChainTip {
  return { height: tip.height, hash: toHex(tip.hash), totalWeight: tip.totalWeight }
}

export class ChainFeed {
  readonly #init: ChainFeedInit
  readonly #moves: Move[] = []
  #last: Move | undefined
  #draining = false
  #previous: ChainTip | undefined
  #idle: Promise<void> = Promise.resolve()

  constructor(init: ChainFeedInit) {
    this.#init = init
  }

  /** Follows the chain from its tip now. */
  start(): void {
    const { chain, origins } = this.#init
    this.#previous = chainTip(chain.tip())
    origins.start()
    chain.addEventListener('tip', this.#onTip)
    chain.addEventListener('reorg', this.#onReorg)
  }

  stop(): void {
    const { chain, origins } = this.#init
    chain.removeEventListener('tip', this.#onTip)
    chain.removeEventListener('reorg', this.#onReorg)
    origins.stop()
  }

  /** Settles once every move announced so far has been emitted (tests). */
  idle(): Promise<void> {
    return this.#idle
  }

  readonly #onTip = (event: ChainPortEvents['tip']): void => {
    const move: Move = { tip: event.detail.tip, running: this.#init.origins.running(), read: false }
    this.#moves.push(move)
    this.#last = move
    this.#drain()
  }

  readonly #onReorg = (event: ChainPortEvents['reorg']): void => {
    const { disconnected, connected } = event.detail
    const last = this.#last
    const newTip = connected.at(-1)
    if (last !== undefined && !last.read && newTip !== undefined && equalBytes(last.tip.hash, newTip)) {
      last.reorg = { disconnected, connected }
      return
    }
    // The port promises its reorg event right after the tip event of the same move.
    this.#init.log.warn('chain reorg event without its tip event first: not reported', {
      disconnected: disconnected.length,
      connected: connected.length,
    })
  }

  #drain(): void {
    if (this.#draining) return
    this.#draining = true
    // Not before the chain's dispatch is over: its reorg event follows the tip event at once.
    this.#idle = Promise.resolve().then(async () => {
      for (let move = this.#moves.shift(); move !== undefined; move = this.#moves.shift()) {
        try {
          await this.#emit(move)
        } catch (error) {
          // A store that failed to give back a block: the move's remaining events are lost, not the feed.
          this.#init.log.error('chain events of a move failed', { height: move.tip.height, error })
        }
      }
      this.#draining = false
    })
  }

  async #emit(move: Move): Promise<void> {
    const { origins, dispatch } = this.#init
    const tip = chainTip(move.tip)
    const origin = (await origins.originOf(tip.hash, move.running)) ?? LOCAL
    move.read = true
    const previous = this.#previous ?? tip
    this.#previous = tip
    const { reorg } = move
    const joined = reorg === undefined ? [tip.hash] : reorg.connected.map(toHex)
    const first = tip.height - joined.length + 1
    if (reorg !== undefined) {
      dispatch('reorg', {
        disconnected: reorg.disconnected.map(toHex),
        connected: joined,
        forkHeight: first - 1,
      })
    }
    const outcome = reorg === undefined ? 'extended' : 'reorg'
    for (const [i, hash] of joined.entries()) {
      const height = first + i
      const { source, from } =
        hash === tip.hash ? origin : ((await origins.originOf(hash, move.running)) ?? LOCAL)
      await this.#emitJoined({ hash, height, source, from, outcome })
    }
    dispatch('tip', { ...tip, previous, source: origin.source, from: origin.from })
  }

  /** The `block` or `header` event of a block that joined the best chain. */
  async #emitJoined(joined: Omit<ChainEventMap['block']['detail'], 'block'>): Promise<void> {
    const { chain, origins, dispatch, log } = this.#init
    const heard = this.#init.hasListeners?.(chain.kind === 'full' ? 'block' : 'header') ?? true
    if (chain.kind === 'full') {
      const fresh = origins.takeDecoded(joined.hash)
      if (!heard) return
      // Not decoded on import here (a side branch's block, one the chain took by itself): from the store.
      const encoded = fresh === undefined ? await chain.encodedBlock(fromHex(joined.hash)) : undefined
      if (fresh === undefined && encoded === undefined) {
        log.warn('chain event: block not in the store', { hash: joined.hash, height: joined.height })
        return
      }
      const block = fresh ?? chain.codec.decodeBlock(encoded as Uint8Array)
      dispatch('block', { block, ...joined })
      return
    }
    if (!heard) return
    const encoded =
      origins.headerEncoding(joined.hash) ?? (await this.#bestHeader(joined.hash, joined.height))
    if (encoded === undefined) {
      log.debug('chain event: header no longer on the best chain', {
        hash: joined.hash,
        height: joined.height,
      })
      return
    }
    dispatch('header', { header: chain.codec.decodeHeader(encoded), ...joined })
  }

  /** The best chain's header at `height` if it is still `hash` (a light port looks headers up by height only). */
  async #bestHeader(hash: string, height: number): Promise<Uint8Array | undefined> {
    const { chain } = this.#init
    const [encoded] = await chain.encodedHeaders(height, 1)
    return encoded !== undefined && toHex(chain.readHeader(encoded).hash) === hash ? encoded : undefined
  }
}
