/**
 * The text-format primitives renderPawMetrics writes through (Prometheus text exposition
 * format 0.0.4): metric families with their HELP and TYPE lines and the `paw_p2p_` prefix,
 * label and HELP escaping, sample values, counter clamping.
 */

/** Every series renderPawMetrics can emit starts with this. */
export const PAW_METRIC_PREFIX = 'paw_p2p_'

type MetricType = 'counter' | 'gauge'
export type Labels = Record<string, string>

interface Family {
  name: string
  help: string
  type: MetricType
  samples: Array<{ labels: Labels; value: number }>
}

/** Collects metric families in emission order; counters are clamped so they never go negative. */
export class Families {
  readonly #families: Family[] = []

  add(name: string, type: MetricType, help: string, samples: Array<[Labels, number]>): void {
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

  one(name: string, type: MetricType, help: string, value: number): void {
    this.add(name, type, help, [[{}, value]])
  }

  render(): string {
    const lines: string[] = []
    for (const family of this.#families) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`)
      lines.push(`# TYPE ${family.name} ${family.type}`)
      for (const { labels, value } of family.samples) {
        lines.push(`${family.name}${renderLabels(labels)} ${formatValue(value)}`)
      }
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`
  }
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

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
