/**
 * 000 syncBlockchain(): download the chain from peers, headers first, then bodies from
 * several peers in parallel (issue 6). Browser-safe.
 *
 * 1. Headers: each peer is asked for headers after the common ancestor (our tip, or lower
 *    if the peer's chain forked from ours: found by stepping back), 512 at a time, and each
 *    header is checked against its parent by the chain's header rules (proof of work,
 *    target, timestamps, height, linkage). A claimed height is worth only the work of the
 *    headers behind it: the sync target is the peer chain with the most valid work.
 * 2. Bodies: the heights above the ancestor are fetched in chunks from every peer that
 *    served that chain (RangeScheduler: parallel, trimmed answers continued, a failed range
 *    retried elsewhere with a budget). A body must hash to the header we hold for its
 *    height, else it is unrequested data from that peer.
 * 3. Blocks are added in height order (chain.addBlock validates everything); each addition
 *    is committed, so a restart resumes from the stored tip without refetching.
 */
import { decodeBlock, decodeHeader } from '../chain/encoding.ts'
import { isChainError } from '../chain/errors.ts'
import { blockHash, merkleRoot, txHash } from '../chain/hashing.ts'
import { workForTarget } from '../chain/pow.ts'
import type { Block, BlockHeader, Chain } from '../chain/types.ts'
import { validateHeader } from '../chain/validation.ts'
import type { Logger } from '../logging.ts'
import { RATE_LIMITS, TokenBucket } from '../peers/rate-limits.ts'
import type { Reputation } from '../peers/reputation.ts'
import { equalBytes, toHex } from '../wire/bytes.ts'
import { RangeScheduler } from './range-scheduler.ts'

/** Data a peer sent that its own claims contradict (headers that do not link, a body that is not its header's). */
export class SyncDataError extends Error {
  override readonly name = 'SyncDataError'
}

/**
 * Whether a failure is the peer's bad data (charged) rather than the network or a protocol
 * it does not serve (not charged: /paw/blocks/1 charges malformed and unexpected answers
 * itself).
 */
function isBadData(error: unknown): boolean {
  return error instanceof SyncDataError || isChainError(error)
}

/** The requests sync makes (BlocksProtocol implements them over /paw/blocks/1). */
export interface BlockFetcher {
  getHeaders(peerId: string, fromHeight: number, count: number): Promise<Uint8Array[]>
  getBlocks(peerId: string, fromHeight: number, count: number): Promise<Uint8Array[]>
}

export interface SyncProgress {
  height: number
  target: number
  blocksPerSecond: number
}

export interface SyncResult {
  /** Height before and after. */
  from: number
  to: number
  blocks: number
  ms: number
  /** Peers whose chain was followed. */
  peers: string[]
}

export interface BlockSyncInit {
  chain: Chain
  fetcher: BlockFetcher
  /** Connected peers that may serve blocks. */
  peers: () => string[]
  reputation: Reputation
  log: Logger
  /** Called as blocks are added (progress bar, logs). */
  onProgress?: (progress: SyncProgress) => void
  /** Heights per body request (an answer holds at most 128 blocks). @default 128 */
  chunkSize?: number
  /** Failures of one range before the sync gives up. @default 5 */
  maxAttempts?: number
  /** Headers per request. @default 512 */
  headersPerRequest?: number
}

/** What a peer's header chain offers beyond the common ancestor. */
interface PeerChain {
  peer: string
  /** Height of the common ancestor with our best chain. */
  ancestor: number
  headers: BlockHeader[]
  work: bigint
}

export class BlockSync {
  readonly #init: BlockSyncInit
  readonly #log: Logger
  #running: Promise<SyncResult> | undefined

  constructor(init: BlockSyncInit) {
    this.#init = init
    this.#log = init.log
  }

