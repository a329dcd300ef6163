/**
 * The miner (issue 4): builds a block on the best tip from the mempool (template.ts),
 * searches its nonce in batches that yield to the event loop (pow.ts mineHeader), and adds
 * what it finds to the chain. A search is aborted the moment the tip moves (a peer's block)
 * or `stop()` is called, and restarted on a fresh template every `refreshIntervalMs` so new
 * transactions and a current timestamp get in. Difficulty is the chain's: nextTarget with
 * its params (an easy initialTarget on devnets and in tests). Browser-safe.
 */
import { TypedEventEmitter } from 'main-event'
import type { Logger } from '../logging.ts'
import { equalBytes } from '../wire/bytes.ts'
import { isChainError } from './errors.ts'
import { blockHash } from './hashing.ts'
import { DEFAULT_REFRESH_INTERVAL_MS, ERROR_BACKOFF_MS } from './miner/constants.ts'
import {
  type BlockTemplate,
  buildTemplate,
  type MinerChain,
  type MinerMempool,
  StaleTipError,
  shortHash,
} from './miner/template.ts'
import { mineHeader, yieldToEventLoop } from './pow.ts'
import type { AddBlockOutcome, Address, Block, Hash } from './types.ts'

export type { BlockTemplate, MinerChain, MinerMempool } from './miner/template.ts'
export { buildTemplate, coinbaseTransaction, TEMPLATE_OVERHEAD_BYTES } from './miner/template.ts'

export interface MinerInit {
  chain: MinerChain
  mempool: MinerMempool
  /** Where coinbases pay the reward and the fees. */
  rewardAddress: Address
  log: Logger
  /**
   * The clock for block timestamps (ms since the epoch).
   * @default Date.now
   */
  now?: () => number
  /**
   * How long one template is searched before it is rebuilt with the current mempool and
   * clock.
   * @default 5_000
   */
  refreshIntervalMs?: number
  /**
   * A cap on the search (pow.ts MineOptions.hashesPerSecond), so that devnet miners leave
   * the machine's cores to the rest; difficulty retargets to whatever rate the miners
   * have. @default 0 (no cap)
   */
  hashesPerSecond?: number
}

/** What one mined block took and earned. */
export interface MinedBlockStats {
  height: number
  hash: Hash
  /** Transfers in the block, the coinbase not counted. */
  transactions: number
  /** Their fees, paid to the miner with the reward. */
  fees: bigint
  /** From the first template on this parent to the block being stored. */
  elapsedMs: number
  /** What chain.addBlock made of it: 'side-branch' if a peer's block won the race. */
  outcome: AddBlockOutcome
}

export interface MinerEvents {
  /** A block was mined and stored. */
  block: CustomEvent<{ block: Block; stats: MinedBlockStats }>
  /** A search started on a new template (for tests and metrics). */
  template: CustomEvent<{ height: number; previousHash: Hash; transactions: number; fees: bigint }>
}

/** Why a search was aborted; only `stopped` ends the loop. */
const Abort = {
  stopped: new Error('miner stopped'),
  newTip: new Error('a new tip arrived'),
  refresh: new Error('template refresh'),
} as const

function monotonicMs(): number {
  return globalThis.performance?.now() ?? Date.now()
}

