/**
 * Prometheus text exposition format 0.0.4: metric families with their HELP and TYPE lines,
 * label and HELP escaping, sample values, counter clamping. renderPawMetrics writes PAW's own
 * families through `Families` (the `paw_p2p_` prefix); libp2p's and prom-client's, once
 * renamed (libp2p-families.ts), go through `renderFamilies`.
 */

/** The Content-Type of text exposition format 0.0.4, what /metrics serves. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Every series renderPawMetrics can emit starts with this. */
export const PAW_METRIC_PREFIX = 'paw_p2p_'

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary'
export type Labels = Record<string, string>

export interface Sample {
  /** Set where it differs from the family's: `_bucket`, `_sum`, `_count` of a histogram. */
  name?: string
  labels: Labels
  value: number
}

export interface MetricFamily {
  name: string
  help: string
  type: MetricType
  samples: Sample[]
}

/** Collects PAW's metric families in emission order; counters are clamped so they never go negative. */
export class Families {
  readonly #families: MetricFamily[] = []

  add(name: string, type: 'counter' | 'gauge', help: string, samples: Array<[Labels, number]>): void {
    if (samples.length === 0) return
    this.#families.push({
      name: PAW_METRIC_PREFIX + name,
      help,
      type,
      samples: samples.map(([labels, value]) => ({
        labels,
        value: type === 'counter' ? counter(value) : value,
      })),
    })
  }

  one(name: string, type: 'counter' | 'gauge', help: string, value: number): void {
    this.add(name, type, help, [[{}, value]])
  }

  render(): string {
    return renderFamilies(this.#families)
  }
}

/** The families as exposition text: HELP, TYPE, then the samples of each. */
export function renderFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = []
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`)
    lines.push(`# TYPE ${family.name} ${family.type}`)
    for (const { name, labels, value } of family.samples) {
      lines.push(`${name ?? family.name}${renderLabels(labels)} ${formatValue(value)}`)
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/**
 * Counters are sums of non-negative events; a NaN or negative input is a bookkeeping bug
 * upstream, and exporting it would make `rate()` see a reset. Report 0 instead.
 */
export function counter(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0
}

/** HELP text escapes backslash and newline only (format 0.0.4). */
function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')
}

/** Label values escape backslash, double quote and newline (format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
}

/** A sample value, or a number as a label value (a histogram's `le="+Inf"`). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
