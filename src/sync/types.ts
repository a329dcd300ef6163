/**
 * What the sync parts share: the requests sync makes, and how far a sync is (the public
 * shapes, defined in src/api/stats.ts). Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { SyncProgress, SyncResult } from '../api/stats.ts'

/**
 * The requests sync makes (BlocksProtocol implements them over /paw/blocks/1): encodings of
 * the peer's best chain from `fromHeight`, at most `count`, not checked.
 */
export interface BlockFetcher {
  getHeaders(peerId: string, fromHeight: number, count: number, options?: AbortOptions): Promise<Uint8Array[]>
  getBlocks(peerId: string, fromHeight: number, count: number, options?: AbortOptions): Promise<Uint8Array[]>
}

export type { SyncProgress, SyncResult }
