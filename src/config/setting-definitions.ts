/**
 * Every node setting, defined once: its config.toml key, where it sits in Settings, its
 * kind and range, its default with the spec section that sets it, its unit, the comment
 * config.toml carries above it, and the `paw-node start` flag that overrides it. The
 * Settings type, SETTING_KEYS, the defaults, resolveSettings' checks, the config.toml
 * template and the tables of docs/configuration.md are all derived from this table
 * (test/config/settings-docs.test.ts holds the docs to it). The order is config.toml's.
 * Browser-safe.
 */
import { encodeChainId } from '../wire/handshake.ts'
import {
  addresses,
  boolean,
  type ChainDefault,
  choice,
  type Definition,
  endpoint,
  integer,
  type ProfileDefault,
  path,
  port,
  text,
} from './setting-kinds.ts'

/**
 * A new home is a local devnet (issue "Reference chain": the README's first command starts a
 * miner on a local devnet); operators of other chains pass --chain-id.
 */
export const DEVNET_CHAIN_ID = 'paw-devnet'

/**
 * 004 §2.2's production seeds, for paw-mainnet only: DNS seeds first (primary, then
 * regional), then the IP fallbacks, each as host:port (no peer ID: the seed's identity is
 * learned from its Noise handshake). Other chains have none: a devnet or testnet operator
 * passes --seeds or --bootstrap.
 */
export const MAINNET_SEEDS: readonly string[] = [
  'seed1.paw.network:26656',
  'seed2.paw.network:26656',
  'seed3.paw.network:26656',
  'seed-us-west.paw.network:26656',
  'seed-eu-central.paw.network:26656',
  'seed-asia-east.paw.network:26656',
  '35.184.142.101:26656',
  '34.89.156.233:26656',
  '35.201.123.45:26656',
]

/** 004 §10.2's profiles; each peer limit below gives its value in each. */
export const PROFILE_NAMES = ['default', 'high-traffic', 'low-resource'] as const
export type ProfileName = (typeof PROFILE_NAMES)[number]

/** 004 §10.1 defaults and §10.2 profiles; min outbound stays 10 (DECISIONS.md "Connections"). */
const perProfile = (byProfile: Record<ProfileName, number>): ProfileDefault<number> => ({ byProfile })

const DAY_MS = 24 * 60 * 60_000
const ms = 'milliseconds'
/** The memory budget's floor: one frame of the largest size (10 MiB) and its answer's headroom. */
const MIN_BUFFER_MIB = 11

