/**
 * When inbound slots are full, the inbound peer a newcomer may replace: the connected
 * inbound peers become eviction candidates and Bitcoin Core's rules (src/peers/eviction.ts)
 * pick one, or none when every one is protected. Browser-safe.
 */
import { type PawError, PeerLimitReachedError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import { type EvictionCandidate, type EvictionInit, selectEvictionCandidate } from './eviction.ts'
import { netgroup } from './netgroup.ts'
import { ipOf } from './peer-addresses.ts'
import type { PeerRecord } from './peer-record.ts'

export interface InboundEvictionInit {
  records: () => Iterable<PeerRecord>
  /** The peer's reputation (higher is better). */
  score?: ((peerId: string) => number) | undefined
  /** Closes a peer's connection for `error` (PeerManager.disconnect). */
  disconnect: (peerId: string, error: PawError) => void
  log: Logger
  eviction?: EvictionInit
}

/** The handshaken inbound peers as eviction sees them (outbound ones we chose ourselves). */
export function evictionCandidates(
  records: Iterable<PeerRecord>,
  score: (peerId: string) => number = () => 0,
): EvictionCandidate[] {
  const candidates: EvictionCandidate[] = []
  for (const record of records) {
    if (record.direction !== 'inbound' || record.state !== 'connected' || record.connection === undefined)
      continue
    const ip = ipOf(record.connection.remoteAddr)
    const peerId = record.peerId.toString()
    candidates.push({
      peerId,
      netgroup: ip === undefined ? 'unknown' : netgroup(ip),
      connectedAt: record.connectedAt ?? record.connection.timeline.open,
      rttMs: record.rttMs,
      lastBlockAt: record.lastBlockAt,
      lastTransactionAt: record.lastTransactionAt,
      score: score(peerId),
      persistent: record.persistent !== undefined,
    })
  }
  return candidates
}

export class InboundEviction {
  readonly #init: InboundEvictionInit

  constructor(init: InboundEvictionInit) {
    this.#init = init
  }

  /**
   * Evicts the inbound peer the rules pick to make room for `newcomer` (its connection
   * closes, 0x06); false if every inbound peer is protected.
   */
  evictFor(newcomer: string): boolean {
    const { records, score, disconnect, log, eviction } = this.#init
    const evicted = selectEvictionCandidate(evictionCandidates(records(), score), eviction)
    if (evicted === undefined) return false
    log.info('evicting an inbound peer for a newcomer', { peer: evicted, newcomer })
    disconnect(evicted, new PeerLimitReachedError('evicted: inbound slots are full'))
    return true
  }
}
