/**
 * config.toml: the template `init` writes (every setting, each with a comment saying what it
 * does, its unit and default, as Cosmos config.toml does) and the reader `start` uses.
 * Reading is strict: an unknown key or table, a wrong type or a malformed peer address
 * stops start-up with a ConfigError that names the key; value ranges and the relations
 * between settings are checked once, later, by resolveSettings().
 */
import { readFile } from 'node:fs/promises'
import { parse, TomlError } from 'smol-toml'
import { PROFILES } from '../config/defaults.ts'
import {
  ConfigError,
  resolveSettings,
  SETTING_KEYS,
  type Settings,
  type SettingsInput,
} from '../config/settings.ts'
import { parsePeerAddress } from '../peers/address.ts'
import { VERSION } from '../version.ts'

type SettingName = keyof typeof SETTING_KEYS

interface Field {
  /** What the setting does, with the spec section that sets it. */
  readonly doc: string
  /** Its type and unit as an operator writes it. */
  readonly unit: string
  /** A peer limit: its default comes from `profile` (see configTemplate). */
  readonly byProfile?: true
  /** The TOML text of this setting's value in `settings`. */
  show(settings: Settings): string
  /** Type-checks a parsed TOML value (integers arrive as bigint) and stores it in `input`. */
  read(input: SettingsInput, value: unknown, key: string): void
}

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

function stringField(
  doc: string,
  unit: string,
  get: (s: Settings) => string,
  set: (i: SettingsInput, v: string) => void,
): Field {
  return {
    doc,
    unit,
    show: (s) => JSON.stringify(get(s)),
    read: (input, value, key) => {
      if (typeof value !== 'string') throw wrongType(key, 'a string', value)
      set(input, value)
    },
  }
}

function integerField(
  doc: string,
  unit: string,
  get: (s: Settings) => number,
  set: (i: SettingsInput, v: number) => void,
  byProfile = false,
): Field {
  return {
    doc,
    unit,
    ...(byProfile ? { byProfile: true as const } : {}),
    show: (s) => String(get(s)),
    read: (input, value, key) => set(input, toInteger(key, value)),
  }
}

/** TOML has no null: `false` is how config.toml says "this listener is off". */
function portField(
  doc: string,
  get: (s: Settings) => number | null,
  set: (i: SettingsInput, v: number | null) => void,
): Field {
  return {
    doc,
    unit: 'port number 1-65535; 0 picks a free port; false disables this listener',
    show: (s) => String(get(s) ?? false),
    read: (input, value, key) => {
      if (value === false) return set(input, null)
      set(input, toInteger(key, value, 'a port number or false'))
    },
  }
}

function addressListField(
  doc: string,
  get: (s: Settings) => string[],
  set: (i: SettingsInput, v: string[]) => void,
): Field {
  return {
    doc,
    unit: 'array of strings, each a multiaddr ending in /p2p/<peer id> or id@host:port',
    show: (s) => JSON.stringify(get(s)),
    read: (input, value, key) => {
      if (!Array.isArray(value)) throw wrongType(key, 'an array of strings', value)
      const list = value.map((item, index) => {
        if (typeof item !== 'string') throw wrongType(`${key}[${index}]`, 'a string', item)
        try {
          parsePeerAddress(item)
        } catch (error) {
          throw new ConfigError(`${key}[${index}]`, (error as Error).message)
        }
        return item
      })
      set(input, list)
    },
  }
}

const limit = (i: SettingsInput, patch: Partial<Settings['limits']>) => {
  i.limits = { ...i.limits, ...patch }
}
const timeout = (i: SettingsInput, patch: Partial<Settings['timeouts']>) => {
  i.timeouts = { ...i.timeouts, ...patch }
}
const inbound = (i: SettingsInput, patch: Partial<Settings['inbound']>) => {
  i.inbound = { ...i.inbound, ...patch }
}
const ms = 'milliseconds'

