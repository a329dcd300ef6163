/**
 * docs/configuration.md and the README say what the setting definitions say: every setting
 * has its row, its type and default cells are the ones derived from its definition, and the
 * flag, profile, memory-budget and README tables name the right keys and values. The type
 * and default cells are generated: after changing a definition, run
 * `npx vitest run test/config/settings-docs.test.ts -u` to rewrite them, then read the diff.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PROFILES } from '../../src/config/defaults.ts'
import { defaultText, typeText } from '../../src/config/setting-text.ts'
import {
  definitionOf,
  resolveSettings,
  SETTING_KEYS,
  SETTING_NAMES,
  type SettingName,
  settingValue,
} from '../../src/config/settings.ts'

const DOCS = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url))
const README = fileURLToPath(new URL('../../README.md', import.meta.url))
const BY_KEY = new Map<string, SettingName>(SETTING_NAMES.map((name) => [SETTING_KEYS[name], name]))

/** The lines of the section that starts with `heading`, up to the next heading of its level. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n')
  const start = lines.indexOf(heading)
  expect(start, heading).toBeGreaterThanOrEqual(0)
  const level = heading.split(' ')[0] ?? ''
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.split(' ')[0] === level)
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** A table row's cells; rows only, not the header's separator. */
function cells(line: string): string[] | undefined {
  if (!line.startsWith('| ') || !line.endsWith(' |') || line.startsWith('| ---')) return undefined
  return line
    .slice(2, -2)
    .split(' | ')
    .map((cell) => cell.trim())
}

/** The setting a row of "Every setting" documents (its first cell is the key in backticks). */
function settingOf(row: string[]): SettingName | undefined {
  return BY_KEY.get(/^`([^`]+)`$/.exec(row[0] ?? '')?.[1] ?? '')
}

/** `text` with the type and default cells of every setting's row derived from its definition. */
function withDerivedCells(text: string): string {
  const lines = text.split('\n')
  const first = lines.indexOf('### Every setting')
  const last = lines.indexOf('### Peer addresses')
  return lines
    .map((line, i) => {
      const row = i > first && i < last ? cells(line) : undefined
      const name = row === undefined ? undefined : settingOf(row)
      if (row === undefined || name === undefined) return line
      const [key, , , ...rest] = row
      return `| ${[key, typeText(name, 'markdown'), defaultText(name, 'markdown'), ...rest].join(' | ')} |`
    })
    .join('\n')
}

const docs = await readFile(DOCS, 'utf8')
const readme = await readFile(README, 'utf8')

describe('docs/configuration.md', () => {
  it('"Every setting" has one row per setting, in config.toml order', () => {
    const keys = section(docs, '### Every setting')
      .map(cells)
      .flatMap((row) => (row === undefined || row[0] === 'key' ? [] : [row[0]]))
    expect(keys).toEqual(SETTING_NAMES.map((name) => `\`${SETTING_KEYS[name]}\``))
  })

  it('gives each setting the type and default of its definition (-u rewrites them)', async () => {
    await expect(withDerivedCells(docs)).toMatchFileSnapshot(DOCS)
  })

  it('maps each flag to the setting whose definition names it', () => {
    const documented = new Map<string, string>()
    for (const row of section(docs, '## Command-line flags').map(cells)) {
      const flag = /^`(--[a-z-]+)/.exec(row?.[0] ?? '')?.[1]
      const key = /^`([a-z0-9_.]+)`$/.exec(row?.[1] ?? '')?.[1]
      if (flag !== undefined && key !== undefined) documented.set(flag, key)
    }
    const expected = new Map<string, string>([['--mine', SETTING_KEYS.nodeType]])
    for (const name of SETTING_NAMES) {
      const { flag, key } = definitionOf(name)
      if (flag !== undefined) expected.set(`--${flag}`, key)
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected))
  })

  it("gives each profile's limits as the definitions do", () => {
    const rows = section(docs, '### Peer limits and profiles').flatMap((line) => {
      const row = cells(line)
      const profile = /^`([a-z-]+)`$/.exec(row?.[0]?.trim() ?? '')?.[1]
      return row === undefined || profile === undefined ? [] : [[profile, row.slice(1).map(Number)]]
    })
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(
        Object.entries(PROFILES).map(([profile, limits]) => [profile, Object.values(limits)]),
      ),
    )
  })

  it('gives the memory budget its keys, flags and defaults', () => {
    const defaults = resolveSettings()
    let seen = 0
    for (const row of section(docs, '### Memory budget').map(cells)) {
      const match = /^`([a-z0-9_.]+)` \(`--([a-z-]+)`\)$/.exec(row?.[0] ?? '')
      if (row === undefined || match === null) continue
      const name = BY_KEY.get(match[1] ?? '') as SettingName
      expect(definitionOf(name).flag).toBe(match[2])
      expect(row[1]).toBe(`${settingValue(defaults, name)} MiB`)
      seen++
    }
    expect(seen).toBe(2)
  })
})

describe('README.md "Configuration"', () => {
  it('gives the [p2p] defaults of the definitions', () => {
    const defaults = resolveSettings()
    let seen = 0
    for (const row of section(readme, '## Configuration').map(cells)) {
      const names = [...(row?.[0] ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => BY_KEY.get(`p2p.${m[1]}`))
      if (row === undefined || names.length === 0 || names.includes(undefined)) continue
      const given = row[1] ?? ''
      if (names[0] === 'profile') {
        expect(given.startsWith(`\`${defaults.profile}\``)).toBe(true)
        for (const [profile, limits] of Object.entries(PROFILES)) {
          if (profile === 'default') continue
          expect(given).toContain(
            `\`${profile}\` ${limits.maxPeers}/${limits.maxInbound}/${limits.maxOutbound}`,
          )
        }
      } else {
        const numbers = [...given.matchAll(/\d{1,3}(?:,\d{3})+(?!\d)|\d+/g)].map((m) =>
          Number(m[0].replaceAll(',', '')),
        )
        expect(numbers, row[0]).toEqual(names.map((name) => settingValue(defaults, name as SettingName)))
      }
      seen++
    }
    expect(seen).toBeGreaterThanOrEqual(8)
  })
})
