/**
 * The node's chain events and the shapes its API gives the chain in (issue 18): the best
 * chain's tip, its moves, the blocks or headers joining it and where they came from.
 * Hashes are lowercase hex strings throughout the node's API (README "Library API").
 */
import type { Block, BlockHeader } from '../chain/types.ts'
import type { ImportOutcome } from '../ports/chain.ts'

/**
 * How a block or header reached the chain. `local` is this node's own: announced through
 * the API (announceBlock), mined, added to the chain by its owner, or already in its store
 * when a reorg connects it and no peer delivered it while the node ran.
 */
export type ChainSource = 'gossip' | 'sync' | 'local'

/** The best chain's tip (chainTip(), the `tip` event). */
export interface ChainTip {
  height: number
  /** Block hash, lowercase hex. */
  hash: string
  /**
   * Fork-choice weight summed from genesis (the reference chain: its work). A bigint: it
   * outgrows a number (the admin API's /status writes it as a decimal string, `work`).
   */
  totalWeight: bigint
}

/** The tip moved (the `tip` event). */
export interface TipEvent extends ChainTip {
  /** The tip before the move. */
  previous: ChainTip
  /** How the block that is now the tip arrived. */
  source: ChainSource
  /** The peer that delivered it (gossip, sync), or `'local'`. */
  from: string
}

/** The best chain switched branches (the `reorg` event). */
export interface ReorgEvent {
  /** Hashes (hex) of the blocks rolled back, lowest height first. */
  disconnected: string[]
  /** Hashes (hex) of the blocks applied, lowest height first; the last is the new tip. */
  connected: string[]
  /** The height of the last block both branches share. */
  forkHeight: number
}

/** A block that joined the best chain (the `block` event). */
export interface ReceivedBlock<B = Block> {
  block: B
  /** Block hash, lowercase hex. */
  hash: string
  height: number
  source: ChainSource
  /** The peer that delivered it (gossip, sync), or `'local'`. */
  from: string
  /** `extended`: on the tip it had; `reorg`: one of the blocks a branch switch applied. */
  outcome: Extract<ImportOutcome, 'extended' | 'reorg'>
}

/** A block header that joined the best header chain (the `header` event, light nodes). */
export interface ReceivedHeader<H = BlockHeader> {
  header: H
  /** Block hash, lowercase hex. */
  hash: string
  height: number
  source: ChainSource
  /** The peer that delivered it (gossip, sync), or `'local'`. */
  from: string
  outcome: Extract<ImportOutcome, 'extended' | 'reorg'>
}

/**
 * A block hash given to the node: lowercase (or uppercase) hex, as the node's API and
 * events give hashes. A Uint8Array is still accepted, deprecated: the API's hashes were
 * bytes in chainTip() before issue 18.
 */
export type HashInput = string | Uint8Array
