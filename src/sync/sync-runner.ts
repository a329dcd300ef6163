/**
 * The node's sync, on demand and in the background: a full or miner node syncs blocks
 * (src/sync/block-sync.ts), a light node headers (src/sync/header-sync.ts). In the
 * background (a peer connected, a gossiped block's parent is unknown) at most one sync
 * runs: a request while one runs queues exactly one more after it, and a failed one is
 * retried while the node runs, for peers may recover or others connect. Browser-safe.
 */
import type { NodeChain } from '../api.ts'
import type { Logger } from '../logging.ts'
import type { Reputation } from '../peers/reputation.ts'
import { type BlockFetcher, BlockSync, type SyncProgress, type SyncResult } from './block-sync.ts'
import { HeaderSync } from './header-sync.ts'

/** Pause before a failed background sync is tried again. */
const SYNC_RETRY_MS = 5_000

export interface SyncRunnerInit {
  chain: NodeChain
  fetcher: BlockFetcher
  /** Connected peers that may serve blocks or headers. */
  peers: () => string[]
  reputation: Reputation
  log: Logger
  /** Body requests in flight per peer (block sync only). */
  requestsPerPeer: number
  onProgress: (progress: SyncProgress) => void
  /** Whether background syncs run (settings autoSync) and the node is running now. */
  mayRunInBackground: () => boolean
}

export class SyncRunner {
  readonly #sync: BlockSync | HeaderSync
  readonly #log: Logger
  readonly #mayRunInBackground: () => boolean
  #background: Promise<unknown> | undefined
  #again = false

  constructor(init: SyncRunnerInit) {
    const { chain, fetcher, peers, reputation, log, onProgress } = init
    this.#log = log
    this.#mayRunInBackground = init.mayRunInBackground
    this.#sync =
      chain.chain !== undefined
        ? new BlockSync({
            chain: chain.chain,
            fetcher,
            peers,
            reputation,
            log,
            requestsPerPeer: init.requestsPerPeer,
            onProgress,
          })
        : new HeaderSync({ headers: chain.headers, fetcher, peers, reputation, log, onProgress })
  }

  /** One sync now (joining one that runs): blocks on a full node, headers on a light one. */
  run(): Promise<SyncResult> {
    return this.#sync instanceof BlockSync ? this.#sync.syncBlockchain() : this.#sync.syncHeaders()
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
        this.#log.warn('sync failed; retrying in 5 s', { error: (error as Error).message })
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

  /** Resolves when the background sync running now (if any) has ended. */
  async settled(): Promise<void> {
    await this.#background?.catch(() => {})
  }
}
