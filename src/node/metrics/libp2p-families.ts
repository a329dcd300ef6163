/**
 * What the node exports of libp2p's registry, held to Prometheus' naming conventions
 * (https://prometheus.io/docs/practices/naming/): counters end in `_total` and gauges do not,
 * base units, one quantity per family, an application prefix, and a HELP line that says what
 * is counted. @libp2p/prometheus-metrics 5 gets several wrong: its HELP is the metric's name
 * (or its words joined by underscores), four current-value gauges end in `_total`, counts that
 * only grow are gauges, and its `nodejs_*` families have no prefix and mix quantities (a
 * filesystem's size with a percentage). The table below renames, retypes, describes or drops
 * each family by the name libp2p gives it; docs/configuration.md "Metrics" lists the result.
 */
import { formatValue, type MetricFamily, type MetricType } from './exposition-format.ts'

/** What a prom-client registry returns for one family (Registry.getMetricsAsJSON). */
export interface RegistryFamily {
  name: string
  help: string
  type: unknown
  values: Array<{ value: number; labels: Partial<Record<string, string | number>>; metricName?: string }>
}

interface Fix {
  /** HELP to send (libp2p's own is its name). */
  help?: string
  /** The name to send, where libp2p's breaks a convention. */
  name?: string
  /** libp2p increments these gauges only: they are counters. */
  type?: 'counter'
  /** Not exported, and why. */
  drop?: string
  /** One family per value of `label`; a value mapped to undefined is not exported. */
  split?: { label: string; into: Record<string, { name: string; help: string } | undefined> }
  /** Describes the process or its machine, not the node: exported with process metrics only. */
  host?: true
}

const gaugeRenamed = (name: string, help: string): Fix => ({ name, help })

/** By the name libp2p (or prom-client, with PROCESS_METRICS_PREFIX) registers. */
const FIXES: Readonly<Record<string, Fix>> = {
  libp2p_address_manager_dns_mappings: { help: 'DNS name mappings held by the libp2p address manager.' },
  libp2p_address_manager_ip_mappings: { help: 'IP address mappings held by the libp2p address manager.' },
  libp2p_address_manager_observed_addresses: {
    help: 'Addresses peers say they see this node at (identify), as the libp2p address manager keeps them.',
  },
  libp2p_address_manager_transport_addresses: {
    help: 'Transport addresses of this node the libp2p address manager tracks.',
  },
  libp2p_connection_manager_connections: {
    help: 'Open libp2p connections by direction; "pending" ones are still being upgraded (Noise, yamux).',
  },
  libp2p_connection_manager_dials_total: {
    help: 'Connections libp2p upgraded (Noise, yamux), by direction.',
  },
  libp2p_connection_manager_dial_errors_total: {
    help: 'Connection upgrades that failed, by direction.',
  },
  libp2p_connection_manager_dials_inbound_errors_total: {
    help: 'Inbound connection upgrades that failed, by error name.',
  },
  libp2p_connection_manager_dials_outbound_errors_total: {
    help: 'Outbound connection upgrades that failed, by error name.',
  },
  libp2p_connection_manager_protocol_streams_per_connection_90th_percentile: {
    help: '90th percentile over connections of the streams open on one, by "<direction> <protocol>".',
  },
  // PAW pings its peers itself (004 §10.1); libp2p's connection monitor is off.
  libp2p_connection_monitor_ping_time_milliseconds: { drop: 'the connection monitor is off' },
  libp2p_data_transfer_bytes_total: {
    help: 'Bytes libp2p sent and received on streams: "global sent"/"global received" for all, "<protocol> sent"/"<protocol> received" per protocol.',
  },
  libp2p_dial_queue: { help: "libp2p's dial queue: dials running, waiting (queued), and both (size)." },
  libp2p_reconnect_queue: {
    help: "libp2p's reconnect queue: running, queued, size (PAW redials peers itself, so it stays empty).",
  },
  libp2p_noise_xxhandshake_successes_total: { help: 'Noise XX handshakes completed.' },
  libp2p_noise_xxhandshake_error_total: { help: 'Noise XX handshakes that failed.' },
  libp2p_noise_encrypted_packets_total: { help: 'Noise frames encrypted.' },
  libp2p_noise_decrypted_packets_total: { help: 'Noise frames decrypted.' },
  libp2p_noise_decrypt_errors_total: { help: 'Noise frames that failed to decrypt.' },
  libp2p_peer_store_locks: { help: 'Peer records of the libp2p peer store locked now.' },
  libp2p_protocol_streams_total: gaugeRenamed(
    'libp2p_protocol_streams',
    'Streams open now, by "<direction> <protocol>".',
  ),
  libp2p_registrar_protocol_handlers: { help: 'Protocols this node handles.' },
  libp2p_registrar_topologies: {
    help: 'Topologies (watchers of peers that speak it) registered, by protocol.',
  },
  libp2p_transport_manager_listeners: { help: 'Listeners open, one per transport and address.' },
  libp2p_transport_manager_transports: { help: 'Transports configured (TCP, WebSockets).' },
  libp2p_upgrader_connection_encrypters: {
    help: 'Connection encrypters configured (Noise, and TLS where offered).',
  },
  libp2p_upgrader_stream_multiplexers: { help: 'Stream multiplexers configured (yamux).' },
  libp2p_tcp_dialer_events_total: { help: 'TCP dialer events, by event (connect, abort…).' },
  libp2p_tcp_dialer_errors_total: { help: 'TCP dial errors, by event (error, timeout…).' },
  libp2p_tcp_inbound_connections_total: gaugeRenamed(
    'libp2p_tcp_inbound_connections',
    'Inbound TCP connections open now, by listen address.',
  ),
  libp2p_tcp_listener_status_info: {
    help: 'TCP listener state by listen address: 0 inactive, 1 listening, 2 paused (too many connections).',
  },
  libp2p_tcp_listener_errors_total: {
    type: 'counter',
    help: 'TCP listener errors, by "<listen address> <kind>".',
  },
  libp2p_tcp_listener_events_total: {
    type: 'counter',
    help: 'TCP listener events (connection, drop…), by "<listen address> <kind>".',
  },
  libp2p_tls_server_events_total: { help: 'TLS server events of the wss listener, by event.' },
  libp2p_tls_server_errors_total: { help: 'TLS server errors of the wss listener, by event.' },
  libp2p_websockets_dialer_events_total: { help: 'WebSockets dialer events, by event.' },
  libp2p_websockets_inbound_connections_total: gaugeRenamed(
    'libp2p_websockets_inbound_connections',
    'Inbound WebSockets connections open now, by listen address.',
  ),
  libp2p_websockets_listener_status_info: {
    help: 'WebSockets listener state by listen address: 0 inactive, 1 listening, 2 paused.',
  },
  libp2p_websockets_listener_errors_total: {
    type: 'counter',
    help: 'WebSockets listener errors, by "<listen address> <kind>".',
  },
  libp2p_websockets_listener_events_total: {
    type: 'counter',
    help: 'WebSockets listener events, by "<listen address> <kind>".',
  },
  // Its labels mix quantities (rss, heap, external…); paw_process_resident_memory_bytes and
  // paw_nodejs_heap_size_*_bytes / paw_nodejs_external_memory_bytes carry the same figures.
  nodejs_memory_usage_bytes: { drop: 'the same figures as paw_process_* and paw_nodejs_*', host: true },
  // The machine's memory is the host exporter's business (node_exporter's node_memory_MemTotal_bytes).
  nodejs_memory_total_bytes: { drop: "the machine's, not the node's", host: true },
  // One family per quantity, as node_exporter's node_filesystem_*: libp2p's `used` is not
  // used space but the available share in percent, so it goes (1 - avail/size is the ratio).
  nodejs_fs_usage_bytes: {
    host: true,
    split: {
      label: 'filesystem',
      into: {
        total: { name: 'paw_filesystem_size_bytes', help: 'Size of the filesystem holding the node data.' },
        free: {
          name: 'paw_filesystem_free_bytes',
          help: 'Free bytes of the filesystem holding the node data.',
        },
        available: {
          name: 'paw_filesystem_avail_bytes',
          help: 'Bytes of the filesystem holding the node data that this process may still use.',
        },
        used: undefined,
      },
    },
  },
  // prom-client's sums of the per-type gauges, named like counters: sum(paw_nodejs_active_handles) is the same.
  paw_nodejs_active_handles_total: { drop: 'sum(paw_nodejs_active_handles)' },
  paw_nodejs_active_requests_total: { drop: 'sum(paw_nodejs_active_requests)' },
  paw_nodejs_active_resources_total: { drop: 'sum(paw_nodejs_active_resources)' },
}

