/**
 * Defaults of every node setting, each pinned to the spec section that sets it.
 * Browser-safe: no file access here (src/node/config-file.ts reads config.toml).
 */

/** DECISIONS.md "Transport and security": TCP default port. */
export const DEFAULT_TCP_PORT = 26656
/** WebSockets listener: the next port, as nothing in the spec fixes it. */
export const DEFAULT_WS_PORT = 26657
export const DEFAULT_LISTEN_HOST = '0.0.0.0'
/**
 * The admin API (src/node/admin): loopback only, the port after the WebSockets one. It can
 * submit transactions (and later ban peers), so it is never exposed by default.
 */
export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:26658'
/**
 * A new home is a local devnet (issue "Reference chain": the README's first command starts a
 * miner on a local devnet); operators of other chains pass --chain-id.
 */
export const DEVNET_CHAIN_ID = 'paw-devnet'
export const DEFAULT_CHAIN_ID = DEVNET_CHAIN_ID

/**
 * 004 §2.2's production seeds, for paw-mainnet only: DNS seeds first (primary, then
 * regional), then the IP fallbacks, each as host:port (no peer ID: the seed's identity is
 * learned from its Noise handshake). Other chains have none: a devnet or testnet operator
 * passes --seeds or --bootstrap.
 */
export const DEFAULT_SEEDS: Readonly<Record<string, readonly string[]>> = {
  'paw-mainnet': [
    'seed1.paw.network:26656',
    'seed2.paw.network:26656',
    'seed3.paw.network:26656',
    'seed-us-west.paw.network:26656',
    'seed-eu-central.paw.network:26656',
    'seed-asia-east.paw.network:26656',
    '35.184.142.101:26656',
    '34.89.156.233:26656',
    '35.201.123.45:26656',
  ],
}

/** 000 node types: full (whole chain), light (headers only), miner (full + produces blocks). */
export type NodeType = 'full' | 'light' | 'miner'
export const NODE_TYPES: readonly NodeType[] = ['full', 'light', 'miner']

/** A devnet node mines unless told otherwise; on any other chain a node is full. */
export function defaultNodeType(chainId: string): NodeType {
  return chainId === DEVNET_CHAIN_ID ? 'miner' : 'full'
}

export type ProfileName = 'default' | 'high-traffic' | 'low-resource'

export interface PeerLimits {
  /** Total connected (handshaken) peers. */
  maxPeers: number
  maxInbound: number
  maxOutbound: number
  /** Outbound peers the maintenance loop keeps (004 §3.2 "maintained automatically"). */
  minOutbound: number
}

/** 004 §10.1 defaults and §10.2 profiles; min outbound stays 10 (DECISIONS.md "Connections"). */
export const PROFILES: Record<ProfileName, PeerLimits> = {
  default: { maxPeers: 100, maxInbound: 50, maxOutbound: 50, minOutbound: 10 },
  'high-traffic': { maxPeers: 200, maxInbound: 100, maxOutbound: 100, minOutbound: 10 },
  'low-resource': { maxPeers: 20, maxInbound: 10, maxOutbound: 10, minOutbound: 10 },
}

export interface Timeouts {
  /** 004 §3.1: TCP dial (libp2p dial incl. upgrade). */
  dialMs: number
  /** 004 §3.1: from connection open to a completed /paw/handshake/1. */
  handshakeMs: number
  /** 004 §3.1: idle timeout on reading a /paw/* stream. */
  readIdleMs: number
  /** 004 §3.1: a frame that cannot be written within this fails the stream. */
  writeMs: number
  /** 004 §10.1: keep-alive ping interval; the RTT is kept per peer. */
  pingIntervalMs: number
  /** 004 §10.1: a peer from which nothing arrived for this long is disconnected. */
  inactivityMs: number
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  dialMs: 5_000,
  handshakeMs: 10_000,
  readIdleMs: 30_000,
  writeMs: 5_000,
  pingIntervalMs: 30_000,
  inactivityMs: 5 * 60_000,
}

/** 004 §6.2: "Dial queue size: 100". */
export const DEFAULT_DIAL_QUEUE_SIZE = 100

/** How often the connection manager checks its peer set (min outbound, inactivity). */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 5_000

/** DECISIONS.md "Connections": reconnect backoff min(2^attempts s, 600 s). */
export const BACKOFF_BASE_MS = 1_000
export const BACKOFF_MAX_MS = 600_000

/** DECISIONS.md "Handshake": a wrong-chain address is not redialled for 24 h. */
export const WRONG_CHAIN_REDIAL_BLOCK_MS = 24 * 60 * 60_000

/**
 * libp2p's inbound guards, set deliberately: its defaults (5 new connections/s per host,
 * 10 pending) refuse honest bursts such as several local nodes starting at once.
 */
export interface InboundGuards {
  /** New inbound connections accepted per second from one host. */
  perHostPerSecond: number
  /** Inbound connections still upgrading (Noise, yamux) at once. */
  maxPending: number
}

export const DEFAULT_INBOUND_GUARDS: InboundGuards = { perHostPerSecond: 20, maxPending: 64 }

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'plain' | 'json'
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']
export const LOG_FORMATS: readonly LogFormat[] = ['plain', 'json']

/**
 * The memory budget of /paw/* streams (issue 15; docs/configuration.md "Memory budget"):
 * 24 MiB per peer holds two full 8 MiB `blocks` answers in flight and room for smaller
 * frames; 256 MiB for the node is ten peers at their limit, far above what honest traffic
 * holds at once (Bitcoin Core's -maxreceivebuffer/-maxsendbuffer bound one peer likewise).
 */
export const DEFAULT_BUFFER_MEMORY = { nodeMiB: 256, peerMiB: 24 } as const
/** A peer's budget must hold one frame of the largest size (10 MiB) and its answer's headroom. */
export const MIN_PEER_BUFFER_MIB = 11
