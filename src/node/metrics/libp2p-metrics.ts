/**
 * libp2p's own metrics (connection manager, dialer, transports, Noise, data transfer), kept in
 * a prom-client registry that belongs to one node. Node.js only: @libp2p/prometheus-metrics
 * reads the filesystem and process memory.
 *
 * Why a dedicated `Registry` and `preserveExistingMetrics: false`:
 * @libp2p/prometheus-metrics caches every metric it creates in a module-level map keyed by
 * name, and `register*` returns the cached object when the name is known. With
 * `preserveExistingMetrics: true` a second node in the same process therefore gets the first
 * node's metric objects: its series land in the first node's registry, and calculated metrics
 * (connection counts, bytes transferred) keep reporting the first node only, while the second
 * registry stays empty. With `false` the package clears that cache when each node's metrics
 * component is built, so every node registers fresh metrics into its own registry (no
 * "metric already registered", as the registries differ). The price is that it also clears
 * prom-client's global default registry, which PAW never uses. Create nodes one after the
 * other (await `createLibp2p` before building the next), as libp2p registers most metrics
 * during construction and start; interleaved construction could let one node pick up another's
 * cached metric.
 */

import type { Metrics } from '@libp2p/interface'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { EXPOSITION_CONTENT_TYPE, renderFamilies } from './exposition-format.ts'
import { exportedFamilies, type RegistryFamily } from './libp2p-families.ts'

/** What prometheusMetrics returns: libp2p calls it with the node's components. */
type MetricsFactory = ReturnType<typeof prometheusMetrics>

export interface Libp2pMetricsInit {
  /**
   * Also export process metrics (CPU, memory, event loop lag, GC) as `paw_process_*` and
   * `paw_nodejs_*`. Off by default: they describe the process, not the node, and two nodes
   * in one process would report the same values twice. With them come the size, free and
   * available bytes of the filesystem holding `filesystemPath` (`paw_filesystem_*`).
   */
  processMetrics?: boolean
  /**
   * A path on the filesystem whose space `paw_filesystem_*` reports: the node's data directory.
   * @default process.cwd()
   */
  filesystemPath?: string
}

export interface Libp2pMetrics {
  /** Pass as `createLibp2p({ metrics })`; call it for one node only. */
  metrics: (components: Parameters<MetricsFactory>[0]) => Metrics
  /** The registry holding this node's libp2p series, under the names libp2p gives them. */
  registry: Registry
  /** The HTTP Content-Type for `render()` output (text exposition format 0.0.4). */
  contentType: string
  /**
   * This node's series in Prometheus text exposition format, under the names and HELP texts
   * the node exports (libp2p-families.ts).
   */
  render(): Promise<string>
}

/**
 * Prefix for prom-client's default collectors, whose names already start with `process_` or
 * `nodejs_`: the result is `paw_process_cpu_user_seconds_total`, `paw_nodejs_heap_size_total_bytes`…
 */
export const PROCESS_METRICS_PREFIX = 'paw_'

/**
 * Clears libp2p's gauges computed at scrape time before each scrape. @libp2p/prometheus-metrics'
 * calculated groups (its `collect`) set only the labels their calculation returns and never
 * clear the others, so a label that is gone keeps its last value for ever:
 * `libp2p_protocol_streams_total` went on reporting streams closed many minutes earlier (the
 * soak, test/reliability/soak.test.ts, saw a hub's "streams" grow 30 → 41 from labels such as
 * `outbound /ipfs/ping/1.0.0` seen once; with this, 18: its 9 peers' gossipsub pairs).
 * Only `libp2p_*` gauges: a collect of prom-client's default metrics may set its value once.
 */
function clearCalculatedGauges(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const calculated = typeof (metric as { collect?: unknown }).collect === 'function'
    if (metric instanceof Gauge && calculated && metric.name.startsWith('libp2p_')) metric.reset()
  }
}

/** A metrics factory and a renderer for one libp2p node, backed by a registry of its own. */
export function createLibp2pMetrics(init: Libp2pMetricsInit = {}): Libp2pMetrics {
  const registry = new Registry()
  const processMetrics = init.processMetrics === true
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: PROCESS_METRICS_PREFIX })
  const factory = prometheusMetrics({
    registry,
    collectDefaultMetrics: false,
    preserveExistingMetrics: false,
    ...(init.filesystemPath === undefined ? {} : { statfsLocation: init.filesystemPath }),
  })
  return {
    metrics: factory,
    registry,
    contentType: EXPOSITION_CONTENT_TYPE,
    render: async () => {
      clearCalculatedGauges(registry)
      const families = (await registry.getMetricsAsJSON()) as unknown as RegistryFamily[]
      return renderFamilies(exportedFamilies(families, { processMetrics }))
    },
  }
}
