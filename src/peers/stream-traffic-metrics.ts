/**
 * libp2p's metrics slot with per-peer traffic counting added (stream-traffic.ts): pass
 * `countStreamTraffic(metrics)` as `createLibp2p({ metrics })`, where `metrics` is the
 * node's own libp2p metrics (@libp2p/prometheus-metrics on Node.js) or nothing. The peer
 * manager finds the counter through `libp2p.metrics` (streamTrafficOf). Browser-safe.
 *
 * Why the metrics slot: it is the one place libp2p shows every negotiated stream, both
 * directions, every protocol, before any handler reads from it. Its stream middleware
 * (`libp2p.use`) is per protocol and, in libp2p 3.3.11, appends each inbound stream's handler
 * to the array it stores, so the chain grows with every stream.
 */
import type { Connection, Metrics, Stream } from '@libp2p/interface'
import { StreamTraffic } from './stream-traffic.ts'

/** Brands the wrapped metrics (Symbol.for: two copies of this package still recognise it). */
const STREAM_TRAFFIC = Symbol.for('paw-node/stream-traffic')

/** What of libp2p's components the counting needs (libp2p passes them all). */
export interface StreamTrafficComponents {
  connectionManager: { getConnections(): Connection[] }
}

/**
 * A libp2p metrics factory: `inner`'s metrics (or none) with every negotiated stream also
 * counted per peer and protocol.
 */
export function countStreamTraffic<C extends object>(
  inner?: (components: C) => Metrics,
): (components: C & StreamTrafficComponents) => Metrics {
  return (components) => {
    // Read at the first stream: libp2p builds its connection manager after its metrics.
    const traffic = new StreamTraffic(() => components.connectionManager.getConnections())
    const metrics = inner?.(components) ?? silentMetrics
    const trackProtocolStream = (stream: Stream): void => {
      metrics.trackProtocolStream(stream)
      traffic.track(stream)
    }
    return new Proxy(metrics, {
      get(target, key) {
        if (key === STREAM_TRAFFIC) return traffic
        if (key === 'trackProtocolStream') return trackProtocolStream
        const value: unknown = Reflect.get(target, key, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }
}

/** The counting of a libp2p whose metrics came from countStreamTraffic, if they did. */
export function streamTrafficOf(metrics: Metrics | undefined): Pick<StreamTraffic, 'attach'> | undefined {
  const traffic = (metrics as { [STREAM_TRAFFIC]?: Partial<StreamTraffic> } | undefined)?.[STREAM_TRAFFIC]
  return typeof traffic?.attach === 'function' ? (traffic as StreamTraffic) : undefined
}

const ignore = (): void => {}

/** Every metric libp2p registers, when nothing records them: each call does nothing. */
const silentMetric = {
  update: ignore,
  increment: ignore,
  decrement: ignore,
  observe: ignore,
  reset: ignore,
  timer: () => ignore,
}

/** Metrics that record nothing, for a node without its own (browsers): libp2p's calls cost a no-op. */
const silentMetrics: Metrics = {
  trackMultiaddrConnection: ignore,
  trackProtocolStream: ignore,
  registerMetric: () => silentMetric,
  registerMetricGroup: () => silentMetric,
  registerCounter: () => silentMetric,
  registerCounterGroup: () => silentMetric,
  registerHistogram: () => silentMetric,
  registerHistogramGroup: () => silentMetric,
  registerSummary: () => silentMetric,
  registerSummaryGroup: () => silentMetric,
  traceFunction: <F>(_name: string, fn: F): F => fn,
  createTrace: () => undefined,
}
