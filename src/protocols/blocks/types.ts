/**
 * What /paw/blocks/1 is built from: the node's parts and the chain it serves and checks
 * answers by, through the chain port (src/ports/chain.ts). Apart from blocks-protocol.ts so
 * that the protocol's parts share them without importing the protocol.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Settings } from '../../config/settings.ts'
import type { Logger } from '../../logging.ts'
import type { Enforcer } from '../../peers/enforcer.ts'
import type { PeerRateLimiter } from '../../peers/rate-limits.ts'
import type { ChainPortBase, ChainShape, FullChainPort } from '../../ports/chain.ts'
import type { MemoryBudget } from '../shared/memory-budget.ts'
import type { StreamPeers } from '../shared/stream-peers.ts'

/**
 * What /paw/blocks/1 asks of a chain: a FullChainPort (blocks and headers) or a
 * HeaderChainPort (headers only: it has no `encodedBlock`, and refuses block requests).
 * Encodings are served as the chain stores them; ids come from `readHeader` and
 * `readBlock`, never from decoding here.
 */
export type BlocksChain = Pick<
  ChainPortBase<unknown, unknown, unknown>,
  'shape' | 'tip' | 'encodedHeaders' | 'readHeader' | 'readBlock'
> &
  Partial<Pick<FullChainPort, 'encodedBlock' | 'blockParts'>>

/** A chain that serves blocks (a full node's). */
export type BlockServingChain = BlocksChain & Pick<FullChainPort, 'encodedBlock'>

/** What the protocol needs of the peer manager: connections of handshaken peers and their traffic counters. */
export type BlocksPeers = StreamPeers

export interface BlocksProtocolInit {
  libp2p: Libp2p
  peers: BlocksPeers
  settings: Settings
  log: Logger
  /** Whether /paw/handshake/1 completed on the connection (requireHandshake). */
  isHandshaken: (connection: Connection) => boolean
  /**
   * What we serve from, and check a get_block answer by; its `shape` sizes the `headers`
   * and `blocks` answers. Undefined on a node without a chain (it answers nothing, and
   * cannot check a block it asks for).
   */
  chain: BlocksChain | undefined
  /**
   * The sizes on the wire of a node without a chain (its network's chain's), so that it can
   * still ask peers for headers and blocks; ignored with a chain. Without either, every
   * request is refused (NetworkError).
   */
  shape?: ChainShape | undefined
  limiter: PeerRateLimiter
  /** Charges peers for their faults (src/peers/enforcer.ts). */
  enforcer: Pick<Enforcer, 'charge'>
  /** The memory budget frames and answers are reserved from; none: unbounded (tests). */
  budget?: MemoryBudget | undefined
  /**
   * A block forwarded after its header check and not stored yet (PawGossip.relayedBlock):
   * get_block and get_block_transactions are answered from it first
   * (protocols/gossip.md "What a relay promises").
   */
  relayedBlock?: ((hash: Uint8Array) => Uint8Array | undefined) | undefined
}