const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary']

function typeOf(family: RegistryFamily): MetricType {
  const type = String(family.type) as MetricType
  return TYPES.includes(type) ? type : 'gauge'
}

function samplesOf(family: RegistryFamily, rename: (name: string) => string): MetricFamily['samples'] {
  return family.values.map(({ value, labels, metricName }) => ({
    ...(metricName === undefined ? {} : { name: rename(metricName) }),
    labels: Object.fromEntries(
      Object.entries(labels).map(([k, v]) => [k, typeof v === 'number' ? formatValue(v) : String(v)]),
    ),
    value,
  }))
}

/**
 * libp2p's and prom-client's families as the node exports them: FIXES applied, families that
 * describe the process or its machine kept only with `processMetrics`. A family FIXES does not
 * know passes as it is (test/e2e/metrics-scrape.e2e.test.ts fails on one that breaks a convention).
 */
export function exportedFamilies(
  families: readonly RegistryFamily[],
  options: { processMetrics: boolean },
): MetricFamily[] {
  const out: MetricFamily[] = []
  for (const family of families) {
    const fix = FIXES[family.name] ?? {}
    if (fix.drop !== undefined || (fix.host === true && !options.processMetrics)) continue
    if (fix.split !== undefined) {
      const { label, into } = fix.split
      for (const [value, target] of Object.entries(into)) {
        if (target === undefined) continue
        const samples = family.values.filter((v) => String(v.labels[label]) === value)
        out.push({
          name: target.name,
          help: target.help,
          type: 'gauge',
          samples: samples.map((s) => ({ labels: {}, value: s.value })),
        })
      }
      continue
    }
    const name = fix.name ?? family.name
    out.push({
      name,
      help: fix.help ?? family.help,
      type: fix.type ?? typeOf(family),
      samples: samplesOf(family, (sample) => name + sample.slice(family.name.length)),
    })
  }
  return out
}
