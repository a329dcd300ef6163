/**
 * The check a node makes before it sends a block on that it has not fully validated
 * (protocols/gossip.md "What a relay promises"): a compact block it rebuilt, or its own
 * block announced before its import (protocols/compact-blocks.md "Sending"). Browser-safe.
 */
import type { FullChainPort } from '../ports/chain.ts'
import { equalBytes } from '../wire/bytes.ts'

export type RelayCheck = 'passed' | 'failed' | 'off-tip'

/**
 * `passed` if the block of `header` builds on our best tip and its header passes the
 * chain's header rules (proof of work, target, timestamp); `failed` if it builds on our tip
 * and does not (no honest node sends it on); `off-tip` for anything else (a side branch, a
 * reorg, an unknown parent), which is validated first and which an honest relay whose tip
 * it extended may have forwarded.
 */
export async function relayCheck(
  chain: Pick<FullChainPort, 'tip' | 'readHeader' | 'headerChecker'>,
  header: Uint8Array,
): Promise<RelayCheck> {
  const tip = chain.tip()
  try {
    if (!equalBytes(chain.readHeader(header).parentHash, tip.hash)) return 'off-tip'
    await chain.headerChecker(tip.height).check([header])
    return 'passed'
  } catch {
    return 'failed'
  }
}
