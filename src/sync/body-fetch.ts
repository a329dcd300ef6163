/**
 * Steps 2 and 3 of 000 syncBlockchain(): the bodies of the chosen peer chain, fetched in
 * chunks from every peer that served it (RangeScheduler: parallel, trimmed answers
 * continued, a failed range retried elsewhere with a budget), and imported in height
 * order while the next ranges are fetched (up to a bounded backlog). A body must be a block whose header is the one checked for its height, else it is
 * unrequested data from that peer; the chain then validates everything on import, and each
 * import is committed, so a restart resumes from the stored tip without refetching.
 * Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import { blockAnswerCost } from '../peers/rate-limits.ts'
import type { BlockSummary, FullChainPort, HeaderSummary } from '../ports/chain.ts'
import { blocksPayloadLength } from '../wire/blocks.ts'
import { equalBytes } from '../wire/bytes.ts'
import { sleep } from './abort.ts'
import { IDLE_POLL_MS, PROGRESS_EVERY_MS, RETRY_PAUSE_MS } from './constants.ts'
import { SyncDataError, SyncError, SyncErrorCode } from './errors.ts'
import { chargeRefusal, refusalOf, type SyncEnforcer } from './faults.ts'
import type { PeerChain } from './peer-chains.ts'
import { RangeScheduler } from './range-scheduler.ts'
import type { RequestPacers } from './request-pacer.ts'
import type { BlockFetcher, SyncProgress } from './types.ts'

export interface BodyFetchInit {
  chain: Pick<FullChainPort, 'tip' | 'readBlock' | 'importBlock'>
  fetcher: Pick<BlockFetcher, 'getBlocks'>
  pacers: RequestPacers
  enforcer: SyncEnforcer
  log: Logger
  onProgress?: ((progress: SyncProgress) => void) | undefined
  chunkSize: number
  requestsPerPeer: number
  maxAttempts: number
  /** Bytes of bodies fetched and not yet imported past which the fetch loops wait. */
  backlogBytes: number
}

/**
 * Fetches and imports the blocks of `lead` from `peers` (all serving the same chain);
 * returns how many were imported.
 * @throws SyncError (ERR_SYNC_INVALID_CHAIN, ERR_SYNC_REFUSED, ERR_SYNC_EXHAUSTED,
 * ERR_SYNC_INCOMPLETE), or the signal's reason once it aborts
 */
