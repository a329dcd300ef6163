/**
 * The node's settings: what config.toml, CLI flags and library callers configure, resolved
 * against the defaults and validated in one place, so a bad value stops start-up with a
 * message that names it (the same names config.toml uses).
 */

import { encodeChainId } from '../wire/handshake.ts'
import {
  DEFAULT_ADMIN_LISTEN,
  DEFAULT_BUFFER_MEMORY,
  DEFAULT_CHAIN_ID,
  DEFAULT_DIAL_QUEUE_SIZE,
  DEFAULT_INBOUND_GUARDS,
  DEFAULT_LISTEN_HOST,
  DEFAULT_MAINTENANCE_INTERVAL_MS,
  DEFAULT_SEEDS,
  DEFAULT_TCP_PORT,
  DEFAULT_TIMEOUTS,
  DEFAULT_WS_PORT,
  defaultNodeType,
  type InboundGuards,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  MIN_PEER_BUFFER_MIB,
  NODE_TYPES,
  type NodeType,
  type PeerLimits,
  PROFILES,
  type ProfileName,
  type Timeouts,
} from './defaults.ts'
import { formatHostPort, isLoopbackHost, parseHostPort } from './host-port.ts'

export interface Settings {
  chainId: string
  /** full, light or miner (000 "Node Types"). */
  nodeType: NodeType
  /** Host (IP) to listen on. */
  listenHost: string
  /** TCP port; 0 picks a free one; null disables the TCP listener. */
  tcpPort: number | null
  /** WebSockets port; 0 picks a free one; null disables the WebSockets listener. */
  wsPort: number | null
  /** Peers dialled at start and kept in the address book (multiaddr or id@host:port). */
  bootstrap: string[]
  /** Peers always reconnected, never given up (004 §3.3). */
  persistentPeers: string[]
  /**
   * Seed nodes (004 §2): dialled to ask for peers (get_peers) when the address book runs
   * short, retried with backoff when unreachable. host:port, id@host:port or a multiaddr.
   * Default: 004 §2.2's seeds on paw-mainnet, none elsewhere.
   */
  seeds: string[]
  /** Seed mode (DECISIONS.md "Peer exchange"): answer get_peers, then disconnect the peer. */
  seedMode: boolean
  /**
   * PEM certificate and key files: the WebSockets listener then speaks TLS (wss) instead
   * of plain ws, which a page served over https needs. Both or neither; Node only.
   */
  wsTlsCertFile: string | null
  wsTlsKeyFile: string | null
  profile: ProfileName
  limits: PeerLimits
  timeouts: Timeouts
  dialQueueSize: number
  maintenanceIntervalMs: number
  inbound: InboundGuards
  logLevel: LogLevel
  logFormat: LogFormat
  /**
   * The admin HTTP API's `host:port` (src/node/admin); port 0 picks a free one; null turns
   * it off. A host other than loopback needs `adminAllowRemote`.
   */
  adminListen: string | null
  /** Lets adminListen be a non-loopback host: the admin API is never exposed by accident. */
  adminAllowRemote: boolean
  /** A miner's cap on proof-of-work hashes per second; 0: none. */
  minerHashesPerSecond: number
  /** The memory budget of /paw/* streams (src/protocols/shared/memory-budget.ts). */
  bufferMemory: BufferMemory
}

/** The memory budget of /paw/* streams, in MiB (docs/configuration.md "Memory budget"). */
export interface BufferMemory {
  /** What all peers together may make the node hold. */
  nodeMiB: number
  /** What one peer may make the node hold. */
  peerMiB: number
}

/** What a caller may give: any subset; limits and timeouts field by field. */
export type SettingsInput = Partial<Omit<Settings, 'limits' | 'timeouts' | 'inbound' | 'bufferMemory'>> & {
  limits?: Partial<PeerLimits>
  timeouts?: Partial<Timeouts>
  inbound?: Partial<InboundGuards>
  bufferMemory?: Partial<BufferMemory>
}