/** Every setting, in SETTING_KEYS order; the Record type makes a missing one a compile error. */
const FIELDS: Record<SettingName, Field> = {
  chainId: stringField(
    'Chain this node belongs to. Peers on another chain are refused at the handshake ' +
      '(0x02 ChainIdMismatch, 004 §1.2).',
    'string, 1 to 32 bytes of UTF-8',
    (s) => s.chainId,
    (i, v) => {
      i.chainId = v
    },
  ),
  listenHost: stringField(
    'IP address the TCP and WebSockets listeners bind to; "0.0.0.0" is every IPv4 interface, ' +
      '"::" every IPv6 one.',
    'IP address or host name',
    (s) => s.listenHost,
    (i, v) => {
      i.listenHost = v
    },
  ),
  tcpPort: portField(
    'TCP port for peers (DECISIONS.md "Transport and security": 26656).',
    (s) => s.tcpPort,
    (i, v) => {
      i.tcpPort = v
    },
  ),
  wsPort: portField(
    'WebSockets port, what browsers dial (DECISIONS.md "Transport and security"; the spec fixes ' +
      'no number, so the one after the TCP port).',
    (s) => s.wsPort,
    (i, v) => {
      i.wsPort = v
    },
  ),
  bootstrap: addressListField(
    'Peers dialled at start to join the network and learn other peers from (004 §2).',
    (s) => s.bootstrap,
    (i, v) => {
      i.bootstrap = v
    },
  ),
  persistentPeers: addressListField(
    'Peers kept connected: redialled with backoff forever, never dropped from the peer list (004 §3.3).',
    (s) => s.persistentPeers,
    (i, v) => {
      i.persistentPeers = v
    },
  ),
  profile: stringField(
    'Peer-limit profile (004 §10.2): "default" 100/50/50, "high-traffic" 200/100/100, ' +
      '"low-resource" 20/10/10 (max peers / inbound / outbound). The four limits below ' +
      'override it one by one when set.',
    'one of "default", "high-traffic", "low-resource"',
    (s) => s.profile,
    (i, v) => {
      i.profile = v as Settings['profile']
    },
  ),
  maxPeers: integerField(
    'Most peers connected at once, inbound and outbound together (004 §3.2, §10).',
    'count, 1-10000',
    (s) => s.limits.maxPeers,
    (i, v) => limit(i, { maxPeers: v }),
    true,
  ),
  maxInbound: integerField(
    'Most peers that dialled this node (004 §3.2). At most max_peers.',
    'count',
    (s) => s.limits.maxInbound,
    (i, v) => limit(i, { maxInbound: v }),
    true,
  ),
  maxOutbound: integerField(
    'Most peers this node dialled (004 §3.2). At most max_peers.',
    'count',
    (s) => s.limits.maxOutbound,
    (i, v) => limit(i, { maxOutbound: v }),
    true,
  ),
  minOutbound: integerField(
    'Outbound peers the node keeps by dialling known addresses when below it (004 §3.2 ' +
      '"maintained automatically"). At most max_outbound.',
    'count',
    (s) => s.limits.minOutbound,
    (i, v) => limit(i, { minOutbound: v }),
    true,
  ),
  dialQueueSize: integerField(
    'Dials waiting to run at once; more are dropped (004 §6.2).',
    'count, 1-100',
    (s) => s.dialQueueSize,
    (i, v) => {
      i.dialQueueSize = v
    },
  ),
  maintenanceIntervalMs: integerField(
    'How often the connection manager checks its peers (min_outbound, inactivity, persistent peers).',
    `${ms}, at least 10`,
    (s) => s.maintenanceIntervalMs,
    (i, v) => {
      i.maintenanceIntervalMs = v
    },
  ),
  perHostPerSecond: integerField(
    'New inbound connections accepted per second from one IP address; more are refused before ' +
      'any handshake (004 §6.2).',
    'connections per second',
    (s) => s.inbound.perHostPerSecond,
    (i, v) => inbound(i, { perHostPerSecond: v }),
  ),
  maxPending: integerField(
    'Inbound connections still in their encryption/muxer upgrade at once (004 §6.2).',
    'count',
    (s) => s.inbound.maxPending,
    (i, v) => inbound(i, { maxPending: v }),
  ),
  dialMs: integerField(
    'Time allowed to open an outbound connection, encryption and muxer included (004 §3.1).',
    ms,
    (s) => s.timeouts.dialMs,
    (i, v) => timeout(i, { dialMs: v }),
  ),
  handshakeMs: integerField(
    'Time from connection open to a completed /paw/handshake/1; then 0x03 HandshakeTimeout (004 §3.1).',
    ms,
    (s) => s.timeouts.handshakeMs,
    (i, v) => timeout(i, { handshakeMs: v }),
  ),
  readIdleMs: integerField(
    'Idle time allowed while reading a /paw/* stream (004 §3.1, §5.2).',
    ms,
    (s) => s.timeouts.readIdleMs,
    (i, v) => timeout(i, { readIdleMs: v }),
  ),
  writeMs: integerField(
    'Time allowed to send one message (004 §3.1).',
    ms,
    (s) => s.timeouts.writeMs,
    (i, v) => timeout(i, { writeMs: v }),
  ),
  pingIntervalMs: integerField(
    'Interval between keep-alive pings to each peer (004 §3.1, §10.1).',
    ms,
    (s) => s.timeouts.pingIntervalMs,
    (i, v) => timeout(i, { pingIntervalMs: v }),
  ),
  inactivityMs: integerField(
    'A peer from which nothing arrived for this long is disconnected (004 §10.1).',
    ms,
    (s) => s.timeouts.inactivityMs,
    (i, v) => timeout(i, { inactivityMs: v }),
  ),
  logLevel: stringField(
    'Least severe log level written (004 §7.2). Logs go to stderr.',
    'one of "debug", "info", "warn", "error"',
    (s) => s.logLevel,
    (i, v) => {
      i.logLevel = v as Settings['logLevel']
    },
  ),
  logFormat: stringField(
    'Log line format: "plain" text, or "json" (one object per line, for log collectors).',
    'one of "plain", "json"',
    (s) => s.logFormat,
    (i, v) => {
      i.logFormat = v as Settings['logFormat']
    },
  ),
}

