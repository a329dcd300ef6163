/** config.toml: the template documents every setting and reads back; the reader is strict. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PROFILES } from '../../src/config/defaults.ts'
import { defaultText, typeText } from '../../src/config/setting-text.ts'
import {
  ConfigError,
  resolveSettings,
  SETTING_KEYS,
  SETTING_NAMES,
  type Settings,
} from '../../src/config/settings.ts'
import { mergeSettings, parseConfig, readConfigFile } from '../../src/node/config-file.ts'
import { configTemplate } from '../../src/node/config-template.ts'

const PEER = '12D3KooWLJszRpqqnvtfS6a8QXCFBQ8UYBjVxAaKRAn57N745mqN'
const defaults = resolveSettings()
const template = configTemplate(defaults)

function configError(text: string): ConfigError {
  try {
    parseConfig(text)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(text)}`)
}

/** The template's lines of one table ('' = top level), as config.toml sections them. */
function section(text: string, table: string): string[] {
  const lines = text.split('\n')
  const out: string[] = []
  let current = ''
  for (const line of lines) {
    const header = /^\[(\w+)\]$/.exec(line)
    if (header !== null) current = header[1] ?? ''
    else if (current === table) out.push(line)
  }
  return out
}

describe('configTemplate', () => {
  it('reads back to the defaults', () => {
    expect(resolveSettings(parseConfig(template))).toEqual(defaults)
  })

  it('reads back to settings that differ from the defaults in every field', () => {
    const settings: Settings = resolveSettings({
      chainId: 'paw-testnet',
      nodeType: 'light',
      listenHost: '127.0.0.1',
      tcpPort: 0,
      wsPort: null,
      bootstrap: [`/ip4/10.0.0.1/tcp/26656/p2p/${PEER}`, `${PEER}@seed.example.org:26656`],
      persistentPeers: [`${PEER}@[::1]:26656`],
      seeds: ['seed.example.org:26656'],
      seedMode: true,
      wsTlsCertFile: '/etc/paw/cert.pem',
      wsTlsKeyFile: '/etc/paw/key.pem',
      profile: 'high-traffic',
      limits: { maxPeers: 150, maxInbound: 70, maxOutbound: 60, minOutbound: 5 },
      timeouts: {
        dialMs: 1,
        handshakeMs: 2,
        readIdleMs: 3,
        writeMs: 4,
        pingIntervalMs: 5,
        inactivityMs: 6,
      },
      dialQueueSize: 7,
      maintenanceIntervalMs: 800,
      inbound: { perHostPerSecond: 9, maxPending: 10 },
      logLevel: 'debug',
      logFormat: 'json',
      adminListen: '0.0.0.0:9000',
      adminAllowRemote: true,
      metricsEnabled: true,
      metricsListen: '0.0.0.0:9100',
      minerHashesPerSecond: 50_000,
      bufferMemory: { nodeMiB: 512, peerMiB: 32 },
    })
    const flat = (s: Settings) => ({ ...s, ...s.limits, ...s.timeouts, ...s.inbound, ...s.bufferMemory })
    for (const [name, value] of Object.entries(flat(settings))) {
      expect(value, name).not.toEqual(flat(defaults)[name as keyof ReturnType<typeof flat>])
    }
    const text = configTemplate(settings)
    expect(text).toContain('ws_port = false')
    expect(text).toContain('[admin]\n')
    expect(text).toContain('allow_remote = true\n')
    expect(text).toContain('max_peers = 150\n')
    expect(text).toContain('[mining]\n')
    expect(text).toContain('\nmax_hashes_per_second = 50000\n')
    expect(resolveSettings(parseConfig(text))).toEqual(settings)
  })

  it('writes a limit equal to its profile commented out, one that differs as an active line', () => {
    const text = configTemplate(resolveSettings({ profile: 'high-traffic', limits: { maxPeers: 150 } }))
    expect(text).toContain('\nmax_peers = 150\n')
    expect(text).toContain('\n# max_inbound = 100\n')
  })

  it('writes every setting in its table, each under a comment with its type and default', () => {
    for (const setting of SETTING_NAMES) {
      const key = SETTING_KEYS[setting]
      const [table, name] = key.includes('.') ? (key.split('.') as [string, string]) : ['', key]
      const lines = section(template, table)
      const at = lines.findIndex((line) => new RegExp(`^(# )?${name} = `).test(line))
      expect(at, `${key} is in the template`).toBeGreaterThan(0)
      const comment: string[] = []
      for (let i = at - 1; i >= 0 && lines[i]?.startsWith('# '); i--) comment.unshift(lines[i] ?? '')
      expect(comment.length, `${key} has a comment`).toBeGreaterThanOrEqual(2)
      const text = comment.map((line) => line.slice(2)).join(' ')
      expect(text, `${key} comment`).toContain(
        `Type: ${typeText(setting, 'toml')}. Default: ${defaultText(setting, 'toml')}.`,
      )
    }
  })

  it('leaves the peer limits to the profile, so changing profile alone takes effect', () => {
    for (const name of ['max_peers', 'max_inbound', 'max_outbound', 'min_outbound']) {
      expect(template).toMatch(new RegExp(`^# ${name} = \\d+$`, 'm'))
    }
    const lowResource = template.replace('profile = "default"', 'profile = "low-resource"')
    expect(lowResource).not.toBe(template)
    expect(resolveSettings(parseConfig(lowResource)).limits).toEqual(PROFILES['low-resource'])
  })

  it('is documented in docs/configuration.md, setting by setting', async () => {
    const docs = await readFile(
      fileURLToPath(new URL('../../docs/configuration.md', import.meta.url)),
      'utf8',
    )
    for (const key of Object.values(SETTING_KEYS)) expect(docs, key).toContain(`\`${key}\``)
  })
})

