/**
 * Reads Prometheus text exposition format 0.0.4 back into samples, for tests that check the
 * series /metrics serves (renderPawMetrics's and prom-client's).
 */

export interface ExpositionSample {
  name: string
  labels: Record<string, string>
  value: number
}

const SAMPLE_HEAD = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/

/**
 * A small parser for text exposition format 0.0.4: the samples, comments skipped. Enough to
 * check series in tests (ours and prom-client's), not a validating parser.
 */
export function parseExposition(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const head = SAMPLE_HEAD.exec(line)
    if (head?.[1] === undefined) throw new Error(`bad exposition line: ${line}`)
    const name = head[1]
    let rest = line.slice(name.length)
    const labels: Record<string, string> = {}
    if (rest.startsWith('{')) {
      const end = parseLabels(rest, labels)
      rest = rest.slice(end)
    }
    const [valueText] = rest.trim().split(/\s+/)
    samples.push({ name, labels, value: parseValue(valueText ?? '', line) })
  }
  return samples
}

/** Parses `{a="x",b="y"}` at the start of `text` into `into`; returns the index after `}`. */
function parseLabels(text: string, into: Record<string, string>): number {
  let i = 1
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++
    if (text[i] === '}') return i + 1
    const eq = text.indexOf('=', i)
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`bad labels: ${text}`)
    const key = text.slice(i, eq).trim()
    let value = ''
    i = eq + 2
    for (;;) {
      const c = text[i]
      if (c === undefined) throw new Error(`unterminated label value: ${text}`)
      if (c === '"') break
      if (c === '\\') {
        const next = text[i + 1]
        value += next === 'n' ? '\n' : (next ?? '')
        i += 2
      } else {
        value += c
        i++
      }
    }
    into[key] = value
    i++
  }
}

/** Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes "Nan"). */
function parseValue(text: string, line: string): number {
  const lower = text.toLowerCase()
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY
  if (lower === '-inf') return Number.NEGATIVE_INFINITY
  if (lower === 'nan') return Number.NaN
  const value = Number(text)
  if (text === '' || Number.isNaN(value)) throw new Error(`bad sample value: ${line}`)
  return value
}
