/**
 * The miner's choice from the mempool (issue 4: "assembles a block from the mempool,
 * highest fee first"), as a pure function over the senders' nonce-ordered runs.
 */
import type { Transaction } from '../types.ts'
import { compareEntries, Heap, type MempoolEntry } from './fee-order.ts'

export interface SelectLimits {
  /** Most bytes of transactions (the block size limit less the header and the coinbase). */
  maxBytes?: number
  maxCount?: number
}

/**
 * Highest fee per byte first, never a sender's transaction before its lower nonces: a
 * priority queue holds each sender's next unselected transaction. One that does not fit the
 * bytes left is skipped with the rest of its sender's (they cannot come without it), and
 * smaller ones of other senders may still fill in. The result, in order, is a valid block
 * body when every run was valid on its own against the tip (see PendingView).
 */
export function selectForBlock(
  runs: Iterable<readonly MempoolEntry[]>,
  limits: SelectLimits = {},
): Transaction[] {
  const maxCount = limits.maxCount ?? Number.POSITIVE_INFINITY
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY
  const heads = new Heap<{ run: readonly MempoolEntry[]; index: number }>((a, b) =>
    compareEntries(a.run[a.index] as MempoolEntry, b.run[b.index] as MempoolEntry),
  )
  for (const run of runs) if (run.length > 0) heads.push({ run, index: 0 })
  const selected: Transaction[] = []
  let bytes = 0
  while (selected.length < maxCount) {
    const head = heads.pop()
    if (head === undefined) break
    const entry = head.run[head.index] as MempoolEntry
    if (bytes + entry.size > maxBytes) continue
    selected.push(entry.tx)
    bytes += entry.size
    if (head.index + 1 < head.run.length) heads.push({ run: head.run, index: head.index + 1 })
  }
  return selected
}
