/**
 * A setting's type and default in words, from its definition: the `Type: … Default: …`
 * line config.toml carries (src/node/config-template.ts) and the type and default columns of
 * docs/configuration.md (test/config/settings-docs.test.ts), so both say what resolveSettings
 * checks. Markdown for the docs; config.toml gets the same words without the backticks.
 */
import { isChainDefault, isProfileDefault } from './setting-kinds.ts'
import { definitionOf, type SettingName, splitKey } from './settings.ts'

export type Style = 'toml' | 'markdown'

/** A value as TOML: JSON's strings, integers and string arrays are valid TOML; no null in TOML. */
export function tomlValue(value: unknown): string {
  return value === null ? 'false' : JSON.stringify(value)
}

const plain = (markdown: string) => markdown.replaceAll('`', '')

/** Each kind's form where the definition's unit does not give it. */
const KIND_TEXT = {
  boolean: { toml: 'true or false', markdown: '`true` or `false`' },
  port: {
    toml: 'port number 1-65535; 0 picks a free port; false disables this listener',
    markdown: 'port 1–65535; `0` any free port; `false` off',
  },
  addresses: {
    toml: 'array of strings, each a multiaddr, id@host:port or host:port',
    markdown: 'array of addresses',
  },
  endpoint: {
    toml: 'string "host:port" (IPv6 as "[::1]:26658"); port 0 picks a free port; "off" or false disables it',
    markdown: '`"host:port"` (IPv6 as `"[::1]:26658"`); port `0` any free port; `"off"`, `""` or `false` off',
  },
} as const

/** Another setting's key as this one's text names it: without the table when they share it. */
function relatedKey(name: SettingName, other: string, style: Style): string {
  const key = splitKey(definitionOf(other as SettingName).key)
  const shown = key.table === splitKey(definitionOf(name).key).table ? key.name : `${key.table}.${key.name}`
  return style === 'markdown' ? `\`${shown}\`` : shown
}

/** The setting's type, unit and range, e.g. `count, 0-10000, at most max_peers`. */
export function typeText(name: SettingName, style: Style): string {
  const definition = definitionOf(name)
  const { kind, unit, min, max, atMost, note, choices } = definition
  switch (kind) {
    case 'boolean':
    case 'port':
    case 'addresses':
    case 'endpoint':
      return KIND_TEXT[kind][style]
    case 'text':
      return unit ?? ''
    case 'path':
      return style === 'toml' ? `${unit}, or false` : (unit ?? '')
    case 'choice': {
      const quoted = (choices ?? []).map((c) => JSON.stringify(c))
      return style === 'toml' ? `one of ${quoted.join(', ')}` : quoted.map((q) => `\`${q}\``).join(', ')
    }
    case 'integer': {
      const dash = style === 'toml' ? '-' : '–'
      let out = `${unit}, ${min}${dash}${max}`
      if (atMost !== undefined) out += `, at most ${relatedKey(name, atMost, style)}`
      if (note !== undefined) out += `; ${style === 'toml' ? plain(note) : note}`
      return out
    }
  }
}

/** The setting's default; a default that depends on the chain or the profile says so. */
export function defaultText(name: SettingName, style: Style): string {
  const fallback = definitionOf(name).default
  if (isChainDefault(fallback)) return style === 'toml' ? plain(fallback.text) : fallback.text
  if (isProfileDefault(fallback)) {
    if (style === 'markdown') return `from profile (${fallback.byProfile.default})`
    const values = Object.entries(fallback.byProfile).map(([profile, value]) => `${profile} ${value}`)
    return `from profile (${values.join(', ')})`
  }
  if (style === 'toml') return tomlValue(fallback)
  return fallback === null ? 'unset' : `\`${tomlValue(fallback)}\``
}
