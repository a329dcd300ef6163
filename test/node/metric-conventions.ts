/**
 * Prometheus' naming conventions (https://prometheus.io/docs/practices/naming/) as checks over
 * a scrape: what test/node/metric-conventions.test.ts and the e2e scrape tests hold /metrics to.
 */
import { type ExpositionSample, parseExposition } from '../../src/node/metrics/exposition-parser.ts'

export interface ScrapedFamily {
  name: string
  help: string | undefined
  type: string | undefined
  samples: ExpositionSample[]
}

/** The families of an exposition text: HELP and TYPE by name, each sample under its family. */
export function parseFamilies(text: string): ScrapedFamily[] {
  const families = new Map<string, ScrapedFamily>()
  const family = (name: string): ScrapedFamily => {
    let found = families.get(name)
    if (found === undefined) {
      found = { name, help: undefined, type: undefined, samples: [] }
      families.set(name, found)
    }
    return found
  }
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (meta === null) continue
    const [, kind, name = '', rest = ''] = meta
    if (kind === 'HELP') family(name).help = rest
    else family(name).type = rest
  }
  for (const sample of parseExposition(text)) {
    const histogram = /^(.*)_(bucket|sum|count)$/.exec(sample.name)?.[1]
    const owner =
      histogram !== undefined && ['histogram', 'summary'].includes(families.get(histogram)?.type ?? '')
        ? histogram
        : sample.name
    family(owner).samples.push(sample)
  }
  return [...families.values()]
}

/** Application prefixes: PAW's own (paw_p2p_, paw_process_, paw_nodejs_, paw_filesystem_) and libp2p's. */
const PREFIX = /^(paw|libp2p)_[a-z]/
/** Units Prometheus says not to use: base units are seconds and bytes, ratios not percentages. */
const NOT_BASE_UNIT =
  /_(milliseconds|microseconds|nanoseconds|ms|us|ns|minutes|hours|days|kilobytes|megabytes|gigabytes|kib|mib|gib|kb|mb|gb|bits|percent|percentage)(_|$)/
const UNITS = ['bytes', 'seconds']

/** What is wrong with `family`, one line per breach; empty when it follows the conventions. */
export function breaches(family: ScrapedFamily): string[] {
  const { name, help, type } = family
  const out: string[] = []
  const say = (what: string) => out.push(`${name}: ${what}`)
  if (!PREFIX.test(name)) say('no paw_ or libp2p_ prefix')
  if (help === undefined || help.trim() === '') say('no HELP')
  else if (help === name || help.replaceAll(' ', '_') === name || !/\S \S/.test(help)) {
    say(`HELP says nothing: ${JSON.stringify(help)}`)
  }
  if (type === undefined) say('no TYPE')
  if (type === 'gauge' && name.endsWith('_total')) say('a gauge ending in _total')
  if (type === 'counter' && !name.endsWith('_total')) say('a counter not ending in _total')
  const base = type === 'counter' ? name.replace(/_total$/, '') : name
  if (/_(bucket|sum|count)$/.test(base)) say('a name ending in a histogram suffix')
  if (NOT_BASE_UNIT.test(name)) say('a unit that is not a base unit')
  for (const unit of UNITS) {
    if (base.includes(`_${unit}_`) && !base.endsWith(`_${unit}`))
      say(`${unit} in the name but not as its unit suffix`)
  }
  if (base.endsWith('_ratio')) {
    for (const s of family.samples) if (!(s.value >= 0 && s.value <= 1)) say(`ratio ${s.value} outside 0..1`)
  }
  if (type === 'counter') {
    for (const s of family.samples) if (!(s.value >= 0)) say(`counter value ${s.value}`)
  }
  for (const s of family.samples) {
    const suffix = s.name.slice(name.length)
    const allowed = type === 'histogram' || type === 'summary' ? ['', '_bucket', '_sum', '_count'] : ['']
    if (!s.name.startsWith(name) || !allowed.includes(suffix)) say(`sample ${s.name} outside its family`)
  }
  return out
}

/** Every breach of every family in an exposition text. */
export function conventionBreaches(text: string): string[] {
  return parseFamilies(text).flatMap(breaches)
}