export const SETTING_DEFINITIONS = {
  chainId: text({
    key: 'chain_id',
    flag: 'chain-id',
    unit: 'string, 1 to 32 bytes of UTF-8',
    default: DEVNET_CHAIN_ID,
    verify: (value: string) => void encodeChainId(value),
    doc: 'Chain this node belongs to. Peers on another chain are refused at the handshake (0x02 ChainIdMismatch, 004 §1.2).',
  }),
  nodeType: choice({
    key: 'node_type',
    flag: 'type',
    choices: ['full', 'light', 'miner'],
    // A devnet node mines unless told otherwise; on any other chain a node is full.
    default: {
      ofChain: (chainId: string) => (chainId === DEVNET_CHAIN_ID ? 'miner' : 'full'),
      text: '`"miner"` on paw-devnet, `"full"` on other chains',
    } satisfies ChainDefault<'full' | 'light' | 'miner'>,
    doc: 'What this node does (000 "Node Types"): "full" stores and validates the whole chain; "light" keeps headers only; "miner" is a full node that also produces blocks, paying the rewards to this node\'s key.',
  }),
  listenHost: text({
    key: 'p2p.listen_host',
    flag: 'listen-host',
    unit: 'IP address or host name',
    default: '0.0.0.0',
    verify: (value: string) => {
      if (value.length === 0) throw new Error('must be a host name or IP address')
    },
    doc: 'Address the TCP and WebSockets listeners bind to; "0.0.0.0" is every IPv4 interface, "::" every IPv6 one.',
  }),
  // DECISIONS.md "Transport and security": TCP default port.
  tcpPort: port({
    key: 'p2p.port',
    flag: 'port',
    default: 26656,
    doc: 'TCP port for peers (DECISIONS.md "Transport and security": 26656).',
  }),
  // Nothing in the spec fixes it: the next port.
  wsPort: port({
    key: 'p2p.ws_port',
    flag: 'ws-port',
    default: 26657,
    doc: 'WebSockets port, what browsers dial (DECISIONS.md "Transport and security"; the spec fixes no number, so the one after the TCP port).',
  }),
  bootstrap: addresses({
    key: 'p2p.bootstrap',
    flag: 'bootstrap',
    default: [],
    doc: 'Peers dialled at start to join the network and learn other peers from (004 §2).',
  }),
  persistentPeers: addresses({
    key: 'p2p.persistent_peers',
    flag: 'persistent-peers',
    default: [],
    doc: 'Peers kept connected: redialled with backoff forever, never dropped from the peer list (004 §3.3).',
  }),
  seeds: addresses({
    key: 'p2p.seeds',
    flag: 'seeds',
    default: {
      ofChain: (chainId: string) => (chainId === 'paw-mainnet' ? [...MAINNET_SEEDS] : []),
      text: 'the 004 §2.2 seeds on `paw-mainnet`, else `[]`',
    },
    doc: 'Seed nodes (004 §2), asked for peers when the address book runs short and retried with backoff when unreachable: host:port, id@host:port or a multiaddr.',
  }),
  seedMode: boolean({
    key: 'p2p.seed_mode',
    flag: 'seed-mode',
    default: false,
    doc: 'Seed mode (DECISIONS.md "Peer exchange"): answer get_peers from the address book, then disconnect the peer, as CometBFT seeds do.',
  }),
  wsTlsCertFile: path({
    key: 'p2p.ws_tls_cert_file',
    flag: 'ws-tls-cert',
    unit: 'path to a PEM file',
    default: null,
    pairedWith: 'wsTlsKeyFile',
    doc: 'Certificate (PEM) for the WebSockets listener: with ws_tls_key_file it serves wss instead of ws, which a page served over https needs (issue 8). Unset: plain ws.',
  }),
  wsTlsKeyFile: path({
    key: 'p2p.ws_tls_key_file',
    flag: 'ws-tls-key',
    unit: 'path to a PEM file',
    default: null,
    pairedWith: 'wsTlsCertFile',
    doc: 'Private key (PEM) of ws_tls_cert_file.',
  }),
  profile: choice({
    key: 'p2p.profile',
    flag: 'profile',
    choices: PROFILE_NAMES,
    default: 'default',
    doc: 'Peer-limit profile (004 §10.2): "default" 100/50/50, "high-traffic" 200/100/100, "low-resource" 20/10/10 (max peers / inbound / outbound). The four limits below override it one by one when set.',
  }),
  maxPeers: integer({
    key: 'p2p.max_peers',
    group: 'limits',
    flag: 'max-peers',
    unit: 'count',
    min: 1,
    max: 10_000,
    default: perProfile({ default: 100, 'high-traffic': 200, 'low-resource': 20 }),
    doc: 'Most peers connected at once, inbound and outbound together (004 §3.2, §10).',
  }),
  maxInbound: integer({
    key: 'p2p.max_inbound',
    group: 'limits',
    flag: 'max-inbound',
    unit: 'count',
    min: 0,
    max: 10_000,
    atMost: 'maxPeers',
    default: perProfile({ default: 50, 'high-traffic': 100, 'low-resource': 10 }),
    doc: 'Most peers that dialled this node (004 §3.2).',
  }),
  maxOutbound: integer({
    key: 'p2p.max_outbound',
    group: 'limits',
    flag: 'max-outbound',
    unit: 'count',
    min: 0,
    max: 10_000,
    atMost: 'maxPeers',
    default: perProfile({ default: 50, 'high-traffic': 100, 'low-resource': 10 }),
    doc: 'Most peers this node dialled (004 §3.2).',
  }),
  minOutbound: integer({
    key: 'p2p.min_outbound',
    group: 'limits',
    flag: 'min-outbound',
    unit: 'count',
    min: 0,
    max: 10_000,
    atMost: 'maxOutbound',
    default: perProfile({ default: 10, 'high-traffic': 10, 'low-resource': 10 }),
    doc: 'Outbound peers the node keeps by dialling known addresses when below it (004 §3.2 "maintained automatically").',
  }),
  // 004 §6.2: "Dial queue size: 100".
  dialQueueSize: integer({
    key: 'p2p.dial_queue_size',
    unit: 'count',
    min: 1,
    max: 100,
    default: 100,
    doc: 'Dials waiting to run at once; more are dropped (004 §6.2).',
  }),
  maintenanceIntervalMs: integer({
    key: 'p2p.maintenance_interval_ms',
    unit: ms,
    min: 10,
    max: DAY_MS,
    default: 5_000,
    doc: 'How often the connection manager checks its peers (min_outbound, inactivity, persistent peers).',
  }),
  // libp2p's inbound guards, set deliberately: its defaults (5 new connections/s per host,
  // 10 pending) refuse honest bursts such as several local nodes starting at once.
  perHostPerSecond: integer({
    key: 'p2p.inbound_per_host_per_second',
    group: 'inbound',
    unit: 'connections per second',
    min: 1,
    max: 100_000,
    default: 20,
    doc: 'New inbound connections accepted per second from one IP address; more are refused before any handshake (004 §6.2).',
  }),
  maxPending: integer({
    key: 'p2p.max_pending_inbound',
    group: 'inbound',
    unit: 'count',
    min: 1,
    max: 100_000,
    default: 64,
    doc: 'Inbound connections still in their encryption/muxer upgrade at once (004 §6.2).',
  }),
  dialMs: integer({
    key: 'p2p.dial_timeout_ms',
    group: 'timeouts',
    unit: ms,
    min: 1,
    max: DAY_MS,
    default: 5_000,
    doc: 'Time allowed to open an outbound connection, encryption and muxer included (004 §3.1).',
  }),
  handshakeMs: integer({
    key: 'p2p.handshake_timeout_ms',
    group: 'timeouts',
    unit: ms,
    min: 1,
    max: DAY_MS,
    default: 10_000,
    doc: 'Time from connection open to a completed /paw/handshake/1; then 0x03 HandshakeTimeout (004 §3.1).',
  }),
  readIdleMs: integer({
    key: 'p2p.read_timeout_ms',
    group: 'timeouts',
    unit: ms,
    min: 1,
    max: DAY_MS,
    default: 30_000,
    doc: 'Idle time allowed while reading a /paw/* stream (004 §3.1, §5.2).',
  }),
  writeMs: integer({
    key: 'p2p.write_timeout_ms',
    group: 'timeouts',
    unit: ms,
    min: 1,
    max: DAY_MS,
    default: 5_000,
    doc: 'Time allowed to send one message (004 §3.1).',
  }),
  pingIntervalMs: integer({
    key: 'p2p.ping_interval_ms',
    group: 'timeouts',
    unit: ms,
    min: 1,
    max: DAY_MS,
    default: 30_000,
    doc: 'Interval between keep-alive pings to each peer (004 §3.1, §10.1).',
  }),
  inactivityMs: integer({
    key: 'p2p.inactivity_timeout_ms',
    group: 'timeouts',
    unit: ms,
    min: 1,
    max: DAY_MS,
    default: 5 * 60_000,
    doc: 'A peer from which nothing arrived for this long is disconnected (004 §10.1).',
  }),
  // Issue 15: 256 MiB for the node is ten peers at their limit, far above what honest
  // traffic holds at once (Bitcoin Core's -maxreceivebuffer/-maxsendbuffer bound one peer likewise).
  nodeMiB: integer({
    key: 'p2p.max_buffer_mib',
    group: 'bufferMemory',
    flag: 'max-buffer-mib',
    unit: 'MiB',
    min: MIN_BUFFER_MIB,
    max: 1_048_576,
    default: 256,
    doc: 'Memory all peers together may make the node hold on /paw/* streams: frames being received, answers being built and written. Past it, new work is refused (0x0B) and the peer holding the most loses its largest holdings first (docs/configuration.md "Memory budget").',
  }),
  // 24 MiB per peer holds two full 8 MiB `blocks` answers in flight and room for smaller frames.
  peerMiB: integer({
    key: 'p2p.max_peer_buffer_mib',
    group: 'bufferMemory',
    flag: 'max-peer-buffer-mib',
    unit: 'MiB',
    min: MIN_BUFFER_MIB,
    max: 1_048_576,
    atMost: 'nodeMiB',
    default: 24,
    doc: 'Memory one peer may make the node hold on /paw/* streams; its requests past it are refused (0x0B). At least one 10 MiB frame.',
  }),
  logLevel: choice({
    key: 'log.level',
    flag: 'log-level',
    choices: ['debug', 'info', 'warn', 'error'],
    default: 'info',
    doc: 'Least severe log level written (004 §7.2). Logs go to stderr.',
  }),
  logFormat: choice({
    key: 'log.format',
    flag: 'log-format',
    choices: ['plain', 'json'],
    default: 'plain',
    doc: 'Log line format: "plain" text, or "json" (one object per line, for log collectors).',
  }),
  // Loopback only, the port after the WebSockets one: it can submit transactions and ban
  // peers, so it is never exposed by default (resolveSettings refuses another host unless
  // admin.allow_remote).
  adminListen: endpoint({
    key: 'admin.listen',
    flag: 'admin-listen',
    default: '127.0.0.1:26658',
    doc: 'Where the admin HTTP API listens (GET /status, /peers, /bans, /metrics, /accounts/<address>, /transactions/<id>; POST /transactions, /bans, /unban, /dial, /disconnect), which the CLI uses. Anyone who reaches it can submit transactions and ban peers: keep it on loopback. The bound address is written to <home>/data/admin.addr while the node runs.',
  }),
  adminAllowRemote: boolean({
    key: 'admin.allow_remote',
    default: false,
    doc: 'Allow a listen host that is not loopback (127.0.0.1, ::1, localhost). Without it such a host stops start-up, so the admin API is never exposed by accident; with it, put the API behind a firewall or an authenticating proxy.',
  }),
  // Off by default, as CometBFT's instrumentation.prometheus and Lodestar's --metrics are: on,
  // every second node on a machine would find the port taken.
  metricsEnabled: boolean({
    key: 'metrics.enabled',
    flag: 'metrics',
    default: false,
    doc: 'Serve Prometheus metrics on metrics.listen: GET /metrics and nothing else, no admin route.',
  }),
  // CometBFT's Prometheus port, clear of p2p.port, p2p.ws_port and admin.listen (26656-26658)
  // and of the devnet's ports (26756 up). Loopback: another host is written here on purpose.
  metricsListen: endpoint({
    key: 'metrics.listen',
    flag: 'metrics-listen',
    default: '127.0.0.1:26660',
    doc: 'Where the metrics listener listens when metrics.enabled. It serves only read-only metrics, so a host that is not loopback (e.g. "0.0.0.0:26660" for a Prometheus on another machine) needs no other switch; the node logs the bound address.',
  }),
  minerHashesPerSecond: integer({
    key: 'mining.max_hashes_per_second',
    flag: 'max-hashrate',
    unit: 'hashes per second',
    min: 0,
    max: 1_000_000_000,
    note: '`0` for no cap',
    default: 0,
    doc: 'Caps the proof-of-work search of a miner, so that a devnet of several miners on one machine leaves CPU to everything else; difficulty retargets to the rate the miners have.',
  }),
} satisfies Record<string, Definition>