export async function fetchBodies(
  init: BodyFetchInit,
  lead: PeerChain,
  peers: readonly string[],
  started: number,
  options: AbortOptions = {},
): Promise<number> {
  const { chain, fetcher, log } = init
  const { signal } = options
  const first = lead.ancestor + 1
  const expected = (height: number) => lead.headers[height - first] as HeaderSummary
  // Each body with the peer that served it: the node's events say who brought a block.
  const scheduler = new RangeScheduler<{ encoded: Uint8Array; peer: string }>({
    from: first,
    to: lead.ancestor + lead.headers.length,
    chunkSize: init.chunkSize,
    maxAttempts: init.maxAttempts,
    perPeer: init.requestsPerPeer,
  })
  let added = 0
  /** Bytes of bodies fetched and not yet imported. */
  let held = 0
  let lastReport = performance.now()
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
      log.info('sync progress', {
        height: progress.height,
        target: progress.target,
        blocksPerSecond: Math.round(progress.perSecond),
      })
    }
    init.onProgress?.(progress)
  }
  /** Imports what is ready in height order; reports progress at most once a second. */
  const importReady = async (): Promise<void> => {
    let height = scheduler.nextHeight
    for (const { encoded, peer } of scheduler.takeReady()) {
      signal?.throwIfAborted()
      const judgement = await chain.importBlock(encoded, { ...options, from: peer })
      if (judgement.status !== 'accepted') {
        // The body was its header's, so the block itself is refused: the chain the peers
        // offered ends here. Invalid: every peer that offered it is charged.
        const { status, code, reason } = judgement
        if (!chargeRefusal(init.enforcer, peers, 'servedBlock', { status, code, message: reason })) {
          log.warn('sync stopped: block refused', { height, status, code, reason })
        }
        throw new SyncError(
          status === 'invalid' ? SyncErrorCode.InvalidChain : SyncErrorCode.Refused,
          `block ${height} of the peers' chain is ${status === 'invalid' ? 'invalid' : 'refused'}: ${code}: ${reason}`,
        )
      }
      held -= encoded.length
      added++
      height++
    }
    const now = performance.now()
    if (now - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = now
      report(false)
    }
  }
  // Blocks are imported one at a time, in order, whichever request brought them, while the
  // loops fetch the next ranges: the link is not idle while the chain validates. Bodies
  // fetched and not yet imported are bounded: past init.backlogBytes a loop waits for the
  // imports queued (never for a lower range nobody is fetching: with no import pending it
  // goes on). Once an import fails the sync is over: every loop stops.
  let importing = Promise.resolve()
  let halted = false
  const importNext = (): void => {
    importing = importing.then(importReady)
    importing.catch(() => {
      halted = true
    })
  }
  const keepBacklog = async (): Promise<void> => {
    while (held >= init.backlogBytes && !halted) {
      const pending = importing
      await pending.catch(() => undefined)
      if (pending === importing) return
    }
  }
  const stopped = () =>
    halted || signal?.aborted === true || scheduler.done || scheduler.exhausted !== undefined
  /** A peer's requests: requestsPerPeer loops sharing one pace and one verdict. */
  const worker = async (peer: string): Promise<void> => {
    // Paced under the server's declared quota: an honest sync is never charged 0x09.
    const pace = init.pacers.for(peer, 'blockRequests')
    let dropped = false
    const loop = async (): Promise<void> => {
      while (!dropped && !stopped()) {
        const range = scheduler.next(peer)
        if (range === undefined) {
          // Everything left is in flight; a range may yet fail back to us.
          if (scheduler.busyPeers.length === 0) return
          await sleep(IDLE_POLL_MS, options)
          continue
        }
        let blocks: Array<{ encoded: Uint8Array; peer: string }>
        try {
          await pace.take(options)
          const encoded = await fetcher.getBlocks(peer, range.start, range.count, options)
          pace.charge(blockAnswerCost(blocksPayloadLength(encoded)) - 1)
          blocks = encoded.map((bytes, offset) => ({
            encoded: checkedBody(chain, bytes, expected(range.start + offset)),
            peer,
          }))
        } catch (error) {
          if (signal?.aborted === true) throw signal.reason
          const refusal = refusalOf(error)
          log.warn('sync: range failed', { peer, start: range.start, error: (error as Error).message })
          if (refusal !== undefined) {
            // Bad data: this peer gets no more of this sync (charged once).
            if (!dropped) chargeRefusal(init.enforcer, [peer], 'servedBlock', refusal)
            dropped = true
            scheduler.failed(peer, range)
            return
          }
          // The network or the peer's load: retry, from this peer too, after a pause.
          scheduler.failed(peer, range, { blame: false })
          await sleep(RETRY_PAUSE_MS, options)
          continue
        }
        scheduler.completed(peer, range, blocks)
        for (const { encoded } of blocks) held += encoded.length
        importNext()
        await keepBacklog()
      }
    }
    await Promise.all(Array.from({ length: init.requestsPerPeer }, loop))
  }
  // Straight away, so a progress bar shows the target before the first blocks are in.
  report(false)
  try {
    await Promise.all(peers.map((peer) => worker(peer)))
    await importing
  } finally {
    report(true)
  }
  signal?.throwIfAborted()
  if (scheduler.exhausted !== undefined) throw scheduler.exhausted
  if (!scheduler.done) {
    throw new SyncError(
      SyncErrorCode.Incomplete,
      `sync stopped at height ${chain.tip().height}: no peer could serve the rest`,
    )
  }
  return added
}

/**
 * A fetched body, read by the chain (which checks the body against its own header) and
 * matched to the header checked for its height. Anything else is bad data from the peer
 * that sent it, not a bad block.
 */
function checkedBody(
  chain: Pick<FullChainPort, 'readBlock'>,
  bytes: Uint8Array,
  header: HeaderSummary,
): Uint8Array {
  let block: BlockSummary | undefined
  try {
    block = chain.readBlock(bytes)
  } catch {
    block = undefined
  }
  if (block === undefined) {
    throw new SyncDataError(`the body sent for height ${header.height} is not a block, or not its header's`)
  }
  if (!equalBytes(block.header.hash, header.hash)) {
    throw new SyncDataError(`block at height ${header.height} is not the one its header promised`)
  }
  return bytes
}
