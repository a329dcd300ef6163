/**
 * The config.toml template `init` writes: every setting, each with a comment saying what it
 * does, its unit and default, as Cosmos config.toml does.
 */
import { type PeerLimits, PROFILES } from '../config/defaults.ts'
import { defaultText, tomlValue, typeText } from '../config/setting-text.ts'
import { definitionOf, SETTING_NAMES, type Settings, settingValue, splitKey } from '../config/settings.ts'
import { VERSION } from '../version.ts'

/** Comment lines of at most 88 characters, broken between words. */
const wrap = (text: string): string[] => text.match(/\S.{0,86}(?=\s|$)/g) ?? []

const TABLE_TITLES: Record<string, string> = {
  p2p: 'Peer-to-peer networking: listeners, peers, limits and timeouts (004 §3, §10)',
  log: 'Logging (004 §7.2)',
  admin: 'Admin API: the local HTTP endpoint operators and `paw-node tx send` use',
  metrics: 'Prometheus metrics: a listener of its own that serves GET /metrics only',
  mining: 'Mining (node_type = "miner")',
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
  for (const name of SETTING_NAMES) {
    const definition = definitionOf(name)
    const { table: fieldTable, name: key } = splitKey(definition.key)
    if (fieldTable !== undefined && fieldTable !== table) {
      table = fieldTable
      const banner = '#'.repeat(88)
      out.push('', '', banner, `### ${TABLE_TITLES[table] ?? table}`, banner, `[${table}]`)
    }
    out.push('')
    const type = `Type: ${typeText(name, 'toml')}. Default: ${defaultText(name, 'toml')}.`
    for (const line of [...wrap(definition.doc), ...wrap(type)]) out.push(`# ${line}`)
    const value = settingValue(settings, name)
    const inherited =
      definition.group === 'limits' && value === PROFILES[settings.profile][name as keyof PeerLimits]
    out.push(`${inherited ? '# ' : ''}${key} = ${tomlValue(value)}`)
  }
  return `${out.join('\n')}\n`
}