/** A setting with a bad value. `key` is its config.toml name, e.g. `p2p.max_inbound`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'ERR_INVALID_CONFIG'
  readonly key: string

  constructor(key: string, message: string) {
    super(`invalid setting ${key}: ${message}`)
    this.key = key
  }
}

/** config.toml names of the settings, for messages. */
export const SETTING_KEYS = {
  chainId: 'chain_id',
  nodeType: 'node_type',
  listenHost: 'p2p.listen_host',
  tcpPort: 'p2p.port',
  wsPort: 'p2p.ws_port',
  bootstrap: 'p2p.bootstrap',
  persistentPeers: 'p2p.persistent_peers',
  seeds: 'p2p.seeds',
  seedMode: 'p2p.seed_mode',
  wsTlsCertFile: 'p2p.ws_tls_cert_file',
  wsTlsKeyFile: 'p2p.ws_tls_key_file',
  profile: 'p2p.profile',
  maxPeers: 'p2p.max_peers',
  maxInbound: 'p2p.max_inbound',
  maxOutbound: 'p2p.max_outbound',
  minOutbound: 'p2p.min_outbound',
  dialQueueSize: 'p2p.dial_queue_size',
  maintenanceIntervalMs: 'p2p.maintenance_interval_ms',
  perHostPerSecond: 'p2p.inbound_per_host_per_second',
  maxPending: 'p2p.max_pending_inbound',
  dialMs: 'p2p.dial_timeout_ms',
  handshakeMs: 'p2p.handshake_timeout_ms',
  readIdleMs: 'p2p.read_timeout_ms',
  writeMs: 'p2p.write_timeout_ms',
  pingIntervalMs: 'p2p.ping_interval_ms',
  inactivityMs: 'p2p.inactivity_timeout_ms',
  nodeMiB: 'p2p.max_buffer_mib',
  peerMiB: 'p2p.max_peer_buffer_mib',
  logLevel: 'log.level',
  logFormat: 'log.format',
  adminListen: 'admin.listen',
  adminAllowRemote: 'admin.allow_remote',
  minerHashesPerSecond: 'mining.max_hashes_per_second',
} as const

function integer(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
  return value
}

function port(key: string, value: unknown): number | null {
  if (value === null) return null
  return integer(key, value, 0, 65535)
}

function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(key, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  }
  return value as T
}

/** The wss certificate and key: both set, or neither. */
function wsTls(input: SettingsInput): Pick<Settings, 'wsTlsCertFile' | 'wsTlsKeyFile'> {
  const k = SETTING_KEYS
  const cert = input.wsTlsCertFile ?? null
  const key = input.wsTlsKeyFile ?? null
  for (const [name, value] of [
    [k.wsTlsCertFile, cert],
    [k.wsTlsKeyFile, key],
  ] as const) {
    if (value !== null && (typeof value !== 'string' || value.length === 0)) {
      throw new ConfigError(name, 'must be a file path')
    }
  }
  if ((cert === null) !== (key === null)) {
    throw new ConfigError(
      cert === null ? k.wsTlsCertFile : k.wsTlsKeyFile,
      `is needed with ${cert === null ? k.wsTlsKeyFile : k.wsTlsCertFile}`,
    )
  }
  return { wsTlsCertFile: cert, wsTlsKeyFile: key }
}

function boolean(key: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ConfigError(key, `must be true or false, got ${JSON.stringify(value)}`)
  return value
}

function stringList(key: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new ConfigError(key, 'must be a list of non-empty strings')
  }
  return [...value]
}

/**
 * admin.listen: `host:port` normalised, or null for off (`off`, empty, or null for
 * config.toml's `false`). A host that is not loopback is refused unless allowRemote: anyone
 * who reaches the admin API can submit transactions and, later, ban peers.
 */
function adminListen(key: string, value: unknown, allowRemote: boolean): string | null {
  if (value === null || value === '' || value === 'off') return null
  if (typeof value !== 'string') {
    throw new ConfigError(key, `must be "host:port" or "off", got ${JSON.stringify(value)}`)
  }
  let endpoint: ReturnType<typeof parseHostPort>
  try {
    endpoint = parseHostPort(value)
  } catch (error) {
    throw new ConfigError(key, (error as Error).message)
  }
  if (!allowRemote && !isLoopbackHost(endpoint.host)) {
    throw new ConfigError(
      key,
      `${endpoint.host} is not a loopback address, and whoever reaches the admin API can submit transactions; ` +
        `listen on 127.0.0.1, or set ${SETTING_KEYS.adminAllowRemote} = true to expose it deliberately`,
    )
  }
  return formatHostPort(endpoint)
}

