/**
 * The node's settings: what config.toml, CLI flags and library callers configure, resolved
 * against the defaults and validated in one place, so a bad value stops start-up with a
 * message that names it (the same names config.toml uses). Each setting is defined once, in
 * setting-definitions.ts; the types, the keys and the checks here are derived from it.
 */
import { ConfigError } from './config-error.ts'
import { isLoopbackHost, parseHostPort } from './host-port.ts'
import { type ProfileName, SETTING_DEFINITIONS } from './setting-definitions.ts'
import { type Definition, type Group, isChainDefault, isProfileDefault } from './setting-kinds.ts'

export { ConfigError }

type Table = typeof SETTING_DEFINITIONS
/** A setting's name in Settings (or in its group), e.g. `maxInbound`. */
export type SettingName = keyof Table
type ValueOf<N extends SettingName> = ReturnType<Table[N]['check']>
type Members<G extends Group> = {
  [N in SettingName as Table[N] extends { group: G } ? N : never]: ValueOf<N>
}
type TopLevel = { [N in SettingName as Table[N] extends { group: Group } ? never : N]: ValueOf<N> }

/** Peer limits (004 §3.2, §10): the profile's, each overridable. */
export interface PeerLimits extends Members<'limits'> {}
/** The timeouts of 004 §3.1 and §10.1, in milliseconds. */
export interface Timeouts extends Members<'timeouts'> {}
/** libp2p's inbound connection guards (004 §6.2). */
export interface InboundGuards extends Members<'inbound'> {}
/** The memory budget of /paw/* streams, in MiB (docs/configuration.md "Memory budget"). */
export interface BufferMemory extends Members<'bufferMemory'> {}

/** Every setting, resolved: what each means is in setting-definitions.ts and docs/configuration.md. */
export interface Settings extends TopLevel {
  limits: PeerLimits
  timeouts: Timeouts
  inbound: InboundGuards
  bufferMemory: BufferMemory
}

/** A setting that can be off (null) may also be given `false`, the word config.toml uses. */
type OffAsFalse<T> = { [K in keyof T]?: null extends T[K] ? T[K] | false : T[K] }

/** What a caller may give: any subset; limits and timeouts field by field. */
export type SettingsInput = OffAsFalse<Omit<Settings, Group>> & {
  limits?: Partial<PeerLimits>
  timeouts?: Partial<Timeouts>
  inbound?: Partial<InboundGuards>
  bufferMemory?: Partial<BufferMemory>
}

/** Every setting's name, in config.toml's order. */
export const SETTING_NAMES = Object.keys(SETTING_DEFINITIONS) as SettingName[]

/** A setting's definition, as its kind-independent shape. */
export function definitionOf(name: SettingName): Definition {
  return SETTING_DEFINITIONS[name]
}

/** config.toml names of the settings, for messages. */
export const SETTING_KEYS = Object.fromEntries(
  SETTING_NAMES.map((name) => [name, definitionOf(name).key]),
) as { readonly [N in SettingName]: Table[N]['key'] }

/** The key as config.toml spells it, split into its table and its name in the table. */
export function splitKey(key: string): { table: string | undefined; name: string } {
  const dot = key.indexOf('.')
  return dot < 0 ? { table: undefined, name: key } : { table: key.slice(0, dot), name: key.slice(dot + 1) }
}

/** The value of `name` in `settings`, wherever its group puts it. */
export function settingValue(settings: Settings, name: SettingName): unknown {
  const group = definitionOf(name).group
  return ((group === undefined ? settings : settings[group]) as unknown as Record<string, unknown>)[name]
}

/** Sets `name` in `input`, in its group when it has one (other members of the group stay). */
export function setSetting(input: SettingsInput, name: SettingName, value: unknown): void {
  const group = definitionOf(name).group
  const target = input as Record<string, unknown>
  if (group === undefined) target[name] = value
  else target[group] = { ...(target[group] as object | undefined), [name]: value }
}

