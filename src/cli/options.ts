/**
 * Command-line parsing shared by the commands: exit codes, the usage error, and the
 * `start` flags that override config.toml, turned into a SettingsInput.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { LOG_FORMATS, LOG_LEVELS, NODE_TYPES, PROFILES } from '../config/defaults.ts'
import { parseHostPort } from '../config/host-port.ts'
import { SETTING_KEYS, type SettingsInput } from '../config/settings.ts'
import { parsePeerAddress } from '../peers/address.ts'

/** Exit codes: 0 ok, 1 failure at run time (bad config included), 2 usage error. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** The command line itself is wrong: unknown option, missing or malformed flag value. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  readonly code = 'ERR_USAGE'
}

/** node:util parseArgs, strict, with its errors (all TypeErrors with a code) as UsageError. */
export function parseFlags<const T extends ParseArgsOptionsConfig>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError((error as Error).message)
    }
    throw error
  }
}

export const HOME_OPTION = {
  home: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig

export const START_OPTIONS = {
  ...HOME_OPTION,
  'chain-id': { type: 'string' },
  type: { type: 'string' },
  mine: { type: 'boolean' },
  port: { type: 'string' },
  'ws-port': { type: 'string' },
  'listen-host': { type: 'string' },
  bootstrap: { type: 'string', multiple: true },
  'persistent-peers': { type: 'string', multiple: true },
  seeds: { type: 'string', multiple: true },
  'seed-mode': { type: 'boolean' },
  'ws-tls-cert': { type: 'string' },
  'ws-tls-key': { type: 'string' },
  'max-peers': { type: 'string' },
  'max-inbound': { type: 'string' },
  'max-outbound': { type: 'string' },
  'min-outbound': { type: 'string' },
  profile: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'admin-listen': { type: 'string' },
  'max-hashrate': { type: 'string' },
  'max-buffer-mib': { type: 'string' },
  'max-peer-buffer-mib': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig

export type StartFlags = ReturnType<typeof parseFlags<typeof START_OPTIONS>>

function integer(flag: string, text: string): number {
  if (!/^-?\d{1,15}$/.test(text.trim())) {
    throw new UsageError(`--${flag} must be an integer, got ${JSON.stringify(text)}`)
  }
  return Number(text.trim())
}

/** A port, or `off` / `false` for "no listener" (config.toml's `false`). */
function port(flag: string, text: string): number | null {
  return text === 'off' || text === 'false' ? null : integer(flag, text)
}

function choice<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}`)
  }
  return text as T
}

/**
 * `host:port`, or `off` for "no listener"; malformed text is a usage error. Whether the host
 * may be used (loopback, or admin.allow_remote) is resolveSettings' call, traced to the flag.
 */
export function endpoint(flag: string, text: string): string | null {
  if (text === 'off' || text === 'false') return null
  try {
    parseHostPort(text)
  } catch (error) {
    throw new UsageError(`--${flag}: ${(error as Error).message}`)
  }
  return text
}

/** Repeated flags and comma-separated values, each checked as a multiaddr or id@host:port. */
function addresses(flag: string, values: readonly string[]): string[] {
  const list = values.flatMap((value) => value.split(',').map((item) => item.trim())).filter((a) => a !== '')
  for (const address of list) {
    try {
      parsePeerAddress(address)
    } catch (error) {
      throw new UsageError(`--${flag}: ${(error as Error).message}`)
    }
  }
  return list
}

export interface FlagSettings {
  /** Only what the flags set: merged over config.toml by mergeSettings(). */
  input: SettingsInput
  /** config.toml key → the flag that set it, so an invalid value can be traced to its flag. */
  sources: Map<string, string>
}

/** The settings the `start` flags set; a malformed value is a UsageError naming its flag. */
export function settingsFromFlags(flags: StartFlags): FlagSettings {
  const input: SettingsInput = {}
  const sources = new Map<string, string>()
  const k = SETTING_KEYS
  const take = <V>(flag: keyof StartFlags, key: string, text: V | undefined, apply: (value: V) => void) => {
    if (text === undefined) return
    apply(text)
    sources.set(key, `--${flag}`)
  }
  const limits: NonNullable<SettingsInput['limits']> = {}
  take('chain-id', k.chainId, flags['chain-id'], (v) => {
    input.chainId = v
  })
  take('type', k.nodeType, flags.type, (v) => {
    input.nodeType = choice('type', v, NODE_TYPES)
  })
  if (flags.mine === true) {
    if (input.nodeType !== undefined && input.nodeType !== 'miner') {
      throw new UsageError(`--mine contradicts --type ${input.nodeType}`)
    }
    input.nodeType = 'miner'
    sources.set(k.nodeType, '--mine')
  }
  take('listen-host', k.listenHost, flags['listen-host'], (v) => {
    input.listenHost = v
  })
  take('port', k.tcpPort, flags.port, (v) => {
    input.tcpPort = port('port', v)
  })
  take('ws-port', k.wsPort, flags['ws-port'], (v) => {
    input.wsPort = port('ws-port', v)
  })
  take('bootstrap', k.bootstrap, flags.bootstrap, (v) => {
    input.bootstrap = addresses('bootstrap', v)
  })
  take('persistent-peers', k.persistentPeers, flags['persistent-peers'], (v) => {
    input.persistentPeers = addresses('persistent-peers', v)
  })
  take('seeds', k.seeds, flags.seeds, (v) => {
    input.seeds = v.length === 1 && v[0] === 'none' ? [] : addresses('seeds', v)
  })
  if (flags['seed-mode'] === true) {
    input.seedMode = true
    sources.set(k.seedMode, '--seed-mode')
  }
  take('ws-tls-cert', k.wsTlsCertFile, flags['ws-tls-cert'], (v) => {
    input.wsTlsCertFile = v
  })
  take('ws-tls-key', k.wsTlsKeyFile, flags['ws-tls-key'], (v) => {
    input.wsTlsKeyFile = v
  })
  take('profile', k.profile, flags.profile, (v) => {
    input.profile = choice('profile', v, Object.keys(PROFILES) as (keyof typeof PROFILES)[])
  })
  take('max-peers', k.maxPeers, flags['max-peers'], (v) => {
    limits.maxPeers = integer('max-peers', v)
  })
  take('max-inbound', k.maxInbound, flags['max-inbound'], (v) => {
    limits.maxInbound = integer('max-inbound', v)
  })
  take('max-outbound', k.maxOutbound, flags['max-outbound'], (v) => {
    limits.maxOutbound = integer('max-outbound', v)
  })
  take('min-outbound', k.minOutbound, flags['min-outbound'], (v) => {
    limits.minOutbound = integer('min-outbound', v)
  })
  take('log-level', k.logLevel, flags['log-level'], (v) => {
    input.logLevel = choice('log-level', v, LOG_LEVELS)
  })
  take('log-format', k.logFormat, flags['log-format'], (v) => {
    input.logFormat = choice('log-format', v, LOG_FORMATS)
  })
  take('admin-listen', k.adminListen, flags['admin-listen'], (v) => {
    input.adminListen = endpoint('admin-listen', v)
  })
  take('max-hashrate', k.minerHashesPerSecond, flags['max-hashrate'], (v) => {
    input.minerHashesPerSecond = integer('max-hashrate', v)
  })
  const bufferMemory: NonNullable<SettingsInput['bufferMemory']> = {}
  take('max-buffer-mib', k.nodeMiB, flags['max-buffer-mib'], (v) => {
    bufferMemory.nodeMiB = integer('max-buffer-mib', v)
  })
  take('max-peer-buffer-mib', k.peerMiB, flags['max-peer-buffer-mib'], (v) => {
    bufferMemory.peerMiB = integer('max-peer-buffer-mib', v)
  })
  if (Object.keys(limits).length > 0) input.limits = limits
  if (Object.keys(bufferMemory).length > 0) input.bufferMemory = bufferMemory
  return { input, sources }
}
