/**
 * Step 1 of 000 syncBlockchain(), headers first: what each peer's chain offers beyond the
 * common ancestor with ours, every header checked by the chain (`headerChecker`: linkage
 * and the rules a header is checked by without its body), and fork choice between them. A
 * claimed height is worth only the weight of the checked headers behind it: the sync target
 * is the peer chain with the most weight beyond the common ancestor, if that is more than
 * ours beyond it. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Logger } from '../logging.ts'
import type { ChainPortBase, HeaderSummary } from '../ports/chain.ts'
import { equalBytes, toHex } from '../wire/bytes.ts'
import { SyncDataError } from './errors.ts'
import { chargeRefusal, refusalOf, type SyncEnforcer } from './faults.ts'
import type { RequestPacers } from './request-pacer.ts'
import type { BlockFetcher } from './types.ts'

type AnyChain = ChainPortBase<unknown, unknown, unknown>

/** What a peer's header chain offers beyond the common ancestor. */
export interface PeerChain {
  peer: string
  /** Height of the common ancestor with our best chain. */
  ancestor: number
  /** Checked headers at heights ancestor + 1, ancestor + 2, … */
  headers: HeaderSummary[]
  /** Their fork-choice weight, summed. */
  weight: bigint
}

export interface PeerChainsInit {
  chain: Pick<AnyChain, 'tip' | 'readHeader' | 'encodedHeaders' | 'headerChecker'>
  fetcher: Pick<BlockFetcher, 'getHeaders'>
  pacers: RequestPacers
  enforcer: SyncEnforcer
  log: Logger
  headersPerRequest: number
}

/**
 * `peer`'s headers beyond our common ancestor, each checked; undefined if it offers nothing
 * valid (charged as offences.ts says when its headers break a rule).
 * @throws the signal's reason once it aborts
 */
export async function peerChain(
  init: PeerChainsInit,
  peer: string,
  options: AbortOptions = {},
): Promise<PeerChain | undefined> {
  const { chain, fetcher, headersPerRequest: batch } = init
  try {
    const ancestor = await commonAncestor(init, peer, options)
    if (ancestor === undefined) return undefined
    const checker = chain.headerChecker(ancestor)
    const headers: HeaderSummary[] = []
    for (let next = ancestor + 1; ; ) {
      await init.pacers.for(peer, 'headerRequests').take(options)
      const encoded = await fetcher.getHeaders(peer, next, batch, options)
      if (encoded.length === 0) break
      const checked = await checker.check(encoded, options)
      // Bodies are matched to headers by height: a header that is not at the height asked
      // for (or one dropped) must not shift them.
      if (checked.length !== encoded.length)
        throw new SyncDataError(`${encoded.length} headers sent, ${checked.length} read`)
      for (const [offset, header] of checked.entries()) {
        if (header.height !== next + offset)
          throw new SyncDataError(`header at height ${header.height} was sent for height ${next + offset}`)
      }
      headers.push(...checked)
      next += encoded.length
      if (encoded.length < batch) break
    }
    const weight = headers.reduce((sum, header) => sum + header.weight, 0n)
    return { peer, ancestor, headers, weight }
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason
    const refusal = refusalOf(error)
    if (refusal === undefined || !chargeRefusal(init.enforcer, [peer], 'syncHeaders', refusal)) {
      init.log.debug('sync: no headers from peer', { peer, error: (error as Error).message })
    }
    return undefined
  }
}

/**
 * The height of the highest block of our best chain the peer also has: our tip, else found by
 * stepping back (doubling steps) and comparing the hashes of its header and ours there.
 */
async function commonAncestor(
  init: PeerChainsInit,
  peer: string,
  options: AbortOptions,
): Promise<number | undefined> {
  const { chain, fetcher } = init
  const tip = chain.tip()
  for (let step = 0; ; step = step === 0 ? 1 : step * 2) {
    const height = Math.max(0, tip.height - step)
    const [ours] = await chain.encodedHeaders(height, 1, options)
    if (ours === undefined) return undefined
    // The handshake checked the chain ID, and the genesis is the chain ID's.
    if (height === 0) return 0
    await init.pacers.for(peer, 'headerRequests').take(options)
    const [theirs] = await fetcher.getHeaders(peer, height, 1, options)
    if (theirs !== undefined && equalBytes(readPeerHeader(chain, theirs).hash, chain.readHeader(ours).hash)) {
      return height
    }
  }
}

/** A header a peer sent, summarised; not a header encoding is the peer's bad data. */
export function readPeerHeader(chain: Pick<AnyChain, 'readHeader'>, encoded: Uint8Array): HeaderSummary {
  try {
    return chain.readHeader(encoded)
  } catch (error) {
    throw new SyncDataError(`not a header: ${(error as Error).message}`, { cause: error })
  }
}

/** Peer chains with the most weight (ties: all of them, to fetch from in parallel). */
export function heaviest(chains: readonly PeerChain[]): PeerChain[] {
  const useful = chains.filter((c) => c.headers.length > 0)
  if (useful.length === 0) return []
  const lead = useful.reduce((best, c) => (c.weight > best.weight ? c : best))
  const leadTip = tipId(lead)
  // Peers whose chain ends at the same tip serve the same blocks.
  return useful.filter((c) => c.ancestor === lead.ancestor && tipId(c) === leadTip)
}

/**
 * The chains (heaviest's answer) if their weight beyond the common ancestor beats ours beyond
 * it (fork choice); else none.
 */
export async function moreWeightThanOurs(
  chain: Pick<AnyChain, 'tip' | 'readHeader' | 'encodedHeaders'>,
  chains: PeerChain[],
  options: AbortOptions = {},
): Promise<PeerChain[]> {
  const [lead] = chains
  if (lead === undefined) return []
  const tip = chain.tip().height
  let ours = 0n
  for (let height = lead.ancestor + 1; height <= tip; height += OUR_HEADERS_PER_READ) {
    const count = Math.min(OUR_HEADERS_PER_READ, tip - height + 1)
    for (const encoded of await chain.encodedHeaders(height, count, options)) {
      ours += chain.readHeader(encoded).weight
    }
  }
  return lead.weight > ours ? chains : []
}

/** Our headers read per encodedHeaders call while summing our weight. */
const OUR_HEADERS_PER_READ = 512

function tipId(chain: PeerChain): string {
  return toHex((chain.headers.at(-1) as HeaderSummary).hash)
}
