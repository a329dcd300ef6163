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
import type { BlockFetcher, SyncResult } from './block-sync.ts'

const BATCH = 512

export class HeaderSync {
  readonly #headers: HeaderSource
  readonly #fetcher: Pick<BlockFetcher, 'getHeaders'>
  readonly #peers: () => string[]
  readonly #reputation: Reputation
  readonly #log: Logger
  #running: Promise<SyncResult> | undefined

  constructor(init: {
    headers: HeaderSource
    fetcher: Pick<BlockFetcher, 'getHeaders'>
    peers: () => string[]
    reputation: Reputation
    log: Logger
  }) {
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
    let added = 0
    const used: string[] = []
    for (const peer of this.#peers()) {
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
    return { from, to, blocks: added, ms: performance.now() - started, peers: used }
  }

  /** Headers `peer` has beyond what we hold; returns how many were new. */
  async #fromPeer(peer: string): Promise<number> {
    let start = await this.#startHeight(peer)
    if (start === undefined) return 0
    let added = 0
    for (;;) {
      const encoded = await this.#fetcher.getHeaders(peer, start, BATCH)
      if (encoded.length === 0) return added
      const headers: BlockHeader[] = encoded.map((bytes) => decodeHeader(bytes))
      const outcomes = await this.#headers.addHeaders(headers)
      added += outcomes.filter((outcome) => outcome !== 'duplicate').length
      if (encoded.length < BATCH) return added
      start += encoded.length
    }
  }

  /**
   * The first height to ask `peer` for: after our tip if its header there builds on a header
   * we hold, else lower (doubling steps) until its header's parent is one we hold.
   */
  async #startHeight(peer: string): Promise<number | undefined> {
    const tip = this.#headers.tip().height
    for (let step = 0; ; step = step === 0 ? 1 : step * 2) {
      const height = Math.max(1, tip + 1 - step)
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
