/**
 * The settings of config.toml: each one's kind, unit and description (the FIELDS table),
 * where it sits in Settings, and how its key is spelled. config-file.ts reads with it,
 * config-template.ts writes the commented template from it.
 */
import {
  DEFAULT_BUFFER_MEMORY,
  DEFAULT_INBOUND_GUARDS,
  DEFAULT_TIMEOUTS,
  PROFILES,
} from '../config/defaults.ts'
import { SETTING_KEYS, type Settings, type SettingsInput } from '../config/settings.ts'

export type SettingName = keyof typeof SETTING_KEYS
export type Kind = 'string' | 'integer' | 'boolean' | 'port' | 'endpoint' | 'addresses' | 'path'

export interface Field {
  readonly kind: Kind
  /** What the setting does, with the spec section that sets it. */
  readonly doc: string
  /** Its unit or allowed values as an operator writes them (ports and addresses have their own). */
  readonly unit?: string
}

const ms = 'milliseconds'

/** Every setting, in SETTING_KEYS order; the Record type makes a missing one a compile error. */
export const FIELDS: Record<SettingName, Field> = {
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

export const UNITS: Record<Kind, string | undefined> = {
  string: undefined,
  integer: undefined,
  boolean: 'true or false',
  endpoint:
    'string "host:port" (IPv6 as "[::1]:26658"); port 0 picks a free port; "off" or false disables it',
  port: 'port number 1-65535; 0 picks a free port; false disables this listener',
  addresses: 'array of strings, each a multiaddr, id@host:port or host:port',
  path: 'string, a file path; false for none',
}

export type Group = 'limits' | 'timeouts' | 'inbound' | 'bufferMemory'

/** Where a setting sits in Settings: nested groups are recognised by their defaults' fields. */
export function groupOf(name: SettingName): Group | undefined {
  if (name in PROFILES.default) return 'limits'
  if (name in DEFAULT_TIMEOUTS) return 'timeouts'
  if (name in DEFAULT_INBOUND_GUARDS) return 'inbound'
  if (name in DEFAULT_BUFFER_MEMORY) return 'bufferMemory'
  return undefined
}

export function getValue(settings: Settings, name: SettingName): unknown {
  const group = groupOf(name)
  const holder = (group === undefined ? settings : settings[group]) as unknown as Record<string, unknown>
  return holder[name]
}

export function setValue(input: SettingsInput, name: SettingName, value: unknown): void {
  const group = groupOf(name)
  const target = input as Record<string, unknown>
  if (group === undefined) target[name] = value
  else target[group] = { ...(target[group] as object | undefined), [name]: value }
}

export const NAMES = Object.keys(SETTING_KEYS) as SettingName[]

/** The key as config.toml spells it, split into its table and its name in the table. */
export function split(key: string): { table: string | undefined; name: string } {
  const dot = key.indexOf('.')
  return dot < 0 ? { table: undefined, name: key } : { table: key.slice(0, dot), name: key.slice(dot + 1) }
}
