/**
 * The gossipsub configuration of a PAW node (DECISIONS.md "Propagation"): unsigned,
 * content-addressed messages on the chain's topics only, validated asynchronously by
 * PawGossip, scored with parameters written for PAW's message rates and validated at
 * start-up (a bad value throws here, before the node starts). Browser-safe.
 */
import { type GossipsubOpts, StrictNoSign } from '@libp2p/gossipsub'
import { MAX_FRAME_LENGTH } from '../wire/constants.ts'
import { type MessageIdReader, messageIdFunction } from './message-id.ts'
import { createPawScoring, type PawScoring } from './scoring.ts'
import { allowedTopicsOf } from './topics.ts'

export interface PawGossipOptions {
  chainId: string
  /**
   * What names the messages: the chain's port (src/ports/chain.ts), or just its readers;
   * see message-id.ts. Without one (a node with no chain) every message gets the malformed ID.
   */
  messageIds?: MessageIdReader | undefined
  /** The chain's target block time (scoring rates). */
  blockIntervalMs: number
  /**
   * Peak network-wide transactions per second the score parameters must tolerate.
   * @default 50 (docs/gossip-scoring.md)
   */
  expectedTxPerSecond?: number
  /**
   * Penalise mesh peers that deliver too few blocks (gossipsub P3). Needs steady block
   * production, so it is off unless the chain is paw-testnet or paw-mainnet: a devnet or
   * a test mines on demand, and P3 would prune honest peers during a lull.
   */
  meshDeliveryPenalties?: boolean
  /** Our reputation of a peer (gossipsub's application-specific score, P5). */
  appSpecificScore: (peerId: string) => number
}

/** The transaction rate docs/gossip-scoring.md derives its numbers from. */
export const DEFAULT_EXPECTED_TX_PER_SECOND = 50

/** Chains with steady block production, where P3 is meaningful. */
const STEADY_CHAINS: ReadonlySet<string> = new Set(['paw-testnet', 'paw-mainnet'])

/**
 * Largest gossip message: a block fills at most one 10 MiB frame (the chain's
 * maxBlockBytes is at most a frame less 64 bytes, src/ports/chain.ts); protobuf adds a little.
 */
export const MAX_GOSSIP_MESSAGE_BYTES = MAX_FRAME_LENGTH + 64 * 1024

/** The scoring a node starts with (validated). */
export function pawScoringFor(options: PawGossipOptions): PawScoring {
  return createPawScoring({
    chainId: options.chainId,
    blockIntervalMs: options.blockIntervalMs,
    expectedTxPerSecond: options.expectedTxPerSecond ?? DEFAULT_EXPECTED_TX_PER_SECOND,
    meshDeliveryPenalties: options.meshDeliveryPenalties ?? STEADY_CHAINS.has(options.chainId),
    appSpecificScore: options.appSpecificScore,
  })
}

/** The options given to `gossipsub(...)`. */
export function pawGossipsubOptions(options: PawGossipOptions): Partial<GossipsubOpts> {
  const scoring = pawScoringFor(options)
  return {
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: messageIdFunction(options.messageIds),
    // PawGossip judges every message against the chain, in its priority queue, and
    // reports the verdict; nothing is forwarded before that.
    asyncValidation: true,
    emitSelf: false,
    // A lone miner (a devnet of one) still publishes; nobody hears it until peers come.
    allowPublishToZeroTopicPeers: true,
    // Every full node publishes the header of each block it accepts: the same ID, on purpose.
    ignoreDuplicatePublishError: true,
    fallbackToFloodsub: false,
    // Peer exchange is /paw/peers/1's job, with its limits.
    doPX: false,
    allowedTopics: allowedTopicsOf(options.chainId),
    maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
    // Four maximum-size blocks queued for one slow peer, then sending to it fails.
    maxOutboundBufferSize: 4 * MAX_GOSSIP_MESSAGE_BYTES,
    scoreParams: scoring.params,
    scoreThresholds: scoring.thresholds,
  }
}