  /** Syncs to the best chain the peers can prove; one sync at a time (a second call joins it). */
  syncBlockchain(): Promise<SyncResult> {
    this.#running ??= this.#sync().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #sync(): Promise<SyncResult> {
    const started = performance.now()
    const { chain } = this.#init
    const from = chain.tip().height
    const candidates = await Promise.all(this.#init.peers().map((peer) => this.#peerChain(peer)))
    const best = await this.#moreWorkThanOurs(
      bestChain(candidates.filter((c): c is PeerChain => c !== undefined)),
    )
    if (best.length === 0) {
      return { from, to: from, blocks: 0, ms: performance.now() - started, peers: [] }
    }
    const [lead] = best as [PeerChain, ...PeerChain[]]
    const target = lead.ancestor + lead.headers.length
    this.#log.info('sync started', { height: from, target, peers: best.length })
    const added = await this.#fetchBodies(
      lead,
      best.map((c) => c.peer),
      started,
    )
    const to = chain.tip().height
    this.#log.info('sync finished', {
      height: to,
      blocks: added,
      ms: Math.round(performance.now() - started),
    })
    return { from, to, blocks: added, ms: performance.now() - started, peers: best.map((c) => c.peer) }
  }

  /** The chains, if their work beyond the common ancestor beats ours beyond it (fork choice). */
  async #moreWorkThanOurs(chains: PeerChain[]): Promise<PeerChain[]> {
    const [lead] = chains
    if (lead === undefined) return []
    const { chain } = this.#init
    const tip = chain.tip().height
    let ours = 0n
    for (let height = lead.ancestor + 1; height <= tip; height += 512) {
      for (const header of await chain.getHeaders(height, Math.min(512, tip - height + 1))) {
        ours += workForTarget(header.target)
      }
    }
    return lead.work > ours ? chains : []
  }

  /** A peer's headers beyond our common ancestor, each checked; undefined if it offers nothing valid. */
  async #peerChain(peer: string): Promise<PeerChain | undefined> {
    const { chain, fetcher } = this.#init
    const batch = this.#init.headersPerRequest ?? 512
    try {
      const ancestor = await this.#commonAncestor(peer)
      if (ancestor === undefined) return undefined
      const headers: BlockHeader[] = []
      const known = new Map<number, BlockHeader>()
      let parent = ancestor.header
      for (;;) {
        const encoded = await fetcher.getHeaders(peer, parent.height + 1, batch)
        if (encoded.length === 0) break
        for (const bytes of encoded) {
          const header = decodeHeader(bytes)
          if (!equalBytes(header.previousHash, blockHash(parent)))
            throw new SyncDataError('headers do not link')
          await validateHeader(header, parent, {
            params: chain.params,
            getHeaderAtHeight: async (height) =>
              known.get(height) ??
              (height <= ancestor.header.height ? await headerAt(chain, height) : undefined),
          })
          headers.push(header)
          known.set(header.height, header)
          parent = header
        }
        if (encoded.length < batch) break
      }
      const work = headers.reduce((sum, header) => sum + workForTarget(header.target), 0n)
      return { peer, ancestor: ancestor.header.height, headers, work }
    } catch (error) {
      if (!isBadData(error)) {
        this.#log.debug('sync: no headers from peer', { peer, error: (error as Error).message })
        return undefined
      }
      this.#log.warn('sync: peer sent invalid headers', { peer, error: (error as Error).message })
      this.#init.reputation.penalize(peer, 'invalidMessage')
      return undefined
    }
  }

  /** The highest block of our best chain the peer also has: our tip, else found by stepping back. */
  async #commonAncestor(peer: string): Promise<{ header: BlockHeader } | undefined> {
    const { chain, fetcher } = this.#init
    const tip = chain.tip()
    for (let step = 0; ; step = step === 0 ? 1 : step * 2) {
      const height = Math.max(0, tip.height - step)
      const ours = await headerAt(chain, height)
      if (ours === undefined) return undefined
      if (height === 0) return { header: ours }
      const [theirs] = await fetcher.getHeaders(peer, height, 1)
      if (theirs !== undefined && equalBytes(blockHash(decodeHeader(theirs)), blockHash(ours))) {
        return { header: ours }
      }
    }
  }

  async #fetchBodies(lead: PeerChain, peers: string[], started: number): Promise<number> {
    const { chain, fetcher } = this.#init
    const first = lead.ancestor + 1
    const expected = (height: number) => lead.headers[height - first] as BlockHeader
    const scheduler = new RangeScheduler<Block>({
      from: first,
      to: lead.ancestor + lead.headers.length,
      chunkSize: this.#init.chunkSize ?? 128,
      maxAttempts: this.#init.maxAttempts ?? 5,
    })
    let added = 0
    let lastReport = performance.now()
    const worker = async (peer: string): Promise<void> => {
      // Paced under the server's declared quota (RATE_LIMITS.blockRequests, protocols/blocks.md):
      // an honest syncing node must never be charged 0x09.
      const pace = new TokenBucket(
        {
          ratePerSecond: RATE_LIMITS.blockRequests.ratePerSecond * PACE_SHARE,
          burst: Math.floor(RATE_LIMITS.blockRequests.burst * PACE_SHARE),
          rationale: 'client side of blockRequests',
        },
        performance.now(),
      )
      for (;;) {
        if (scheduler.done || scheduler.exhausted !== undefined) return
        const range = scheduler.next(peer)
        if (range === undefined) {
          // Everything left is in flight elsewhere; a range may yet fail back to us.
          if (scheduler.busyPeers.length === 0) return
          await sleep(20)
          continue
        }
        while (!pace.take(performance.now())) await sleep(50)
        let blocks: Block[]
        try {
          const encoded = await fetcher.getBlocks(peer, range.start, range.count)
          blocks = encoded.map((bytes, offset) => checkedBody(bytes, expected(range.start + offset)))
        } catch (error) {
          const blame = isBadData(error)
          this.#log.warn('sync: range failed', { peer, start: range.start, error: (error as Error).message })
          if (blame) {
            // Bad data: this peer gets no more of this sync.
            this.#init.reputation.penalize(peer, 'invalidMessage')
            scheduler.failed(peer)
            return
          }
          // The network or the peer's load: retry, from this peer too, after a pause.
          scheduler.failed(peer, { blame: false })
          await sleep(RETRY_PAUSE_MS)
          continue
        }
        scheduler.completed(peer, blocks)
        for (const block of scheduler.takeReady()) {
          try {
            await chain.addBlock(block)
          } catch (error) {
            if (!isChainError(error)) throw error
            // The body matched its header and tx root, so the block itself breaks a rule:
            // the chain the peers offered is invalid from here. Stop; charge its peers.
            for (const p of peers) this.#init.reputation.penalize(p, 'invalidMessage')
            throw new SyncDataError(
              `block ${block.header.height} of the peers' chain is invalid: ${error.message}`,
            )
          }
          added++
        }
        const now = performance.now()
        if (now - lastReport >= 1_000) {
          lastReport = now
          const progress = {
            height: chain.tip().height,
            target: scheduler.target,
            blocksPerSecond: added / ((now - started) / 1000),
          }
          this.#log.info('sync progress', {
            ...progress,
            blocksPerSecond: Math.round(progress.blocksPerSecond),
          })
          this.#init.onProgress?.(progress)
        }
      }
    }
    await Promise.all(peers.map((peer) => worker(peer)))
    if (scheduler.exhausted !== undefined) throw scheduler.exhausted
    if (!scheduler.done)
      throw new Error(`sync stopped at height ${chain.tip().height}: no peer could serve the rest`)
    return added
  }
}

