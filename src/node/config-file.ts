/**
 * Reading config.toml, which `start` uses (config-template.ts writes the template `init` writes).
 * Reading is strict: an unknown key or table, a wrong type or a malformed peer address
 * stops start-up with a ConfigError that names the key; value ranges and the relations
 * between settings are checked once, later, by resolveSettings().
 */
import { readFile } from 'node:fs/promises'
import { parse, TomlError } from 'smol-toml'
import type { Kind } from '../config/setting-kinds.ts'
import {
  ConfigError,
  definitionOf,
  SETTING_KEYS,
  SETTING_NAMES,
  type SettingName,
  type SettingsInput,
  setSetting,
  splitKey,
} from '../config/settings.ts'
import { parsePeerAddress } from '../peers/address.ts'

/** The parsed value in words, for messages (TOML integers arrive as bigint, floats as number). */
function describe(value: unknown): string {
  if (typeof value === 'bigint') return `the integer ${value}`
  if (typeof value === 'number') return `the float ${value}`
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`
  if (typeof value === 'boolean') return `${value}`
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'a date'
  return 'a table'
}

function wrongType(key: string, expected: string, value: unknown): ConfigError {
  return new ConfigError(key, `must be ${expected}, got ${describe(value)}`)
}

function toInteger(key: string, value: unknown, expected = 'an integer'): number {
  if (typeof value !== 'bigint') throw wrongType(key, expected, value)
  // Out-of-range values are named by resolveSettings; here only keep the number exact.
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ConfigError(key, `${value} is out of range`)
  }
  return Number(value)
}

/** Type-checks a parsed TOML value; TOML's `false` for a port means "listener off" (null). */
function readValue(kind: Kind, key: string, value: unknown): unknown {
  switch (kind) {
    case 'text':
    case 'choice':
      if (typeof value !== 'string') throw wrongType(key, 'a string', value)
      return value
    case 'integer':
      return toInteger(key, value)
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType(key, 'true or false', value)
      return value
    case 'path':
      if (value === false) return null
      if (typeof value !== 'string') throw wrongType(key, 'a file path or false', value)
      return value
    case 'endpoint':
      if (value === false) return null
      if (typeof value !== 'string') throw wrongType(key, 'a "host:port" string or false', value)
      return value
    case 'port':
      return value === false ? null : toInteger(key, value, 'a port number or false')
    case 'addresses':
      if (!Array.isArray(value)) throw wrongType(key, 'an array of strings', value)
      return value.map((item: unknown, index) => {
        if (typeof item !== 'string') throw wrongType(`${key}[${index}]`, 'a string', item)
        try {
          parsePeerAddress(item)
        } catch (error) {
          throw new ConfigError(`${key}[${index}]`, (error as Error).message)
        }
        return item
      })
  }
}

const BY_KEY = new Map<string, SettingName>(SETTING_NAMES.map((name) => [SETTING_KEYS[name], name]))
const TABLES = new Set(
  SETTING_NAMES.map((name) => SETTING_KEYS[name].split('.')).flatMap((p) => (p.length > 1 ? [p[0]] : [])),
)

/** Edit distance, to suggest the setting a typo meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

function suggestion(key: string): string {
  const { name } = splitKey(key)
  let best: string | undefined
  let bestDistance = 3
  const candidates = key.includes('.') ? BY_KEY.keys() : [...BY_KEY.keys(), ...TABLES]
  for (const known of candidates) {
    const d = splitKey(known).name === name ? 0 : distance(key, known)
    if (d < bestDistance) {
      best = known
      bestDistance = d
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`
}

/** A ConfigError whose whole message is `message` (its key still names the culprit). */
function fileError(key: string, message: string): ConfigError {
  const error = new ConfigError(key, message)
  error.message = message
  return error
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/**
 * The SettingsInput that config.toml text describes. `source` names the file in messages.
 * Keys that are absent stay undefined, so defaults and the profile apply to them.
 */
export function parseConfig(text: string, source = 'config.toml'): SettingsInput {
  let doc: Record<string, unknown>
  try {
    doc = parse(text, { integersAsBigInt: true })
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '')
    throw fileError(
      'config.toml',
      `${source}: TOML syntax error at line ${error.line}, column ${error.column}: ${reason}\n${error.codeblock}`,
    )
  }
  const input: SettingsInput = {}
  const visit = (table: Record<string, unknown>, prefix: string) => {
    for (const [name, value] of Object.entries(table)) {
      const key = `${prefix}${name}`
      const setting = BY_KEY.get(key)
      if (setting !== undefined) {
        try {
          setSetting(input, setting, readValue(definitionOf(setting).kind, key, value))
        } catch (error) {
          if (error instanceof ConfigError) error.message = `${source}: ${error.message}`
          throw error
        }
      } else if (prefix === '' && TABLES.has(name)) {
        if (!isTable(value))
          throw fileError(key, `${source}: ${key} must be a table ([${key}]), got ${describe(value)}`)
        visit(value, `${key}.`)
      } else if (isTable(value)) {
        throw fileError(key, `${source}: unknown table [${key}]${suggestion(key)}`)
      } else {
        throw fileError(key, `${source}: unknown setting ${key}${suggestion(key)}`)
      }
    }
  }
  visit(doc, '')
  return input
}

/** Reads and parses config.toml (see parseConfig); an unreadable file is a ConfigError too. */
export async function readConfigFile(path: string): Promise<SettingsInput> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw fileError('config.toml', `cannot read ${path}: ${(error as Error).message}`)
  }
  return parseConfig(text, path)
}

/** `fromFile` with every setting that `fromFlags` gives replaced; limits etc. field by field. */
export function mergeSettings(fromFile: SettingsInput, fromFlags: SettingsInput): SettingsInput {
  const defined = <T extends object>(o: T | undefined): Partial<T> =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>
  const { limits, timeouts, inbound: guards, bufferMemory, ...rest } = fromFlags
  return {
    ...fromFile,
    ...defined(rest),
    limits: { ...fromFile.limits, ...defined(limits) },
    timeouts: { ...fromFile.timeouts, ...defined(timeouts) },
    inbound: { ...fromFile.inbound, ...defined(guards) },
    bufferMemory: { ...fromFile.bufferMemory, ...defined(bufferMemory) },
  }
}
