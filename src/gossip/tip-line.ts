/**
 * The operator's line per new tip, at INFO, as Bitcoin Core's `UpdateTip` and CometBFT's
 * committed-height lines: height, hash, transactions, size, and where it came from (the
 * peer that gossiped it, or `local` for a block the node mined or was handed). Blocks that
 * arrive by sync are not logged one by one: block sync's `sync progress` and `sync finished`
 * lines summarise them (src/sync/body-fetch.ts, block-sync.ts). Browser-safe.
 */
import type { Logger } from '../logging.ts'
import type { ImportOutcome } from '../ports/chain.ts'

export interface NewTip {
  height: number
  /** Hex. */
  hash: string
  outcome: ImportOutcome
  /** Absent for a header (a light node's tip). */
  transactions?: number | undefined
  /** The block's (or header's) encoded size. */
  bytes: number
  /** The peer it came from, or `local`. */
  from: string
}

/** Logs `tip` if it moved the best chain (extended it, or won a reorg); true if it did. */
export function logNewTip(log: Logger, tip: NewTip): boolean {
  if (tip.outcome !== 'extended' && tip.outcome !== 'reorg') return false
  log.info(tip.outcome === 'reorg' ? 'new tip (reorg)' : 'new tip', {
    height: tip.height,
    hash: tip.hash,
    ...(tip.transactions === undefined ? {} : { txs: tip.transactions }),
    bytes: tip.bytes,
    from: tip.from,
  })
  return true
}