describe('parseConfig', () => {
  it('names an unknown key, with the setting it probably meant', () => {
    const error = configError('[p2p]\nmax_inboud = 3\n')
    expect(error.key).toBe('p2p.max_inboud')
    expect(error.message).toContain('unknown setting p2p.max_inboud')
    expect(error.message).toContain('did you mean p2p.max_inbound?')
  })

  it('names a known setting in the wrong table', () => {
    const error = configError('port = 26656\n')
    expect(error.key).toBe('port')
    expect(error.message).toContain('did you mean p2p.port?')
  })

  it('names an unknown table', () => {
    const error = configError('[rpc]\nladdr = "x"\n')
    expect(error.key).toBe('rpc')
    expect(error.message).toContain('unknown table [rpc]')
  })

  it.each([
    ['[p2p]\nmax_peers = "100"', 'p2p.max_peers', 'must be an integer, got the string "100"'],
    ['[p2p]\nmax_peers = 10.5', 'p2p.max_peers', 'must be an integer, got the float 10.5'],
    ['[p2p]\nport = true', 'p2p.port', 'must be a port number or false'],
    ['chain_id = 7', 'chain_id', 'must be a string'],
    ['[p2p]\nbootstrap = "a"', 'p2p.bootstrap', 'must be an array of strings'],
    ['[p2p]\nbootstrap = [1]', 'p2p.bootstrap[0]', 'must be a string'],
    ['[log]\nlevel = 2024-01-01', 'log.level', 'got a date'],
    ['p2p = 1', 'p2p', 'must be a table'],
  ])('names a value of the wrong type: %j', (text, key, message) => {
    const error = configError(text)
    expect(error.key).toBe(key)
    expect(error.message).toContain(message)
  })

  it('names a peer address that is neither a multiaddr nor id@host:port', () => {
    const error = configError(`[p2p]\npersistent_peers = ["${PEER}@1.2.3.4:26656", "nonsense"]`)
    expect(error.key).toBe('p2p.persistent_peers[1]')
    expect(error.message).toContain('"nonsense"')
  })

  it('reports a TOML syntax error with its line and column', () => {
    const error = configError('chain_id = "a"\n[p2p\nport = 1\n')
    expect(error.key).toBe('config.toml')
    expect(error.message).toMatch(/syntax error at line 2, column \d+/)
  })

  it('maps ws_port = false to a disabled listener', () => {
    const input = parseConfig('[p2p]\nws_port = false\nport = 0\n')
    expect(input).toEqual({ wsPort: null, tcpPort: 0 })
    const settings = resolveSettings(input)
    expect(settings.wsPort).toBeNull()
    expect(settings.tcpPort).toBe(0)
  })

  it('leaves range and relation checks to resolveSettings, which names the key', () => {
    const input = parseConfig('[p2p]\nmax_peers = 50\nmax_inbound = 60\n')
    expect(() => resolveSettings(input)).toThrow(ConfigError)
    try {
      resolveSettings(input)
    } catch (error) {
      expect((error as ConfigError).key).toBe('p2p.max_inbound')
      expect((error as ConfigError).message).toContain('invalid setting p2p.max_inbound')
    }
  })
})

describe('readConfigFile', () => {
  it('reads a file and names it in errors; a missing file is a ConfigError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paw-config-test-'))
    try {
      const path = join(dir, 'config.toml')
      await writeFile(path, 'chain_id = "paw-devnet"\n[log]\nformat = "json"\n')
      expect(await readConfigFile(path)).toEqual({ chainId: 'paw-devnet', logFormat: 'json' })
      await writeFile(path, '[p2p]\nmax_inboud = 3\n')
      await expect(readConfigFile(path)).rejects.toThrow(`${path}: unknown setting p2p.max_inboud`)
      const missing = await readConfigFile(join(dir, 'none.toml')).catch((e: unknown) => e)
      expect(missing).toBeInstanceOf(ConfigError)
      expect((missing as Error).message).toContain('none.toml')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('mergeSettings', () => {
  it('lets flags override the file, nested groups field by field, undefined overriding nothing', () => {
    const merged = mergeSettings(
      {
        chainId: 'a',
        tcpPort: 1,
        wsPort: 2,
        limits: { maxPeers: 10, maxInbound: 5 },
        timeouts: { dialMs: 9 },
      },
      { chainId: 'b', wsPort: null, tcpPort: undefined, limits: { maxInbound: 7 } },
    )
    expect(merged).toEqual({
      chainId: 'b',
      tcpPort: 1,
      wsPort: null,
      limits: { maxPeers: 10, maxInbound: 7 },
      timeouts: { dialMs: 9 },
      inbound: {},
      bufferMemory: {},
    })
  })
})
