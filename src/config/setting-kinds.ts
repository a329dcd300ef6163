/**
 * The kinds of value a node setting takes. Each constructor turns a setting's definition
 * (src/config/setting-definitions.ts) into one that can check a value: the check throws a
 * ConfigError naming the config.toml key, the value and what is allowed, which is what
 * start-up prints. Browser-safe (no node: imports).
 */
import { ConfigError } from './config-error.ts'
import { formatHostPort, parseHostPort } from './host-port.ts'

export type Kind = 'text' | 'choice' | 'integer' | 'boolean' | 'port' | 'endpoint' | 'addresses' | 'path'

/** Where a setting sits in Settings when it is not at the top level. */
export type Group = 'limits' | 'timeouts' | 'inbound' | 'bufferMemory'

/** A default that depends on the chain; `text` says it for config.toml and the docs (markdown). */
export interface ChainDefault<T> {
  readonly ofChain: (chainId: string) => T
  readonly text: string
}

/** A default taken from the peer-limit profile (004 §10.2), one value per profile name. */
export interface ProfileDefault<T> {
  readonly byProfile: Readonly<Record<string, T>>
}

export type Default<T> = T | ChainDefault<T> | ProfileDefault<T>

/** What every setting's definition gives. */
interface Base {
  /** config.toml key: `name` at the top level, `table.name` in a table. */
  readonly key: string
  readonly group?: Group
  /** What it does and the spec section that sets it; config.toml's comment above the key. */
  readonly doc: string
  /** The `paw-node start` flag that overrides it, without its dashes. */
  readonly flag?: string
}

/** A definition ready for use; markdown in `unit`, `note` and chain-default texts. */
export interface Definition<T = unknown> extends Base {
  readonly kind: Kind
  readonly default: Default<T>
  /** The unit, or the value's form in words where the kind does not say it. */
  readonly unit?: string
  /** Said after the range, e.g. what 0 means. */
  readonly note?: string
  readonly min?: number
  readonly max?: number
  /** The setting (its name in Settings) this one may not exceed. */
  readonly atMost?: string
  /** The setting this one must be given with: both or neither. */
  readonly pairedWith?: string
  readonly choices?: readonly string[]
  /** null is a value of its own (a listener off, no file) rather than "take the default". */
  readonly nullable: boolean
  /** `value` as the setting holds it, or a ConfigError naming the key and what is allowed. */
  readonly check: (value: unknown) => T
}

export function isChainDefault<T>(value: Default<T>): value is ChainDefault<T> {
  return typeof value === 'object' && value !== null && 'ofChain' in value
}

export function isProfileDefault<T>(value: Default<T>): value is ProfileDefault<T> {
  return typeof value === 'object' && value !== null && 'byProfile' in value
}

const got = (value: unknown) => `got ${JSON.stringify(value)}`

function integerIn(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(key, `must be an integer from ${min} to ${max}, ${got(value)}`)
  }
  return value
}

export function integer<
  const S extends Base & {
    unit: string
    min: number
    max: number
    default: number | ProfileDefault<number>
    atMost?: string
    note?: string
  },
>(spec: S) {
  const check = (value: unknown) => integerIn(spec.key, value, spec.min, spec.max)
  return { ...spec, kind: 'integer' as const, nullable: false, check }
}

/** A port; 0 picks a free one, null turns the listener off. */
export function port<const S extends Base & { default: number }>(spec: S) {
  const check = (value: unknown) => (value === null ? null : integerIn(spec.key, value, 0, 65535))
  return { ...spec, kind: 'port' as const, nullable: true, check }
}

/** A string; `verify` throws an Error whose message says what is wrong with it. */
export function text<
  const S extends Base & { unit: string; default: string; verify: (value: string) => void },
>(spec: S) {
  const check = (value: unknown): string => {
    if (typeof value !== 'string') throw new ConfigError(spec.key, `must be a string, ${got(value)}`)
    try {
      spec.verify(value)
    } catch (error) {
      throw new ConfigError(spec.key, (error as Error).message)
    }
    return value
  }
  return { ...spec, kind: 'text' as const, nullable: false, check }
}

export function choice<
  const S extends Base & { choices: readonly string[]; default: string | ChainDefault<string> },
>(spec: S) {
  type Choice = S['choices'][number]
  const check = (value: unknown): Choice => {
    if (typeof value !== 'string' || !spec.choices.includes(value)) {
      throw new ConfigError(spec.key, `must be one of ${spec.choices.join(', ')}, ${got(value)}`)
    }
    return value as Choice
  }
  return { ...spec, kind: 'choice' as const, nullable: false, check }
}

export function boolean<const S extends Base & { default: boolean }>(spec: S) {
  const check = (value: unknown): boolean => {
    if (typeof value !== 'boolean') throw new ConfigError(spec.key, `must be true or false, ${got(value)}`)
    return value
  }
  return { ...spec, kind: 'boolean' as const, nullable: false, check }
}

/** Peer addresses (multiaddr, id@host:port or host:port; the file reader parses each). */
export function addresses<const S extends Base & { default: readonly string[] | ChainDefault<string[]> }>(
  spec: S,
) {
  const check = (value: unknown): string[] => {
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
      throw new ConfigError(spec.key, 'must be a list of non-empty strings')
    }
    return [...value]
  }
  return { ...spec, kind: 'addresses' as const, nullable: false, check }
}

/** A file path, or null for none. */
export function path<const S extends Base & { unit: string; default: null; pairedWith?: string }>(spec: S) {
  const check = (value: unknown): string | null => {
    if (value !== null && (typeof value !== 'string' || value.length === 0)) {
      throw new ConfigError(spec.key, 'must be a file path')
    }
    return value
  }
  return { ...spec, kind: 'path' as const, nullable: true, check }
}

/** `host:port` normalised (IPv6 in brackets), or null for off: `off`, empty, or null. */
export function endpoint<const S extends Base & { default: string }>(spec: S) {
  const check = (value: unknown): string | null => {
    if (value === null || value === '' || value === 'off') return null
    if (typeof value !== 'string') {
      throw new ConfigError(spec.key, `must be "host:port" or "off", ${got(value)}`)
    }
    try {
      return formatHostPort(parseHostPort(value))
    } catch (error) {
      throw new ConfigError(spec.key, (error as Error).message)
    }
  }
  return { ...spec, kind: 'endpoint' as const, nullable: true, check }
}
