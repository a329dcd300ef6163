/**
 * The node's sync, on demand and in the background: a full or miner node syncs blocks
 * (block-sync.ts), a light node headers (header-sync.ts), by the kind of its chain port. In
 * the background (a peer connected, a gossiped block's parent is unknown) at most one sync
 * runs: a request while one runs queues exactly one more after it, and a failed one is
 * retried while the node runs, for peers may recover or others connect. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import type { ChainPort } from '../ports/chain.ts'
import { raceSignal } from './abort.ts'
import { BlockSync } from './block-sync.ts'
import { SYNC_RETRY_MS } from './constants.ts'
import type { SyncEnforcer } from './faults.ts'
import { HeaderSync } from './header-sync.ts'
import type { BlockFetcher, SyncProgress, SyncResult } from './types.ts'

export interface SyncRunnerInit {
  chain: ChainPort
  fetcher: BlockFetcher
  /** Connected peers that may serve blocks or headers. */
  peers: () => string[]
  /** Charges a peer whose headers or blocks the chain refuses. */
  enforcer: SyncEnforcer
  log: Logger
  /** Body requests in flight per peer (block sync only). */
  requestsPerPeer: number
  onProgress: (progress: SyncProgress) => void
  /** Whether background syncs run (settings autoSync) and the node is running now. */
  mayRunInBackground: () => boolean
}

export class SyncRunner {
  readonly #run: (options?: AbortOptions) => Promise<SyncResult>
  readonly #log: Logger
  readonly #mayRunInBackground: () => boolean
  #background: Promise<unknown> | undefined
  #again = false

  constructor(init: SyncRunnerInit) {
    const { chain, fetcher, peers, enforcer, log, onProgress } = init
    this.#log = log
    this.#mayRunInBackground = init.mayRunInBackground
    if (chain.kind === 'full') {
      const sync = new BlockSync({
        chain,
        fetcher,
        peers,
        enforcer,
        log,
        requestsPerPeer: init.requestsPerPeer,
        onProgress,
      })
      this.#run = (options) => sync.syncBlockchain(options)
    } else {
      const sync = new HeaderSync({ chain, fetcher, peers, enforcer, log, onProgress })
      this.#run = (options) => sync.syncHeaders(options)
    }
  }

  /** One sync now (joining one that runs): blocks on a full node, headers on a light one. */
  run(options?: AbortOptions): Promise<SyncResult> {
    return this.#run(options)
  }

  /** Starts a sync unless one runs; if one runs, another follows it (new peers, new blocks). */
  inBackground(): void {
    if (!this.#mayRunInBackground()) return
    if (this.#background !== undefined) {
      this.#again = true
      return
    }
    this.#background = this.run()
      .catch((error: unknown) => {
        const { code } = error as { code?: unknown }
        this.#log.warn('sync failed; retrying in 5 s', {
          ...(typeof code === 'string' ? { code } : {}),
          error: (error as Error).message,
        })
        const retry = setTimeout(() => this.inBackground(), SYNC_RETRY_MS)
        ;(retry as { unref?: () => void }).unref?.()
      })
      .finally(() => {
        this.#background = undefined
        if (this.#again) {
          this.#again = false
          this.inBackground()
        }
      })
  }

  /** Resolves when the background sync running now (if any) has ended, or the signal aborts. */
  async settled(options?: AbortOptions): Promise<void> {
    await raceSignal(this.#background?.catch(() => {}) ?? Promise.resolve(), options)
  }
}
