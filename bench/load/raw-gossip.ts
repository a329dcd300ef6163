/**
 * The raw gossipsub baseline of bench/load case 2 (issue 19: "Per-transaction relay CPU ≤ 2×
 * (a raw gossipsub relay of the same bytes + one Ed25519 verify)"): bare libp2p nodes with
 * @libp2p/gossipsub and no PAW code. The relay runs in the node under test's process and
 * listens like the raw listener (nodes.ts); sender A and receiver B run in the load
 * generator and are connected to the relay only.
 *
 * gossipsub is configured as a paw-node's is (src/gossip/gossipsub-options.ts) wherever
 * that shapes the work per message: unsigned (StrictNoSign), content-addressed IDs
 * (SHA-256 of the data, as a reference-chain transaction's ID is the SHA-256 of its 152
 * bytes, docs/chain.md "Hashing"), emitSelf and peer exchange off, one allowed topic, the
 * same inbound size limit and outbound buffer. Unlike a paw-node it accepts every message
 * at once (no validator, synchronous validation): the relay with the judging taken away.
 * Its scoring is gossipsub's default (no topic parameters).
 */

import { type GossipSub, type GossipsubOpts, gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '@noble/hashes/sha2.js'
import { createLibp2p } from 'libp2p'
import { MAX_GOSSIP_MESSAGE_BYTES } from '../../src/gossip/gossipsub-options.ts'
import { MESSAGE_BYTES, rawListenerOptions, sleep } from './nodes.ts'
import { Arrivals, type RelayResult, windowed } from './windowed.ts'

export const RAW_GOSSIP_TOPIC = '/bench/load-gossip/1'

/** How long A and B may take to join each other's mesh through the relay (a heartbeat is 1 s). */
const MESH_TIMEOUT_MS = 20_000

/** gossipsub with getMeshPeers, which the library's interface leaves out. */
type RawPubSub = GossipSub & { getMeshPeers(topic: string): string[] }
export type RawGossipNode = Libp2p<{ pubsub: GossipSub }>

export function rawGossipsubOptions(): Partial<GossipsubOpts> {
  return {
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: (message) => sha256(message.data),
    emitSelf: false,
    allowPublishToZeroTopicPeers: true,
    fallbackToFloodsub: false,
    doPX: false,
    allowedTopics: [RAW_GOSSIP_TOPIC],
    maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
    maxOutboundBufferSize: 4 * MAX_GOSSIP_MESSAGE_BYTES,
  }
}

function pubsubOf(node: RawGossipNode): RawPubSub {
  return node.services.pubsub as RawPubSub
}

/** The relay, in the node under test's process: listening, subscribed to the topic. */
export async function startRawGossipRelay(): Promise<RawGossipNode> {
  const node = await createLibp2p({
    ...rawListenerOptions(),
    services: { identify: identify(), ping: ping(), pubsub: gossipsub(rawGossipsubOptions()) },
  })
  await node.start()
  node.services.pubsub.subscribe(RAW_GOSSIP_TOPIC)
  return node
}

/** Peers in `node`'s mesh of the topic. */
export function rawGossipMesh(node: RawGossipNode): number {
  return pubsubOf(node).getMeshPeers(RAW_GOSSIP_TOPIC).length
}

async function startPeer(): Promise<RawGossipNode> {
  const node = await createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    services: { identify: identify(), ping: ping(), pubsub: gossipsub(rawGossipsubOptions()) },
  })
  await node.start()
  node.services.pubsub.subscribe(RAW_GOSSIP_TOPIC)
  return node
}

/**
 * Sender A and receiver B, in the load generator. Every message is distinct (a sequence
 * number in its first 4 bytes, never reused in a run), so each has its own ID and none is
 * dropped as already seen; B counts the round's sequence numbers as gossipsub hands them over.
 */
export class RawGossipPair {
  readonly #a: RawGossipNode
  readonly #b: RawGossipNode
  readonly #arrivals = new Arrivals()
  #nextSequence = 0
  #round = { from: 0, to: 0, arrived: 0 }

  private constructor(a: RawGossipNode, b: RawGossipNode) {
    this.#a = a
    this.#b = b
    pubsubOf(b).addEventListener('gossipsub:message', ({ detail }) => {
      const { data, topic } = detail.msg
      if (topic !== RAW_GOSSIP_TOPIC || data.length !== MESSAGE_BYTES) return
      const sequence = new DataView(data.buffer, data.byteOffset, 4).getUint32(0)
      if (sequence < this.#round.from || sequence >= this.#round.to) return
      this.#round.arrived++
      this.#arrivals.arrived()
    })
  }

  /** A and B connected to the relay at `address`, each with the relay in its mesh. */
  static async connect(address: string): Promise<RawGossipPair> {
    const a = await startPeer()
    const b = await startPeer()
    const pair = new RawGossipPair(a, b)
    try {
      await a.dial(multiaddr(address))
      await b.dial(multiaddr(address))
      const deadline = performance.now() + MESH_TIMEOUT_MS
      while (rawGossipMesh(a) < 1 || rawGossipMesh(b) < 1) {
        if (performance.now() > deadline) throw new Error('raw gossip: A and B not in the relay mesh')
        await sleep(100)
      }
      return pair
    } catch (error) {
      await pair.stop()
      throw error
    }
  }

  /** `count` distinct MESSAGE_BYTES messages, A to B through the relay, `window` at a time. */
  async round(count: number, window: number): Promise<RelayResult> {
    const from = this.#nextSequence
    this.#nextSequence += count
    this.#round = { from, to: from + count, arrived: 0 }
    const pubsub = pubsubOf(this.#a)
    const template = new Uint8Array(MESSAGE_BYTES).map((_, i) => i & 0xff)
    let failed = 0
    const result = await windowed(
      this.#arrivals,
      'raw gossip relay',
      count,
      window,
      () => this.#round.arrived,
      (index) => {
        const message = template.slice()
        new DataView(message.buffer).setUint32(0, from + index)
        // Not awaited, as A's publishing of PAW transactions (loader.ts).
        pubsub.publish(RAW_GOSSIP_TOPIC, message).catch(() => failed++)
        return true
      },
    )
    return { ...result, publishFailures: failed }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.#a.stop(), this.#b.stop()])
  }
}