/** Resolves `input` against the defaults (limits from the profile) and validates every field. */
export function resolveSettings(input: SettingsInput = {}): Settings {
  const k = SETTING_KEYS
  const profile = oneOf(k.profile, input.profile ?? 'default', Object.keys(PROFILES) as ProfileName[])
  const base = PROFILES[profile]
  const limitsIn = { ...base, ...input.limits }
  const timeoutsIn = { ...DEFAULT_TIMEOUTS, ...input.timeouts }
  const inboundIn = { ...DEFAULT_INBOUND_GUARDS, ...input.inbound }

  const chainId = input.chainId ?? DEFAULT_CHAIN_ID
  try {
    encodeChainId(chainId)
  } catch (error) {
    throw new ConfigError(k.chainId, (error as Error).message)
  }
  const adminAllowRemote = input.adminAllowRemote ?? false
  if (typeof adminAllowRemote !== 'boolean') {
    throw new ConfigError(
      k.adminAllowRemote,
      `must be true or false, got ${JSON.stringify(adminAllowRemote)}`,
    )
  }
  const listenHost = input.listenHost ?? DEFAULT_LISTEN_HOST
  if (typeof listenHost !== 'string' || listenHost.length === 0) {
    throw new ConfigError(k.listenHost, 'must be a host name or IP address')
  }

  const day = 24 * 60 * 60_000
  const limits: PeerLimits = {
    maxPeers: integer(k.maxPeers, limitsIn.maxPeers, 1, 10_000),
    maxInbound: integer(k.maxInbound, limitsIn.maxInbound, 0, 10_000),
    maxOutbound: integer(k.maxOutbound, limitsIn.maxOutbound, 0, 10_000),
    minOutbound: integer(k.minOutbound, limitsIn.minOutbound, 0, 10_000),
  }
  if (limits.maxInbound > limits.maxPeers) {
    throw new ConfigError(k.maxInbound, `${limits.maxInbound} is above ${k.maxPeers} (${limits.maxPeers})`)
  }
  if (limits.maxOutbound > limits.maxPeers) {
    throw new ConfigError(k.maxOutbound, `${limits.maxOutbound} is above ${k.maxPeers} (${limits.maxPeers})`)
  }
  if (limits.minOutbound > limits.maxOutbound) {
    throw new ConfigError(
      k.minOutbound,
      `${limits.minOutbound} is above ${k.maxOutbound} (${limits.maxOutbound})`,
    )
  }
  const timeouts: Timeouts = {
    dialMs: integer(k.dialMs, timeoutsIn.dialMs, 1, day),
    handshakeMs: integer(k.handshakeMs, timeoutsIn.handshakeMs, 1, day),
    readIdleMs: integer(k.readIdleMs, timeoutsIn.readIdleMs, 1, day),
    writeMs: integer(k.writeMs, timeoutsIn.writeMs, 1, day),
    pingIntervalMs: integer(k.pingIntervalMs, timeoutsIn.pingIntervalMs, 1, day),
    inactivityMs: integer(k.inactivityMs, timeoutsIn.inactivityMs, 1, day),
  }
  const memoryIn = { ...DEFAULT_BUFFER_MEMORY, ...input.bufferMemory }
  const bufferMemory: BufferMemory = {
    // One peer must be able to send one frame of the largest size (10 MiB) with room to spare.
    peerMiB: integer(k.peerMiB, memoryIn.peerMiB, MIN_PEER_BUFFER_MIB, 1_048_576),
    nodeMiB: integer(k.nodeMiB, memoryIn.nodeMiB, MIN_PEER_BUFFER_MIB, 1_048_576),
  }
  if (bufferMemory.peerMiB > bufferMemory.nodeMiB) {
    throw new ConfigError(
      k.peerMiB,
      `${bufferMemory.peerMiB} is above ${k.nodeMiB} (${bufferMemory.nodeMiB})`,
    )
  }
  return {
    chainId,
    nodeType: oneOf(k.nodeType, input.nodeType ?? defaultNodeType(chainId), NODE_TYPES),
    listenHost,
    tcpPort: port(k.tcpPort, input.tcpPort === undefined ? DEFAULT_TCP_PORT : input.tcpPort),
    wsPort: port(k.wsPort, input.wsPort === undefined ? DEFAULT_WS_PORT : input.wsPort),
    bootstrap: stringList(k.bootstrap, input.bootstrap ?? []),
    persistentPeers: stringList(k.persistentPeers, input.persistentPeers ?? []),
    seeds: stringList(k.seeds, input.seeds ?? [...(DEFAULT_SEEDS[chainId] ?? [])]),
    seedMode: boolean(k.seedMode, input.seedMode ?? false),
    ...wsTls(input),
    profile,
    limits,
    timeouts,
    dialQueueSize: integer(k.dialQueueSize, input.dialQueueSize ?? DEFAULT_DIAL_QUEUE_SIZE, 1, 100),
    maintenanceIntervalMs: integer(
      k.maintenanceIntervalMs,
      input.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS,
      10,
      day,
    ),
    inbound: {
      perHostPerSecond: integer(k.perHostPerSecond, inboundIn.perHostPerSecond, 1, 100_000),
      maxPending: integer(k.maxPending, inboundIn.maxPending, 1, 100_000),
    },
    logLevel: oneOf(k.logLevel, input.logLevel ?? 'info', LOG_LEVELS),
    logFormat: oneOf(k.logFormat, input.logFormat ?? 'plain', LOG_FORMATS),
    adminListen: adminListen(
      k.adminListen,
      input.adminListen === undefined ? DEFAULT_ADMIN_LISTEN : input.adminListen,
      adminAllowRemote,
    ),
    adminAllowRemote,
    minerHashesPerSecond: integer(k.minerHashesPerSecond, input.minerHashesPerSecond ?? 0, 0, 1_000_000_000),
    bufferMemory,
  }
}
