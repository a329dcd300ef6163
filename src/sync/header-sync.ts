/**
 * Light-node header sync (issue 6 "Light nodes: header sync with the same protocol, fork
 * choice by work"): headers from each connected peer over /paw/blocks/1, 512 at a time,
 * imported into the header chain through its port (`importHeaders`), which checks every
 * header rule and keeps the branch with the most weight. A peer whose chain forked below
 * our tip is followed from the common ancestor, found by stepping back. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import type { HeaderChainPort } from '../ports/chain.ts'
import { HEADERS_PER_REQUEST, PROGRESS_EVERY_MS } from './constants.ts'
import { SyncError, SyncErrorCode } from './errors.ts'
import { chargeRefusal, refusalOf, type SyncEnforcer } from './faults.ts'
import { readPeerHeader } from './peer-chains.ts'
import { RequestPacers } from './request-pacer.ts'
import { SingleFlight } from './single-flight.ts'
import type { BlockFetcher, SyncProgress, SyncResult } from './types.ts'

export interface HeaderSyncInit {
  chain: HeaderChainPort
  fetcher: Pick<BlockFetcher, 'getHeaders'>
  /** Connected peers that may serve headers. */
  peers: () => string[]
  /** Charges a peer whose headers the chain refuses (src/peers/offences.ts). */
  enforcer: SyncEnforcer
  log: Logger
  /** Called at most once a second while headers arrive, and once when the sync ends. */
  onProgress?: (progress: SyncProgress) => void
  /** Headers per request. @default 512 */
  headersPerRequest?: number
}

export class HeaderSync {
  readonly #init: HeaderSyncInit
  readonly #chain: HeaderChainPort
  readonly #log: Logger
  readonly #batch: number
  readonly #pacers = new RequestPacers()
  readonly #flight = new SingleFlight<SyncResult>()
  /** The sync running now: where it started and the highest height a peer showed. */
  #current = { started: 0, from: 0, target: 0, lastReport: 0 }

  constructor(init: HeaderSyncInit) {
    this.#init = init
    this.#chain = init.chain
    this.#log = init.log
    this.#batch = init.headersPerRequest ?? HEADERS_PER_REQUEST
  }

  /**
   * Syncs headers from every connected peer in turn; a second call joins the one running.
   * @throws the signal's reason once it aborts
   */
  syncHeaders(options?: AbortOptions): Promise<SyncResult> {
    return this.#flight.run((run) => this.#sync(run), options)
  }

  async #sync(options: AbortOptions): Promise<SyncResult> {
    const started = performance.now()
    const from = this.#chain.tip().height
    this.#current = { started, from, target: from, lastReport: started }
    let added = 0
    const used: string[] = []
    const connected = this.#init.peers()
    this.#pacers.retain(connected)
    for (const peer of connected) {
      try {
        const count = await this.#fromPeer(peer, options)
        if (count > 0) used.push(peer)
        added += count
      } catch (error) {
        if (options.signal?.aborted === true) throw options.signal.reason
        const refusal = refusalOf(error)
        if (refusal === undefined || !chargeRefusal(this.#init.enforcer, [peer], 'syncHeaders', refusal)) {
          this.#log.debug('header sync: no headers from peer', { peer, error: (error as Error).message })
        }
      }
    }
    const to = this.#chain.tip().height
    if (added > 0) this.#log.info('headers synced', { from, to, headers: added })
    // A sync that reported progress (or added anything) ends with a final report.
    if (added > 0 || this.#current.lastReport !== started) this.#report(true)
    return { from, to, blocks: added, ms: performance.now() - started, peers: used }
  }

  /** Headers `peer` has beyond what we hold; returns how many were new. */
  async #fromPeer(peer: string, options: AbortOptions): Promise<number> {
    let start = await this.#startHeight(peer, options)
    if (start === undefined) return 0
    let added = 0
    for (;;) {
      await this.#pacers.for(peer, 'headerRequests').take(options)
      const encoded = await this.#init.fetcher.getHeaders(peer, start, this.#batch, options)
      if (encoded.length === 0) return added
      added += await this.#chain.importHeaders(encoded, { ...options, from: peer })
      this.#current.target = Math.max(this.#current.target, start + encoded.length - 1)
      if (performance.now() - this.#current.lastReport >= PROGRESS_EVERY_MS) this.#report(false)
      if (encoded.length < this.#batch) return added
      start += encoded.length
    }
  }

  #report(done: boolean): void {
    const now = performance.now()
    const { started, from, target } = this.#current
    this.#current.lastReport = now
    const height = this.#chain.tip().height
    const progress: SyncProgress = {
      kind: 'headers',
      height,
      target: Math.max(target, height),
      from,
      perSecond: (height - from) / ((now - started) / 1000),
      done,
    }
    if (!done) this.#log.info('header sync progress', { height, target: progress.target })
    this.#init.onProgress?.(progress)
  }

  /**
   * The first height to ask `peer` for: after our tip if its header there builds on a header
   * we hold, else lower (doubling steps) until its header's parent is one we hold.
   */
  async #startHeight(peer: string, options: AbortOptions): Promise<number | undefined> {
    const tip = this.#chain.tip().height
    for (let step = 0; ; step = step === 0 ? 1 : step * 2) {
      const height = Math.max(1, tip + 1 - step)
      await this.#pacers.for(peer, 'headerRequests').take(options)
      const [encoded] = await this.#init.fetcher.getHeaders(peer, height, 1, options)
      if (encoded === undefined) {
        if (height === 1) return undefined
        continue
      }
      const header = readPeerHeader(this.#chain, encoded)
      if (await this.#chain.hasHeader(header.parentHash, options)) return height
      if (height === 1)
        throw new SyncError(SyncErrorCode.WrongChain, 'its chain does not start from our genesis')
    }
  }
}
