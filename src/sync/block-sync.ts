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
import { blockAnswerCost } from '../peers/rate-limits.ts'
import type { Reputation } from '../peers/reputation.ts'
import { blocksPayloadLength } from '../wire/blocks.ts'
import { equalBytes, toHex } from '../wire/bytes.ts'
import { RangeScheduler } from './range-scheduler.ts'
import { RequestPacers } from './request-pacer.ts'

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

/** How far a running sync is (the node's `sync:progress` event; the CLI's progress bar). */
export interface SyncProgress {
  /** Blocks (full nodes) or headers (light nodes). */
  kind: 'blocks' | 'headers'
  /** Our best height now. */
  height: number
  /** The height the sync aims for (headers: the highest a peer has shown so far). */
  target: number
  /** Height when the sync started. */
  from: number
  /** Blocks or headers added per second since the sync started. */
  perSecond: number
  /** The last report of this sync (it finished, or failed). */
  done: boolean
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
  readonly #pacers = new RequestPacers()
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
    const connected = this.#init.peers()
    this.#pacers.retain(connected)
    const candidates = await Promise.all(connected.map((peer) => this.#peerChain(peer)))
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
        await this.#pacers.for(peer, 'headerRequests').take()
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
      await this.#pacers.for(peer, 'headerRequests').take()
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
    const requestsPerPeer = this.#init.requestsPerPeer ?? 2
    const scheduler = new RangeScheduler<Block>({
      from: first,
      to: lead.ancestor + lead.headers.length,
      chunkSize: this.#init.chunkSize ?? 128,
      maxAttempts: this.#init.maxAttempts ?? 5,
      perPeer: requestsPerPeer,
    })
    let added = 0
    let lastReport = performance.now()
    /** Adds what is ready in height order; reports progress at most once a second. */
    const addReady = async (): Promise<void> => {
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
      if (now - lastReport >= PROGRESS_EVERY_MS) {
        lastReport = now
        report(false)
      }
    }
    const report = (done: boolean): void => {
      const progress: SyncProgress = {
        kind: 'blocks',
        height: chain.tip().height,
        target: scheduler.target,
        from: lead.ancestor,
        perSecond: added / ((performance.now() - started) / 1000),
        done,
      }
      if (!done) {
        this.#log.info('sync progress', {
          height: progress.height,
          target: progress.target,
          blocksPerSecond: Math.round(progress.perSecond),
        })
      }
      this.#init.onProgress?.(progress)
    }
    // Blocks are added one at a time, in order, whichever request brought them. Once an
    // addition fails the sync is over: every loop stops.
    let adding = Promise.resolve()
    let halted = false
    const add = (): Promise<void> => {
      adding = adding.then(addReady)
      adding.catch(() => {
        halted = true
      })
      return adding
    }
    /** A peer's requests: requestsPerPeer loops sharing one pace and one verdict. */
    const worker = async (peer: string): Promise<void> => {
      // Paced under the server's declared quota: an honest sync is never charged 0x09.
      const pace = this.#pacers.for(peer, 'blockRequests')
      let dropped = false
      const loop = async (): Promise<void> => {
        for (;;) {
          if (dropped || halted || scheduler.done || scheduler.exhausted !== undefined) return
          const range = scheduler.next(peer)
          if (range === undefined) {
            // Everything left is in flight; a range may yet fail back to us.
            if (scheduler.busyPeers.length === 0) return
            await sleep(20)
            continue
          }
          await pace.take()
          let blocks: Block[]
          try {
            const encoded = await fetcher.getBlocks(peer, range.start, range.count)
            pace.charge(blockAnswerCost(blocksPayloadLength(encoded)) - 1)
            blocks = encoded.map((bytes, offset) => checkedBody(bytes, expected(range.start + offset)))
          } catch (error) {
            const blame = isBadData(error)
            this.#log.warn('sync: range failed', {
              peer,
              start: range.start,
              error: (error as Error).message,
            })
            if (blame) {
              // Bad data: this peer gets no more of this sync (charged once).
              if (!dropped) this.#init.reputation.penalize(peer, 'invalidMessage')
              dropped = true
              scheduler.failed(peer, range)
              return
            }
            // The network or the peer's load: retry, from this peer too, after a pause.
            scheduler.failed(peer, range, { blame: false })
            await sleep(RETRY_PAUSE_MS)
            continue
          }
          scheduler.completed(peer, range, blocks)
          await add()
        }
      }
      await Promise.all(Array.from({ length: requestsPerPeer }, loop))
    }
    // Straight away, so a progress bar shows the target before the first blocks are in.
    report(false)
    try {
      await Promise.all(peers.map((peer) => worker(peer)))
      await adding
    } finally {
      report(true)
    }
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

/** How often a running sync reports its progress (log line, onProgress). */
export const PROGRESS_EVERY_MS = 1_000
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
