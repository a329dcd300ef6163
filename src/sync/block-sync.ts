/**
 * 000 syncBlockchain(): download the chain from peers, headers first, then bodies from
 * several peers in parallel (issue 6), knowing the chain only through its port
 * (src/ports/chain.ts). Browser-safe.
 *
 * 1. Headers (peer-chains.ts): each peer is asked for headers after the common ancestor,
 *    512 at a time, and the chain checks each (`headerChecker`). The target is the peer
 *    chain with the most weight beyond the ancestor, if that beats ours beyond it.
 * 2. Bodies (body-fetch.ts): fetched in chunks from every peer that served that chain,
 *    each matched to its checked header, imported in height order.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import type { FullChainPort } from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import { fetchBodies } from './body-fetch.ts'
import {
  BLOCKS_PER_REQUEST,
  HEADERS_PER_REQUEST,
  IMPORT_BACKLOG_BYTES,
  MAX_RANGE_ATTEMPTS,
  REQUESTS_PER_PEER,
} from './constants.ts'
import type { SyncEnforcer } from './faults.ts'
import {
  heaviest,
  moreWeightThanOurs,
  type PeerChain,
  type PeerChainsInit,
  peerChain,
} from './peer-chains.ts'
import { RequestPacers } from './request-pacer.ts'
import { SingleFlight } from './single-flight.ts'
import type { BlockFetcher, SyncProgress, SyncResult } from './types.ts'

export { PROGRESS_EVERY_MS } from './constants.ts'
export { SyncDataError } from './errors.ts'
export type { BlockFetcher, SyncProgress, SyncResult } from './types.ts'

export interface BlockSyncInit {
  chain: FullChainPort
  fetcher: BlockFetcher
  /** Connected peers that may serve blocks. */
  peers: () => string[]
  /** Charges a peer whose headers or blocks the chain refuses (src/peers/offences.ts). */
  enforcer: SyncEnforcer
  log: Logger
  /** Called at most once a second as blocks are added, and once when the sync ends. */
  onProgress?: (progress: SyncProgress) => void
  /** Heights per body request (an answer holds at most 128 blocks). @default 128 */
  chunkSize?: number
  /**
   * Body requests in flight per peer (the fetcher's parallel streams to one peer: with one,
   * the link idles while the peer reads each answer from its store). @default 2
   */
  requestsPerPeer?: number
  /** Failures of one range before the sync gives up. @default 5 */
  maxAttempts?: number
  /**
   * Bytes of bodies fetched ahead of the imports (fetching goes on while the chain
   * validates, up to this). @default IMPORT_BACKLOG_BYTES (20 MiB)
   */
  backlogBytes?: number
  /** Headers per request. @default 512 */
  headersPerRequest?: number
}

export class BlockSync {
  readonly #init: BlockSyncInit
  readonly #log: Logger
  readonly #pacers = new RequestPacers()
  readonly #flight = new SingleFlight<SyncResult>()

  constructor(init: BlockSyncInit) {
    this.#init = init
    this.#log = init.log
  }

  /**
   * Syncs to the best chain the peers can prove; one sync at a time (a second call joins it).
   * @throws SyncError (its `code` says why), or the signal's reason once it aborts
   */
  syncBlockchain(options?: AbortOptions): Promise<SyncResult> {
    return this.#flight.run((run) => this.#sync(run), options)
  }

  async #sync(options: AbortOptions): Promise<SyncResult> {
    const started = performance.now()
    const { chain } = this.#init
    const from = chain.tip().height
    const connected = this.#init.peers()
    this.#pacers.retain(connected)
    const discovery: PeerChainsInit = {
      chain,
      fetcher: this.#init.fetcher,
      pacers: this.#pacers,
      enforcer: this.#init.enforcer,
      log: this.#log,
      headersPerRequest: this.#init.headersPerRequest ?? HEADERS_PER_REQUEST,
    }
    const candidates = await Promise.all(connected.map((peer) => peerChain(discovery, peer, options)))
    const found = candidates.filter((c): c is PeerChain => c !== undefined)
    const best = await moreWeightThanOurs(chain, heaviest(found), options)
    const [lead] = best
    if (lead === undefined) {
      return { from, to: from, blocks: 0, ms: performance.now() - started, peers: [] }
    }
    const peers = best.map((c) => c.peer)
    const target = lead.ancestor + lead.headers.length
    this.#log.info('sync started', { height: from, target, peers: best.length })
    const added = await fetchBodies(
      {
        chain,
        fetcher: this.#init.fetcher,
        pacers: this.#pacers,
        enforcer: this.#init.enforcer,
        log: this.#log,
        onProgress: this.#init.onProgress,
        chunkSize: this.#init.chunkSize ?? BLOCKS_PER_REQUEST,
        requestsPerPeer: this.#init.requestsPerPeer ?? REQUESTS_PER_PEER,
        maxAttempts: this.#init.maxAttempts ?? MAX_RANGE_ATTEMPTS,
        backlogBytes: this.#init.backlogBytes ?? IMPORT_BACKLOG_BYTES,
      },
      lead,
      peers,
      started,
      options,
    )
    const tip = chain.tip()
    const to = tip.height
    // The one line for every block this sync brought (src/gossip/tip-line.ts).
    this.#log.info('sync finished', {
      height: to,
      hash: toHex(tip.hash),
      blocks: added,
      ms: Math.round(performance.now() - started),
    })
    return { from, to, blocks: added, ms: performance.now() - started, peers }
  }
}