/** Peer chains with the most work (ties: all of them, to fetch from in parallel); nothing if none beats ours. */
function bestChain(chains: PeerChain[]): PeerChain[] {
  const useful = chains.filter((c) => c.headers.length > 0)
  if (useful.length === 0) return []
  const lead = useful.reduce((best, c) => (c.work > best.work ? c : best))
  const leadTip = toHex(blockHash(lead.headers.at(-1) as BlockHeader))
  // Peers whose chain ends at the same tip serve the same blocks.
  return useful.filter(
    (c) => c.ancestor === lead.ancestor && toHex(blockHash(c.headers.at(-1) as BlockHeader)) === leadTip,
  )
}

/** Share of a server's declared quota a syncing node uses, so it is never over it. */
const PACE_SHARE = 0.8
/** Pause before retrying a range that failed for the network or the peer's load. */
const RETRY_PAUSE_MS = 1_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A fetched body, decoded and checked against the header we validated for its height: the
 * block hash (header), then the body against the header's tx root, with no transaction
 * twice (a repeated last transaction keeps the root: docs/chain.md "Hashing"). Anything
 * else is bad data from the peer that sent it, not a bad block.
 */
function checkedBody(bytes: Uint8Array, header: BlockHeader): Block {
  const block = decodeBlock(bytes)
  if (!equalBytes(blockHash(block.header), blockHash(header))) {
    throw new SyncDataError(`block at height ${header.height} is not the one its header promised`)
  }
  const hashes = block.transactions.map(txHash)
  if (new Set(hashes.map(toHex)).size !== hashes.length || !equalBytes(merkleRoot(hashes), header.txRoot)) {
    throw new SyncDataError(`the body sent for height ${header.height} does not match its header`)
  }
  return block
}

async function headerAt(chain: Chain, height: number): Promise<BlockHeader | undefined> {
  const [header] = await chain.getHeaders(height, 1)
  return header
}