export class Miner extends TypedEventEmitter<MinerEvents> {
  readonly #chain: MinerChain
  readonly #mempool: MinerMempool
  readonly #rewardAddress: Address
  readonly #log: Logger
  readonly #now: () => number
  readonly #refreshIntervalMs: number
  readonly #hashesPerSecond: number
  #loop: Promise<void> | undefined
  #stopping = false
  /** Aborts the current round: its template building, search or back-off. */
  #round: AbortController | undefined
  /** The parent being mined on and when the miner started on it, for `elapsedMs`. */
  #parent: { hash: Hash; since: number } | undefined
  readonly #onTip = (): void => {
    this.#round?.abort(Abort.newTip)
  }

  constructor(init: MinerInit) {
    super()
    const refresh = init.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS
    if (!Number.isSafeInteger(refresh) || refresh < 1) {
      throw new RangeError(`miner refreshIntervalMs must be a positive integer, got ${refresh}`)
    }
    this.#chain = init.chain
    this.#mempool = init.mempool
    this.#rewardAddress = init.rewardAddress.slice()
    this.#log = init.log
    this.#now = init.now ?? Date.now
    this.#refreshIntervalMs = refresh
    this.#hashesPerSecond = init.hashesPerSecond ?? 0
  }

  get running(): boolean {
    return this.#loop !== undefined
  }

  /** Starts mining on the best tip; a no-op if running. */
  start(): void {
    if (this.#loop !== undefined) return
    this.#stopping = false
    this.#chain.addEventListener('tip', this.#onTip)
    this.#loop = this.#run().catch((error: unknown) => {
      // #run handles its own failures; this is the last guard against an unhandled rejection.
      this.#log.error('miner loop failed', { error })
    })
    this.#log.info('miner started', { chain: this.#chain.params.chainId })
  }

  /**
   * Aborts the search at once (mineHeader checks between batches of a few ms) and resolves
   * once the loop has exited. A block already being stored is stored first.
   */
  async stop(): Promise<void> {
    const loop = this.#loop
    if (loop === undefined) return
    this.#stopping = true
    this.#round?.abort(Abort.stopped)
    await loop
    this.#chain.removeEventListener('tip', this.#onTip)
    this.#loop = undefined
    this.#round = undefined
    this.#log.info('miner stopped')
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const round = new AbortController()
      this.#round = round
      const refresh = setTimeout(() => round.abort(Abort.refresh), this.#refreshIntervalMs)
      try {
        await this.#mineOnce(round.signal)
      } catch (error) {
        await this.#recover(error, round.signal)
      } finally {
        clearTimeout(refresh)
      }
    }
  }

  /** One round: a template, a search, and the block stored if one is found. */
  async #mineOnce(signal: AbortSignal): Promise<void> {
    // The round's controller exists before the tip is read: a tip event from here on aborts it.
    const template = await buildTemplate(this.#chain, this.#mempool, this.#rewardAddress, this.#now())
    signal.throwIfAborted()
    const { block, parent, fees } = template
    if (this.#parent === undefined || !equalBytes(this.#parent.hash, parent.hash)) {
      this.#parent = { hash: parent.hash, since: monotonicMs() }
    }
    const transactions = block.transactions.length - 1
    this.#log.debug('mining', { height: block.header.height, txs: transactions, fees })
    this.safeDispatchEvent('template', {
      detail: { height: block.header.height, previousHash: parent.hash, transactions, fees },
    })
    const header = await mineHeader(block.header, { signal, hashesPerSecond: this.#hashesPerSecond })
    if (header === undefined) return
    await this.#store(
      { block: { header, transactions: block.transactions }, parent, fees },
      this.#parent.since,
    )
  }

  async #store(template: BlockTemplate, since: number): Promise<void> {
    const { block, fees } = template
    const hash = blockHash(block.header)
    const outcome = await this.#chain.addBlock(block)
    const stats: MinedBlockStats = {
      height: block.header.height,
      hash,
      transactions: block.transactions.length - 1,
      fees,
      elapsedMs: Math.round(monotonicMs() - since),
      outcome,
    }
    const fields = {
      height: stats.height,
      hash: shortHash(hash),
      txs: stats.transactions,
      fees,
      ms: stats.elapsedMs,
    }
    if (outcome === 'extended' || outcome === 'reorg') this.#log.info('mined block', fields)
    else this.#log.info('mined block lost a race', { ...fields, outcome })
    this.safeDispatchEvent('block', { detail: { block, stats } })
  }

  /**
   * After a failed round: an abort or a stale tip just starts the next round; a refused
   * block (a race with a peer's) or any other failure is logged, and unless the tip moved
   * meanwhile, the next round waits ERROR_BACKOFF_MS so a persistent fault cannot spin.
   */
  async #recover(error: unknown, signal: AbortSignal): Promise<void> {
    if (signal.aborted && error === signal.reason) return
    if (error instanceof StaleTipError) {
      await yieldToEventLoop()
      return
    }
    const tipBefore = this.#parent?.hash
    if (isChainError(error)) this.#log.warn('mined block refused', { code: error.code, error })
    else this.#log.error('mining failed', { error })
    if (tipBefore !== undefined && !equalBytes(this.#chain.tip().hash, tipBefore)) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ERROR_BACKOFF_MS)
      function done(): void {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done)
      if (signal.aborted) done()
    })
  }
}
