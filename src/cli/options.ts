/**
 * Command-line parsing shared by the commands: exit codes, the usage error, and the
 * `start` flags that override config.toml, turned into a SettingsInput. Which setting has a
 * flag, and its name, is part of the setting's definition (src/config/setting-definitions.ts).
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { parseHostPort } from '../config/host-port.ts'
import type { SETTING_DEFINITIONS } from '../config/setting-definitions.ts'
import {
  definitionOf,
  SETTING_KEYS,
  SETTING_NAMES,
  type SettingName,
  type SettingsInput,
  setSetting,
} from '../config/settings.ts'
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

type Table = typeof SETTING_DEFINITIONS

type FlagOf<D> = D extends { flag: infer F extends string } ? F : never
/** The parseArgs option of a setting's flag: a switch, a repeatable list, or one value. */
type OptionOf<K> = K extends 'boolean'
  ? { type: 'boolean' }
  : K extends 'addresses'
    ? { type: 'string'; multiple: true }
    : { type: 'string' }
type SettingFlags = { [N in keyof Table as FlagOf<Table[N]>]: OptionOf<Table[N]['kind']> }

const SETTING_FLAGS = Object.fromEntries(
  SETTING_NAMES.flatMap((name) => {
    const { flag, kind } = definitionOf(name)
    if (flag === undefined) return []
    const option =
      kind === 'boolean'
        ? { type: 'boolean' }
        : kind === 'addresses'
          ? { type: 'string', multiple: true }
          : { type: 'string' }
    return [[flag, option]]
  }),
) as SettingFlags

/** The `start` flags: each setting's own (setting-definitions.ts), and --mine. */
export const START_OPTIONS = {
  ...HOME_OPTION,
  mine: { type: 'boolean' },
  ...SETTING_FLAGS,
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

/** The value a flag gives `name`, parsed by the setting's kind; malformed text is a UsageError. */
function fromFlag(name: SettingName, flag: string, value: string | string[] | boolean): unknown {
  const { kind, choices = [] } = definitionOf(name)
  switch (kind) {
    case 'boolean':
      return value === true
    case 'integer':
      return integer(flag, value as string)
    case 'port':
      return port(flag, value as string)
    case 'choice':
      return choice(flag, value as string, choices)
    case 'endpoint':
      return endpoint(flag, value as string)
    case 'addresses':
      // Only seeds have a default other than none (paw-mainnet's), so only they need a way to clear it.
      if (name === 'seeds' && (value as string[]).length === 1 && (value as string[])[0] === 'none') return []
      return addresses(flag, value as string[])
    case 'text':
    case 'path':
      return value
  }
}

/** The settings the `start` flags set; a malformed value is a UsageError naming its flag. */
export function settingsFromFlags(flags: StartFlags): FlagSettings {
  const input: SettingsInput = {}
  const sources = new Map<string, string>()
  const given = flags as Record<string, string | string[] | boolean | undefined>
  for (const name of SETTING_NAMES) {
    const { flag, key } = definitionOf(name)
    const value = flag === undefined ? undefined : given[flag]
    if (flag === undefined || value === undefined || value === false) continue
    setSetting(input, name, fromFlag(name, flag, value))
    sources.set(key, `--${flag}`)
  }
  if (flags.mine === true) {
    if (input.nodeType !== undefined && input.nodeType !== 'miner') {
      throw new UsageError(`--mine contradicts --type ${input.nodeType}`)
    }
    input.nodeType = 'miner'
    sources.set(SETTING_KEYS.nodeType, '--mine')
  }
  return { input, sources }
}
