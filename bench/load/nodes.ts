/**
 * What bench/load's processes share: the settings the node under test runs with (its
 * guards raised on purpose, so the bench measures throughput, not a guard), the raw
 * libp2p baseline's configuration, and the raw protocols that baseline speaks.
 */
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { PawNodeInit } from '../../src/api/index.ts'
import { TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'

/** One relayed message: a transaction's encoding, the size PAW gossips. */
export const MESSAGE_BYTES = TRANSACTION_LENGTH

/**
 * Room for every connection the bench makes: the whole load comes from 127.0.0.1, one
 * host to libp2p's per-host guard. No minimum of outbound peers: nobody redials anybody.
 */
export const BENCH_LIMITS = { maxPeers: 2_000, maxInbound: 2_000, maxOutbound: 100, minOutbound: 0 }
/** DEFAULT_INBOUND_GUARDS (20 new connections/s per host, 64 pending) raised for throughput. */
export const BENCH_INBOUND = { perHostPerSecond: 100_000, maxPending: 1_000 }

/**
 * The relay case floods far above the default per-peer gossip limit (1,000 tx/s, burst
 * 4,000) and the rate the score parameters expect (50 tx/s): both raised there, so the
 * figure is what the node can validate and forward.
 */
export const RELAY_RATE_LIMITS: PawNodeInit['rateLimits'] = {
  gossipTransactions: { ratePerSecond: 1_000_000, burst: 1_000_000, rationale: 'bench: not throttled' },
}
export const RELAY_EXPECTED_TX_PER_SECOND = 10_000
/** Every relayed transaction stays pending (the node default is 5,000 and 16 MiB). */
export const RELAY_MEMPOOL = { maxCount: 500_000, maxBytes: 256 * 1024 * 1024 }

/** The raw relay: the sender's stream in, the receiver's stream out. */
export const RAW_RELAY_PROTOCOL = '/bench/load-relay/1'
export const RAW_SINK_PROTOCOL = '/bench/load-sink/1'

/**
 * What a paw-node runs below PAW (src/create-paw-node.ts): TCP and WebSockets, Noise and
 * TLS, yamux with libp2p's default stream read buffer, the same connection manager guards.
 * The raw baselines of case 1 and case 2 listen with it.
 */
export function rawListenerOptions() {
  return {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [webSockets(), tcp()],
    connectionEncrypters: [noise(), tls()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: BENCH_LIMITS.maxPeers + BENCH_INBOUND.maxPending,
      maxIncomingPendingConnections: BENCH_INBOUND.maxPending,
      inboundConnectionThreshold: BENCH_INBOUND.perHostPerSecond,
      reconnectRetries: 0,
    },
    connectionMonitor: { enabled: false },
  }
}

/** The raw libp2p baseline listener: identify and ping, no gossipsub, no /paw/* protocol. */
export async function startRawListener() {
  const node = await createLibp2p({
    ...rawListenerOptions(),
    services: { identify: identify(), ping: ping() },
  })
  await node.start()
  return node
}

/** A timestamp in ms comparable across the processes of one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now()
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