const NAMES = Object.keys(SETTING_KEYS) as SettingName[]
const BY_KEY = new Map<string, Field>(NAMES.map((name) => [SETTING_KEYS[name], FIELDS[name]]))
const TABLES = new Set(
  NAMES.map((name) => SETTING_KEYS[name].split('.')).flatMap((p) => (p.length > 1 ? [p[0]] : [])),
)

/** The key as config.toml spells it, split into its table and its name in the table. */
function split(key: string): { table: string | undefined; name: string } {
  const dot = key.indexOf('.')
  return dot < 0 ? { table: undefined, name: key } : { table: key.slice(0, dot), name: key.slice(dot + 1) }
}

function wrap(text: string, width = 88): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(line)
  return lines
}

const TABLE_TITLES: Record<string, string> = {
  p2p: 'Peer-to-peer networking: listeners, peers, limits and timeouts (004 §3, §10)',
  log: 'Logging (004 §7.2)',
}

const DEFAULTS = resolveSettings()

function defaultText(field: Field): string {
  if (field.byProfile === true) {
    const value = (profile: keyof typeof PROFILES) =>
      field.show({ ...DEFAULTS, profile, limits: PROFILES[profile] })
    return `from profile (default ${value('default')}, high-traffic ${value('high-traffic')}, low-resource ${value('low-resource')})`
  }
  return field.show(DEFAULTS)
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
    for (const line of wrap(field.doc)) out.push(`# ${line}`)
    for (const line of wrap(`Type: ${field.unit}. Default: ${defaultText(field)}.`)) out.push(`# ${line}`)
    const value = field.show(settings)
    const inherited =
      field.byProfile === true && value === field.show({ ...settings, limits: PROFILES[settings.profile] })
    out.push(`${inherited ? '# ' : ''}${key} = ${value}`)
  }
  return `${out.join('\n')}\n`
}

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
  const { name } = split(key)
  let best: string | undefined
  let bestDistance = 3
  const candidates = key.includes('.') ? BY_KEY.keys() : [...BY_KEY.keys(), ...TABLES]
  for (const known of candidates) {
    const d = split(known).name === name ? 0 : distance(key, known)
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
      const field = BY_KEY.get(key)
      if (field !== undefined) {
        try {
          field.read(input, value, key)
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
  const { limits, timeouts, inbound: guards, ...rest } = fromFlags
  return {
    ...fromFile,
    ...defined(rest),
    limits: { ...fromFile.limits, ...defined(limits) },
    timeouts: { ...fromFile.timeouts, ...defined(timeouts) },
    inbound: { ...fromFile.inbound, ...defined(guards) },
  }
}
