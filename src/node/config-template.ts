/**
 * The config.toml template `init` writes: every setting, each with a comment saying what it
 * does, its unit and default, as Cosmos config.toml does.
 */
import { type PeerLimits, PROFILES } from '../config/defaults.ts'
import { resolveSettings, SETTING_KEYS, type Settings } from '../config/settings.ts'
import { VERSION } from '../version.ts'
import { FIELDS, getValue, groupOf, NAMES, type SettingName, split, UNITS } from './config-fields.ts'

/** A value as TOML: JSON's strings, integers and string arrays are valid TOML; no null in TOML. */
function show(value: unknown): string {
  return value === null ? 'false' : JSON.stringify(value)
}

/** Comment lines of at most 88 characters, broken between words. */
const wrap = (text: string): string[] => text.match(/\S.{0,86}(?=\s|$)/g) ?? []

const TABLE_TITLES: Record<string, string> = {
  p2p: 'Peer-to-peer networking: listeners, peers, limits and timeouts (004 §3, §10)',
  log: 'Logging (004 §7.2)',
  admin: 'Admin API: the local HTTP endpoint operators and `paw-node tx send` use',
  mining: 'Mining (node_type = "miner")',
}

const DEFAULTS = resolveSettings()

function defaultText(name: SettingName): string {
  if (groupOf(name) === 'limits') {
    const value = (profile: keyof typeof PROFILES) => show(PROFILES[profile][name as keyof PeerLimits])
    return `from profile (default ${value('default')}, high-traffic ${value('high-traffic')}, low-resource ${value('low-resource')})`
  }
  return show(getValue(DEFAULTS, name))
}

/**
 * config.toml for `settings`, every setting preceded by what it does, its unit and default.
 * Peer limits equal to their profile's are written commented out, so that changing
 * `profile` alone takes effect; a limit that differs is written as an active line.
 */
export function configTemplate(settings: Settings): string {
  const out = [
    `# PAW node configuration, written by paw-node ${VERSION}.`,
    '# Every setting is listed. Flags of `paw-node start` override these values for one run.',
    '# Reference: docs/configuration.md.',
  ]
  let table: string | undefined
  for (const name of NAMES) {
    const field = FIELDS[name]
    const { table: fieldTable, name: key } = split(SETTING_KEYS[name])
    if (fieldTable !== undefined && fieldTable !== table) {
      table = fieldTable
      const banner = '#'.repeat(88)
      out.push('', '', banner, `### ${TABLE_TITLES[table] ?? table}`, banner, `[${table}]`)
    }
    out.push('')
    const type = `Type: ${field.unit ?? UNITS[field.kind]}. Default: ${defaultText(name)}.`
    for (const line of [...wrap(field.doc), ...wrap(type)]) out.push(`# ${line}`)
    const value = getValue(settings, name)
    const inherited =
      groupOf(name) === 'limits' && value === PROFILES[settings.profile][name as keyof PeerLimits]
    out.push(`${inherited ? '# ' : ''}${key} = ${show(value)}`)
  }
  return `${out.join('\n')}\n`
}
