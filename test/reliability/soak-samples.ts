/**
 * What the soak samples of each node process, and the arithmetic its criteria need. RSS and
 * descriptors come from /proc (the kernel's view, read before the admin API is asked, so the
 * sample's own HTTP socket is not counted); streams and connections from libp2p's gauges on
 * the node's `/metrics`; height, mempool and peers from its `/status`.
 */
import { readdir, readFile } from 'node:fs/promises'
import { median } from '../../bench/stats.ts'
import type { AdminClient } from '../../src/cli/admin-client.ts'
import type { SoakNode } from './soak-network.ts'

export interface Sample {
  /** ms since the soak started. */
  t: number
  rssMiB: number
  fds: number
  /**
   * Open streams, every protocol and direction (libp2p_protocol_streams summed: computed
   * at each scrape, the labels of protocols with no stream left cleared by the node's
   * clearCalculatedGauges; before that, closed streams went on counting).
   */
  streams: number
  /** The same by `<direction> <protocol>`, to tell which protocol holds them. */
  streamsByProtocol: Record<string, number>
  /** Open connections (libp2p_connection_manager_connections, inbound + outbound). */
  connections: number
  height: number
  mempool: number
}

interface StatusReply {
  tip: { height: number }
  mempool?: { size: number }
}

const MiB = 1024 * 1024

/** VmRSS of /proc/<pid>/status in MiB. */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1])
  if (!Number.isFinite(kib)) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return (kib * 1024) / MiB
}

/** Sum of every series of `name` in a Prometheus text exposition. */
export function sumSeries(
  exposition: string,
  name: string,
  labelFilter: (labels: string) => boolean = () => true,
) {
  let sum = 0
  const pattern = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm')
  for (const match of exposition.matchAll(pattern)) {
    if (labelFilter(match[1] ?? '')) sum += Number(match[2])
  }
  return sum
}

/** Each series of `name` by its label set's first value (`protocol="inbound /meshsub/1.2.0"`). */
function seriesByLabel(exposition: string, name: string): Record<string, number> {
  const byLabel: Record<string, number> = {}
  for (const match of exposition.matchAll(new RegExp(`^${name}\\{[^=]+="([^"]*)"\\} (\\S+)$`, 'gm')))
    byLabel[match[1] as string] = Number(match[2])
  return byLabel
}

export async function sampleNode(pid: number, client: AdminClient, t: number): Promise<Sample> {
  const rss = await rssMiB(pid)
  const fds = (await readdir(`/proc/${pid}/fd`)).length
  // AdminClient's get parses JSON; /metrics is text, so it is fetched directly.
  const metrics = await (
    await fetch(`http://${client.address}/metrics`, { signal: AbortSignal.timeout(5_000) })
  ).text()
  const status = await client.get<StatusReply>('/status')
  return {
    t,
    rssMiB: rss,
    fds,
    streams: sumSeries(metrics, 'libp2p_protocol_streams'),
    streamsByProtocol: seriesByLabel(metrics, 'libp2p_protocol_streams'),
    connections: sumSeries(
      metrics,
      'libp2p_connection_manager_connections',
      (labels) => labels.endsWith('="inbound"') || labels.endsWith('="outbound"'),
    ),
    height: status.tip.height,
    mempool: status.mempool?.size ?? 0,
  }
}

export interface NodeRecord {
  node: SoakNode
  samples: Sample[]
  /** Rounds in which the node did not answer (or its /proc entry was gone). */
  failedSamples: number
  lastError?: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Samples every node every `everyMs` (all nodes at once, t = ms since `start`) until stop(). */
export function startSampling(records: readonly NodeRecord[], start: number, everyMs: number) {
  let stopped = false
  const round = async () => {
    const t = Date.now() - start
    await Promise.all(
      records.map(async (record) => {
        try {
          record.samples.push(await sampleNode(record.node.pid, record.node.client, t))
        } catch (error) {
          record.failedSamples++
          record.lastError = String(error)
        }
      }),
    )
  }
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now()
      await round()
      await sleep(Math.max(0, everyMs - (Date.now() - started)))
    }
  })()
  return {
    async stop(): Promise<void> {
      stopped = true
      await loop
    },
  }
}

/** Least-squares slope of y over t (per ms). */
export function slope(points: ReadonlyArray<{ t: number; y: number }>): number {
  const n = points.length
  if (n < 2) return Number.NaN
  const meanT = points.reduce((s, p) => s + p.t, 0) / n
  const meanY = points.reduce((s, p) => s + p.y, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.t - meanT) * (p.y - meanY)
    den += (p.t - meanT) ** 2
  }
  return den === 0 ? Number.NaN : num / den
}

const HOUR_MS = 3_600_000

/** RSS growth in MiB per hour: a linear fit over the second half of the run, extrapolated. */
export function rssGrowthPerHour(samples: readonly Sample[], runStart: number, runEnd: number): number {
  const half = runStart + (runEnd - runStart) / 2
  const points = samples.filter((s) => s.t >= half).map((s) => ({ t: s.t, y: s.rssMiB }))
  return slope(points) * HOUR_MS
}

/**
 * Medians of `pick` over the first and the last quarter of the samples taken after the
 * warm-up: a leak shows as a last quarter above the first, noise does not.
 */
export function quarterMedians(
  samples: readonly Sample[],
  warmUpEnd: number,
  pick: (sample: Sample) => number,
): { first: number; last: number } {
  const steady = samples.filter((s) => s.t >= warmUpEnd)
  const quarter = Math.max(1, Math.floor(steady.length / 4))
  return {
    first: median(steady.slice(0, quarter).map(pick)),
    last: median(steady.slice(-quarter).map(pick)),
  }
}

/** Plain columns, right-aligned, first column left-aligned. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}
