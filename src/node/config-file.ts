/**
 * config.toml: the template `init` writes (every setting, each with a comment saying what it
 * does, its unit and default, as Cosmos config.toml does) and the reader `start` uses.
 * Reading is strict: an unknown key or table, a wrong type or a malformed peer address
 * stops start-up with a ConfigError that names the key; value ranges and the relations
 * between settings are checked once, later, by resolveSettings().
 */
import { readFile } from 'node:fs/promises'
import { parse, TomlError } from 'smol-toml'
import {
  DEFAULT_BUFFER_MEMORY,
  DEFAULT_INBOUND_GUARDS,
  DEFAULT_TIMEOUTS,
  type PeerLimits,
  PROFILES,
} from '../config/defaults.ts'
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
type Kind = 'string' | 'integer' | 'boolean' | 'port' | 'endpoint' | 'addresses' | 'path'

interface Field {
  readonly kind: Kind
  /** What the setting does, with the spec section that sets it. */
  readonly doc: string
  /** Its unit or allowed values as an operator writes them (ports and addresses have their own). */
  readonly unit?: string
}

const ms = 'milliseconds'

/** Every setting, in SETTING_KEYS order; the Record type makes a missing one a compile error. */
const FIELDS: Record<SettingName, Field> = {
  chainId: {
    kind: 'string',
    unit: 'string, 1 to 32 bytes of UTF-8',
    doc: 'Chain this node belongs to. Peers on another chain are refused at the handshake (0x02 ChainIdMismatch, 004 §1.2).',
  },
  nodeType: {
    kind: 'string',
    unit: 'one of "full", "light", "miner"',
    doc: 'What this node does (000 "Node Types"): "full" stores and validates the whole chain; "light" keeps headers only; "miner" is a full node that also produces blocks, paying the rewards to this node\'s key. Default: "miner" on paw-devnet, "full" on other chains.',
  },
  listenHost: {
    kind: 'string',
    unit: 'IP address or host name',
    doc: 'Address the TCP and WebSockets listeners bind to; "0.0.0.0" is every IPv4 interface, "::" every IPv6 one.',
  },
  tcpPort: { kind: 'port', doc: 'TCP port for peers (DECISIONS.md "Transport and security": 26656).' },
  wsPort: {
    kind: 'port',
    doc: 'WebSockets port, what browsers dial (DECISIONS.md "Transport and security"; the spec fixes no number, so the one after the TCP port).',
  },
  bootstrap: {
    kind: 'addresses',
    doc: 'Peers dialled at start to join the network and learn other peers from (004 §2).',
  },
  persistentPeers: {
    kind: 'addresses',
    doc: 'Peers kept connected: redialled with backoff forever, never dropped from the peer list (004 §3.3).',
  },
  seeds: {
    kind: 'addresses',
    doc: 'Seed nodes (004 §2), asked for peers when the address book runs short and retried with backoff when unreachable: host:port, id@host:port or a multiaddr. Default: the 004 §2.2 seeds on paw-mainnet, none elsewhere.',
  },
  wsTlsCertFile: {
    kind: 'path',
    unit: 'path to a PEM file, or false',
    doc: 'Certificate (PEM) for the WebSockets listener: with ws_tls_key_file it serves wss instead of ws, which a page served over https needs (issue 8). Unset: plain ws.',
  },
  wsTlsKeyFile: {
    kind: 'path',
    unit: 'path to a PEM file, or false',
    doc: 'Private key (PEM) of ws_tls_cert_file.',
  },
  seedMode: {
    kind: 'boolean',
    doc: 'Seed mode (DECISIONS.md "Peer exchange"): answer get_peers from the address book, then disconnect the peer, as CometBFT seeds do.',
  },
  profile: {
    kind: 'string',
    unit: 'one of "default", "high-traffic", "low-resource"',
    doc: 'Peer-limit profile (004 §10.2): "default" 100/50/50, "high-traffic" 200/100/100, "low-resource" 20/10/10 (max peers / inbound / outbound). The four limits below override it one by one when set.',
  },
  maxPeers: {
    kind: 'integer',
    unit: 'count, 1-10000',
    doc: 'Most peers connected at once, inbound and outbound together (004 §3.2, §10).',
  },
  maxInbound: {
    kind: 'integer',
    unit: 'count',
    doc: 'Most peers that dialled this node (004 §3.2). At most max_peers.',
  },
  maxOutbound: {
    kind: 'integer',
    unit: 'count',
    doc: 'Most peers this node dialled (004 §3.2). At most max_peers.',
  },
  minOutbound: {
    kind: 'integer',
    unit: 'count',
    doc: 'Outbound peers the node keeps by dialling known addresses when below it (004 §3.2 "maintained automatically"). At most max_outbound.',
  },
  dialQueueSize: {
    kind: 'integer',
    unit: 'count, 1-100',
    doc: 'Dials waiting to run at once; more are dropped (004 §6.2).',
  },
  maintenanceIntervalMs: {
    kind: 'integer',
    unit: `${ms}, at least 10`,
    doc: 'How often the connection manager checks its peers (min_outbound, inactivity, persistent peers).',
  },
  perHostPerSecond: {
    kind: 'integer',
    unit: 'connections per second',
    doc: 'New inbound connections accepted per second from one IP address; more are refused before any handshake (004 §6.2).',
  },
  maxPending: {
    kind: 'integer',
    unit: 'count',
    doc: 'Inbound connections still in their encryption/muxer upgrade at once (004 §6.2).',
  },
  dialMs: {
    kind: 'integer',
    unit: ms,
    doc: 'Time allowed to open an outbound connection, encryption and muxer included (004 §3.1).',
  },
  handshakeMs: {
    kind: 'integer',
    unit: ms,
    doc: 'Time from connection open to a completed /paw/handshake/1; then 0x03 HandshakeTimeout (004 §3.1).',
  },
  readIdleMs: {
    kind: 'integer',
    unit: ms,
    doc: 'Idle time allowed while reading a /paw/* stream (004 §3.1, §5.2).',
  },
  writeMs: { kind: 'integer', unit: ms, doc: 'Time allowed to send one message (004 §3.1).' },
  pingIntervalMs: {
    kind: 'integer',
    unit: ms,
    doc: 'Interval between keep-alive pings to each peer (004 §3.1, §10.1).',
  },
  inactivityMs: {
    kind: 'integer',
    unit: ms,
    doc: 'A peer from which nothing arrived for this long is disconnected (004 §10.1).',
  },
  nodeMiB: {
    kind: 'integer',
    unit: 'MiB, at least 11',
    doc: 'Memory all peers together may make the node hold on /paw/* streams: frames being received, answers being built and written. Past it, new work is refused (0x0B) and the peer holding the most loses its largest holdings first (docs/configuration.md "Memory budget").',
  },
  peerMiB: {
    kind: 'integer',
    unit: 'MiB, 11 up to max_buffer_mib',
    doc: 'Memory one peer may make the node hold on /paw/* streams; its requests past it are refused (0x0B). At least one 10 MiB frame.',
  },
  logLevel: {
    kind: 'string',
    unit: 'one of "debug", "info", "warn", "error"',
    doc: 'Least severe log level written (004 §7.2). Logs go to stderr.',
  },
  logFormat: {
    kind: 'string',
    unit: 'one of "plain", "json"',
    doc: 'Log line format: "plain" text, or "json" (one object per line, for log collectors).',
  },
  adminListen: {
    kind: 'endpoint',
    doc: 'Where the admin HTTP API listens (GET /status, /peers, /bans, /metrics, /accounts/<address>, /transactions/<id>; POST /transactions, /bans, /unban, /dial, /disconnect), which the CLI uses. Anyone who reaches it can submit transactions and ban peers: keep it on loopback. The bound address is written to <home>/data/admin.addr while the node runs.',
  },
  adminAllowRemote: {
    kind: 'boolean',
    doc: 'Allow a listen host that is not loopback (127.0.0.1, ::1, localhost). Without it such a host stops start-up, so the admin API is never exposed by accident; with it, put the API behind a firewall or an authenticating proxy.',
  },
  minerHashesPerSecond: {
    kind: 'integer',
    unit: 'hashes per second, 0 for no cap',
    doc: 'Caps the proof-of-work search of a miner, so that a devnet of several miners on one machine leaves CPU to everything else; difficulty retargets to the rate the miners have.',
  },
}

