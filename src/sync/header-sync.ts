/**
 * Light-node header sync (issue 6 "Light nodes: header sync with the same protocol, fork
 * choice by work"): headers from each connected peer over /paw/blocks/1, 512 at a time,
 * added to the header chain, which checks every header rule and keeps the branch with the
 * most work. A peer whose chain forked below our tip is followed from the common ancestor,
 * found by stepping back. Browser-safe.
 */
import type { HeaderSource } from '../api.ts'
import { decodeHeader } from '../chain/encoding.ts'
import { ChainError, ChainErrorCode, isChainError } from '../chain/errors.ts'
import type { BlockHeader } from '../chain/types.ts'
import type { Logger } from '../logging.ts'
import type { Reputation } from '../peers/reputation.ts'
import { type BlockFetcher, PROGRESS_EVERY_MS, type SyncProgress, type SyncResult } from './block-sync.ts'
import { RequestPacers } from './request-pacer.ts'

const BATCH = 512

export class HeaderSync {
  readonly #headers: HeaderSource
  readonly #fetcher: Pick<BlockFetcher, 'getHeaders'>
  readonly #peers: () => string[]
  readonly #reputation: Reputation
  readonly #log: Logger
  readonly #onProgress: ((progress: SyncProgress) => void) | undefined
  readonly #pacers = new RequestPacers()
  #running: Promise<SyncResult> | undefined
  /** The sync running now: where it started and the highest height a peer showed. */
  #current = { started: 0, from: 0, target: 0, lastReport: 0 }

  constructor(init: {
    headers: HeaderSource
    fetcher: Pick<BlockFetcher, 'getHeaders'>
    peers: () => string[]
    reputation: Reputation
    log: Logger
    /** Called at most once a second while headers arrive, and once when the sync ends. */
    onProgress?: (progress: SyncProgress) => void
  }) {
    this.#onProgress = init.onProgress
    this.#headers = init.headers
    this.#fetcher = init.fetcher
    this.#peers = init.peers
    this.#reputation = init.reputation
    this.#log = init.log
  }

  /** Syncs headers from every connected peer in turn; a second call joins the one running. */
  syncHeaders(): Promise<SyncResult> {
    this.#running ??= this.#sync().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #sync(): Promise<SyncResult> {
    const started = performance.now()
    const from = this.#headers.tip().height
    this.#current = { started, from, target: from, lastReport: started }
    let added = 0
    const used: string[] = []
    const connected = this.#peers()
    this.#pacers.retain(connected)
    for (const peer of connected) {
      try {
        const count = await this.#fromPeer(peer)
        if (count > 0) used.push(peer)
        added += count
      } catch (error) {
        if (isChainError(error)) {
          this.#log.warn('header sync: peer sent invalid headers', { peer, error: error.message })
          this.#reputation.penalize(peer, 'invalidMessage')
        } else {
          this.#log.debug('header sync: no headers from peer', { peer, error: (error as Error).message })
        }
      }
    }
    const to = this.#headers.tip().height
    if (added > 0) this.#log.info('headers synced', { from, to, headers: added })
    // A sync that reported progress (or added anything) ends with a final report.
    if (added > 0 || this.#current.lastReport !== started) this.#report(true)
    return { from, to, blocks: added, ms: performance.now() - started, peers: used }
  }

  /** Headers `peer` has beyond what we hold; returns how many were new. */
  async #fromPeer(peer: string): Promise<number> {
    let start = await this.#startHeight(peer)
    if (start === undefined) return 0
    let added = 0
    for (;;) {
      await this.#pacers.for(peer, 'headerRequests').take()
      const encoded = await this.#fetcher.getHeaders(peer, start, BATCH)
      if (encoded.length === 0) return added
      const headers: BlockHeader[] = encoded.map((bytes) => decodeHeader(bytes))
      const outcomes = await this.#headers.addHeaders(headers)
      added += outcomes.filter((outcome) => outcome !== 'duplicate').length
      this.#current.target = Math.max(this.#current.target, start + encoded.length - 1)
      if (performance.now() - this.#current.lastReport >= PROGRESS_EVERY_MS) this.#report(false)
      if (encoded.length < BATCH) return added
      start += encoded.length
    }
  }

  #report(done: boolean): void {
    const now = performance.now()
    const { started, from, target } = this.#current
    this.#current.lastReport = now
    const height = this.#headers.tip().height
    const progress: SyncProgress = {
      kind: 'headers',
      height,
      target: Math.max(target, height),
      from,
      perSecond: (height - from) / ((now - started) / 1000),
      done,
    }
    if (!done) this.#log.info('header sync progress', { height, target: progress.target })
    this.#onProgress?.(progress)
  }

  /**
   * The first height to ask `peer` for: after our tip if its header there builds on a header
   * we hold, else lower (doubling steps) until its header's parent is one we hold.
   */
  async #startHeight(peer: string): Promise<number | undefined> {
    const tip = this.#headers.tip().height
    for (let step = 0; ; step = step === 0 ? 1 : step * 2) {
      const height = Math.max(1, tip + 1 - step)
      await this.#pacers.for(peer, 'headerRequests').take()
      const [bytes] = await this.#fetcher.getHeaders(peer, height, 1)
      if (bytes === undefined) {
        if (height === 1) return undefined
        continue
      }
      const header = decodeHeader(bytes)
      if (await this.#headers.hasHeader(header.previousHash)) return height
      if (height === 1)
        throw new ChainError(ChainErrorCode.WrongChain, 'its chain does not start from our genesis')
    }
  }
}