/** The library's name for the setting whose config.toml key is `key`: `maxInbound` → `limits.maxInbound`. */
export function optionNameOf(key: string): string | undefined {
  const name = SETTING_NAMES.find((candidate) => definitionOf(candidate).key === key)
  if (name === undefined) return undefined
  const group = definitionOf(name).group
  return group === undefined ? name : `${group}.${name}`
}

/**
 * resolveSettings for a library caller: a bad value is reported by the option they passed
 * (`limits.maxInbound`), with its config.toml key after it.
 */
export function resolveOptions(input: SettingsInput = {}): Settings {
  try {
    return resolveSettings(input)
  } catch (error) {
    const option = error instanceof ConfigError ? optionNameOf(error.key) : undefined
    if (option === undefined) throw error
    throw (error as ConfigError).forOption(option)
  }
}

/** The value `input` gives `name`, undefined if none. */
function given(input: SettingsInput, name: SettingName): unknown {
  const group = definitionOf(name).group
  const holder = group === undefined ? input : input[group]
  return (holder as Record<string, unknown> | undefined)?.[name]
}

/** The checked value of `name`: the given one, else its default (per chain, per profile). */
function resolveOne(input: SettingsInput, name: SettingName, chainId: string, profile: ProfileName): unknown {
  const definition = definitionOf(name)
  const raw = given(input, name)
  // `false` turns off what can be off, as in config.toml (`ws_port = false`).
  const value = raw === false && definition.nullable ? null : raw
  if (value !== undefined && (value !== null || definition.nullable)) return definition.check(value)
  const fallback = definition.default
  if (isChainDefault(fallback)) return definition.check(fallback.ofChain(chainId))
  if (isProfileDefault(fallback)) return definition.check(fallback.byProfile[profile])
  return definition.check(fallback)
}

/** The rules between settings: a limit under another, settings given in pairs. */
function checkRelations(values: Readonly<Record<SettingName, unknown>>): void {
  for (const name of SETTING_NAMES) {
    const { key, atMost, pairedWith } = definitionOf(name)
    const value = values[name]
    if (atMost !== undefined) {
      const bound = values[atMost as SettingName] as number
      if ((value as number) > bound) {
        throw new ConfigError(key, `${value} is above ${definitionOf(atMost as SettingName).key} (${bound})`)
      }
    }
    if (pairedWith !== undefined && value === null && values[pairedWith as SettingName] !== null) {
      throw new ConfigError(key, `is needed with ${definitionOf(pairedWith as SettingName).key}`)
    }
  }
  // Whoever reaches the admin API can submit transactions and ban peers: a host other than
  // loopback must be asked for.
  const admin = values.adminListen as string | null
  if (admin !== null && values.adminAllowRemote !== true) {
    const { host } = parseHostPort(admin)
    if (!isLoopbackHost(host)) {
      throw new ConfigError(
        SETTING_KEYS.adminListen,
        `${host} is not a loopback address, and whoever reaches the admin API can submit transactions; ` +
          `listen on 127.0.0.1, or set ${SETTING_KEYS.adminAllowRemote} = true to expose it deliberately`,
      )
    }
  }
}

/** Resolves `input` against the defaults (limits from the profile) and validates every field. */
export function resolveSettings(input: SettingsInput = {}): Settings {
  // The chain and the profile first: other settings' defaults depend on them.
  const chainId = resolveOne(input, 'chainId', '', 'default') as string
  const profile = resolveOne(input, 'profile', chainId, 'default') as ProfileName
  const values = {} as Record<SettingName, unknown>
  for (const name of SETTING_NAMES) values[name] = resolveOne(input, name, chainId, profile)
  checkRelations(values)
  const settings: Record<string, unknown> = {}
  for (const name of SETTING_NAMES) {
    const group = definitionOf(name).group
    if (group === undefined) settings[name] = values[name]
    else settings[group] = { ...(settings[group] as object | undefined), [name]: values[name] }
  }
  return settings as unknown as Settings
}