const UNITS: Record<Kind, string | undefined> = {
  string: undefined,
  integer: undefined,
  boolean: 'true or false',
  endpoint:
    'string "host:port" (IPv6 as "[::1]:26658"); port 0 picks a free port; "off" or false disables it',
  port: 'port number 1-65535; 0 picks a free port; false disables this listener',
  addresses: 'array of strings, each a multiaddr, id@host:port or host:port',
  path: 'string, a file path; false for none',
}

type Group = 'limits' | 'timeouts' | 'inbound' | 'bufferMemory'

/** Where a setting sits in Settings: nested groups are recognised by their defaults' fields. */
function groupOf(name: SettingName): Group | undefined {
  if (name in PROFILES.default) return 'limits'
  if (name in DEFAULT_TIMEOUTS) return 'timeouts'
  if (name in DEFAULT_INBOUND_GUARDS) return 'inbound'
  if (name in DEFAULT_BUFFER_MEMORY) return 'bufferMemory'
  return undefined
}

function getValue(settings: Settings, name: SettingName): unknown {
  const group = groupOf(name)
  const holder = (group === undefined ? settings : settings[group]) as unknown as Record<string, unknown>
  return holder[name]
}

function setValue(input: SettingsInput, name: SettingName, value: unknown): void {
  const group = groupOf(name)
  const target = input as Record<string, unknown>
  if (group === undefined) target[name] = value
  else target[group] = { ...(target[group] as object | undefined), [name]: value }
}

/** A value as TOML: JSON's strings, integers and string arrays are valid TOML; no null in TOML. */
function show(value: unknown): string {
  return value === null ? 'false' : JSON.stringify(value)
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

/** Type-checks a parsed TOML value; TOML's `false` for a port means "listener off" (null). */
function readValue(kind: Kind, key: string, value: unknown): unknown {
  switch (kind) {
    case 'string':
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

const NAMES = Object.keys(SETTING_KEYS) as SettingName[]
const BY_KEY = new Map<string, SettingName>(NAMES.map((name) => [SETTING_KEYS[name], name]))
const TABLES = new Set(
  NAMES.map((name) => SETTING_KEYS[name].split('.')).flatMap((p) => (p.length > 1 ? [p[0]] : [])),
)

/** The key as config.toml spells it, split into its table and its name in the table. */
function split(key: string): { table: string | undefined; name: string } {
  const dot = key.indexOf('.')
  return dot < 0 ? { table: undefined, name: key } : { table: key.slice(0, dot), name: key.slice(dot + 1) }
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
      const setting = BY_KEY.get(key)
      if (setting !== undefined) {
        try {
          setValue(input, setting, readValue(FIELDS[setting].kind, key, value))
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
