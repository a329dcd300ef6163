/**
 * Defaults of the node settings, derived from their definitions (setting-definitions.ts,
 * where each is pinned to the spec section that sets it), and the constants that are not
 * settings. Browser-safe: no file access here (src/node/config-file.ts reads config.toml).
 */
import type { NodeType } from '../api/node.ts'
import {
  DEVNET_CHAIN_ID,
  MAINNET_SEEDS,
  PROFILE_NAMES,
  type ProfileName,
  SETTING_DEFINITIONS,
} from './setting-definitions.ts'
import {
  type BufferMemory,
  type InboundGuards,
  type PeerLimits,
  resolveSettings,
  type Settings,
  type Timeouts,
} from './settings.ts'

export type { InboundGuards, PeerLimits, Timeouts }
export { DEVNET_CHAIN_ID, type ProfileName }

const DEFAULTS = resolveSettings()

export const DEFAULT_TCP_PORT = SETTING_DEFINITIONS.tcpPort.default
export const DEFAULT_WS_PORT = SETTING_DEFINITIONS.wsPort.default
export const DEFAULT_LISTEN_HOST = SETTING_DEFINITIONS.listenHost.default
export const DEFAULT_ADMIN_LISTEN = SETTING_DEFINITIONS.adminListen.default
export const DEFAULT_CHAIN_ID = SETTING_DEFINITIONS.chainId.default
/** The seeds of each chain that has any (004 §2.2: paw-mainnet's). */
export const DEFAULT_SEEDS: Readonly<Record<string, readonly string[]>> = { 'paw-mainnet': MAINNET_SEEDS }

export type { NodeType }
export const NODE_TYPES: readonly NodeType[] = SETTING_DEFINITIONS.nodeType.choices

export function defaultNodeType(chainId: string): NodeType {
  return SETTING_DEFINITIONS.nodeType.default.ofChain(chainId)
}

/** 004 §10.1 defaults and §10.2 profiles: each limit's value in each profile. */
export const PROFILES: Record<ProfileName, PeerLimits> = Object.fromEntries(
  PROFILE_NAMES.map((profile) => [profile, resolveSettings({ profile }).limits]),
) as Record<ProfileName, PeerLimits>

export const DEFAULT_TIMEOUTS: Timeouts = DEFAULTS.timeouts
export const DEFAULT_DIAL_QUEUE_SIZE = DEFAULTS.dialQueueSize
/** How often the connection manager checks its peer set (min outbound, inactivity). */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = DEFAULTS.maintenanceIntervalMs
export const DEFAULT_INBOUND_GUARDS: InboundGuards = DEFAULTS.inbound
export const DEFAULT_BUFFER_MEMORY: BufferMemory = DEFAULTS.bufferMemory
/** A peer's budget must hold one frame of the largest size (10 MiB) and its answer's headroom. */
export const MIN_PEER_BUFFER_MIB = SETTING_DEFINITIONS.peerMiB.min

export type LogLevel = Settings['logLevel']
export type LogFormat = Settings['logFormat']
export const LOG_LEVELS: readonly LogLevel[] = SETTING_DEFINITIONS.logLevel.choices
export const LOG_FORMATS: readonly LogFormat[] = SETTING_DEFINITIONS.logFormat.choices

/** DECISIONS.md "Connections": reconnect backoff min(2^attempts s, 600 s). */
export const BACKOFF_BASE_MS = 1_000
export const BACKOFF_MAX_MS = 600_000

/** DECISIONS.md "Handshake": a wrong-chain address is not redialled for 24 h. */
export const WRONG_CHAIN_REDIAL_BLOCK_MS = 24 * 60 * 60_000
