/**
 * A small PromQL evaluator for tests: the official grammar (@prometheus-io/lezer-promql, what
 * Prometheus' own editor parses with) and the subset a dashboard uses, evaluated over scrapes
 * of /metrics the way Prometheus would over the same samples: vector and range selectors with
 * every matcher, rate/increase/irate (counter resets included), aggregations with by/without,
 * histogram_quantile, arithmetic and comparisons. Anything else throws, so a dashboard that
 * grows past it fails loudly rather than passing unchecked.
 */
import { parser } from '@prometheus-io/lezer-promql'
import { parseExposition } from '../../src/node/metrics/exposition-parser.ts'

type Node = ReturnType<typeof parser.parse>['topNode']
export type Labels = Record<string, string>

export interface Series {
  /** With `__name__` while it is a selected series; without once a function or operator ran. */
  labels: Labels
  value: number
}

/** One scrape: every sample of a target at a time (seconds), with its target's labels added. */
export interface Scrape {
  at: number
  series: Series[]
}

type Value =
  | { kind: 'scalar'; value: number }
  | { kind: 'vector'; series: Series[] }
  | { kind: 'matrix'; series: Array<{ labels: Labels; points: Array<[number, number]> }> }

/** A scrape of exposition `text` taken at `at`, each series given `target` labels (instance, job). */
export function scrapeOf(text: string, at: number, target: Labels): Scrape {
  return {
    at,
    series: parseExposition(text).map((s) => ({
      labels: { __name__: s.name, ...s.labels, ...target },
      value: s.value,
    })),
  }
}

/** Grafana's variables replaced: `$__rate_interval`, `$__range`, `$name`, `${name}`. */
export function substitute(expr: string, variables: Readonly<Record<string, string>>): string {
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const value = variables[braced ?? bare ?? '']
      if (value === undefined) throw new Error(`no value for ${whole} in ${expr}`)
      return value
    },
  )
}

function parse(expr: string): Node {
  const tree = parser.parse(expr)
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) throw new Error(`PromQL syntax error at ${node.from} in ${expr}`)
    },
  })
  return tree.topNode
}

const children = (node: Node): Node[] => {
  const out: Node[] = []
  for (let child = node.firstChild; child !== null; child = child.nextSibling) out.push(child)
  return out
}
const child = (node: Node, name: string): Node | undefined => children(node).find((c) => c.name === name)

function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1)
  if (literal.startsWith("'")) return JSON.parse(`"${literal.slice(1, -1).replaceAll('"', '\\"')}"`)
  return JSON.parse(literal)
}

interface Matcher {
  label: string
  op: string
  value: string
}

function matchersOf(selector: Node, text: string): Matcher[] {
  const out: Matcher[] = []
  const name = child(selector, 'Identifier')
  if (name !== undefined) out.push({ label: '__name__', op: '=', value: text.slice(name.from, name.to) })
  for (const m of children(child(selector, 'LabelMatchers') ?? selector)) {
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue
    const [label, op, value] = [
      child(m, 'LabelName') ?? child(m, 'QuotedLabelName'),
      child(m, 'MatchOp'),
      child(m, 'StringLiteral'),
    ]
    if (label === undefined || op === undefined || value === undefined)
      throw new Error(`bad matcher in ${text}`)
    const labelText = text.slice(label.from, label.to)
    out.push({
      label: labelText.startsWith('"') ? unquote(labelText) : labelText,
      op: text.slice(op.from, op.to),
      value: unquote(text.slice(value.from, value.to)),
    })
  }
  return out
}

function matches(labels: Labels, matchers: readonly Matcher[]): boolean {
  return matchers.every(({ label, op, value }) => {
    const actual = labels[label] ?? ''
    if (op === '=') return actual === value
    if (op === '!=') return actual !== value
    const hit = new RegExp(`^(?:${value})$`).test(actual)
    return op === '=~' ? hit : !hit
  })
}

const withoutName = ({ __name__: _, ...rest }: Labels): Labels => rest
const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))

/** `increase` over a counter's points, a drop read as a reset (Prometheus' counter semantics). */
function increaseOf(points: ReadonlyArray<[number, number]>): number {
  let total = 0
  for (let i = 1; i < points.length; i++) {
    const [, before] = points[i - 1] as [number, number]
    const [, now] = points[i] as [number, number]
    total += now >= before ? now - before : now
  }
  return total
}

function histogramQuantile(q: number, vector: readonly Series[]): Series[] {
  const groups = new Map<string, { labels: Labels; buckets: Array<[number, number]> }>()
  for (const { labels, value } of vector) {
    const { le, ...rest } = withoutName(labels)
    if (le === undefined) continue
    const k = key(rest)
    const group = groups.get(k) ?? { labels: rest, buckets: [] }
    group.buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value])
    groups.set(k, group)
  }
  return [...groups.values()].map(({ labels, buckets }) => {
    buckets.sort(([a], [b]) => a - b)
    const total = buckets.at(-1)?.[1] ?? 0
    const rank = q * total
    let [prevLe, prevCount] = [0, 0]
    for (const [le, count] of buckets) {
      if (count >= rank) {
        const value =
          le === Number.POSITIVE_INFINITY
            ? prevLe
            : prevLe + (le - prevLe) * ((rank - prevCount) / (count - prevCount || 1))
        return { labels, value: total === 0 ? Number.NaN : value }
      }
      ;[prevLe, prevCount] = [le, count]
    }
    return { labels, value: Number.NaN }
  })
}

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '^': (a, b) => a ** b,
}
const COMPARISON: Record<string, (a: number, b: number) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
}

class Evaluator {
  readonly text: string
  readonly scrapes: readonly Scrape[]

  constructor(text: string, scrapes: readonly Scrape[]) {
    this.text = text
    this.scrapes = scrapes
  }

  fail(node: Node, why: string): never {
    throw new Error(`${why}: ${node.name} "${this.text.slice(node.from, node.to)}" in ${this.text}`)
  }

  vector(node: Node): Series[] {
    const value = this.eval(node)
    if (value.kind !== 'vector') this.fail(node, 'an instant vector was expected')
    return value.series
  }

  scalar(node: Node): number {
    const value = this.eval(node)
    if (value.kind !== 'scalar') this.fail(node, 'a number was expected')
    return value.value
  }

  eval(node: Node): Value {
    switch (node.name) {
      case 'PromQL':
      case 'ParenExpr':
        return this.eval(children(node)[0] ?? this.fail(node, 'empty'))
      case 'NumberDurationLiteral':
      case 'NumberLiteral':
        return { kind: 'scalar', value: Number(this.text.slice(node.from, node.to)) }
      case 'VectorSelector': {
        const matchers = matchersOf(node, this.text)
        const last = this.scrapes.at(-1) as Scrape
        return { kind: 'vector', series: last.series.filter((s) => matches(s.labels, matchers)) }
      }
      case 'MatrixSelector': {
        // The range covers every scrape: the test scrapes within it.
        const matchers = matchersOf(
          child(node, 'VectorSelector') ?? this.fail(node, 'no selector'),
          this.text,
        )
        const series = new Map<string, { labels: Labels; points: Array<[number, number]> }>()
        for (const scrape of this.scrapes) {
          for (const s of scrape.series.filter((x) => matches(x.labels, matchers))) {
            const entry = series.get(key(s.labels)) ?? { labels: s.labels, points: [] }
            entry.points.push([scrape.at, s.value])
            series.set(key(s.labels), entry)
          }
        }
        return { kind: 'matrix', series: [...series.values()] }
      }
      case 'FunctionCall':
        return this.call(node)
      case 'AggregateExpr':
        return this.aggregate(node)
      case 'BinaryExpr':
        return this.binary(node)
      default:
        return this.fail(node, 'not supported by this evaluator')
    }
  }

  call(node: Node): Value {
    const fn = this.text.slice(node.firstChild?.from ?? 0, node.firstChild?.to ?? 0)
    const args = children(child(node, 'FunctionCallBody') ?? this.fail(node, 'no arguments'))
    if (fn === 'rate' || fn === 'increase' || fn === 'irate') {
      const range = this.eval(args[0] ?? this.fail(node, 'no range'))
      if (range.kind !== 'matrix') this.fail(node, `${fn} takes a range`)
      const series = range.series.flatMap(({ labels, points }) => {
        if (points.length < 2) return []
        const used = fn === 'irate' ? points.slice(-2) : points
        const seconds = (used.at(-1)?.[0] ?? 0) - (used[0]?.[0] ?? 0)
        const increase = increaseOf(used)
        return [{ labels: withoutName(labels), value: fn === 'increase' ? increase : increase / seconds }]
      })
      return { kind: 'vector', series }
    }
    if (fn === 'histogram_quantile') {
      const q = this.scalar(args[0] ?? this.fail(node, 'no quantile'))
      return {
        kind: 'vector',
        series: histogramQuantile(q, this.vector(args[1] ?? this.fail(node, 'no vector'))),
      }
    }
    const unary: Record<string, (v: number, arg?: number) => number> = {
      abs: Math.abs,
      ceil: Math.ceil,
      floor: Math.floor,
      round: Math.round,
      clamp_min: (v, min = 0) => Math.max(v, min),
      clamp_max: (v, max = 0) => Math.min(v, max),
    }
    const f = unary[fn]
    if (f === undefined) this.fail(node, `function ${fn} not supported by this evaluator`)
    const arg = args[1] === undefined ? undefined : this.scalar(args[1])
    const series = this.vector(args[0] ?? this.fail(node, 'no argument'))
    return {
      kind: 'vector',
      series: series.map((s) => ({ labels: withoutName(s.labels), value: f(s.value, arg) })),
    }
  }

  aggregate(node: Node): Value {
    const op = this.text.slice(node.firstChild?.from ?? 0, node.firstChild?.to ?? 0)
    const modifier = child(node, 'AggregateModifier')
    const grouping = modifier === undefined ? [] : children(child(modifier, 'GroupingLabels') ?? modifier)
    const names = grouping.filter((n) => n.name === 'LabelName').map((n) => this.text.slice(n.from, n.to))
    const without = modifier !== undefined && child(modifier, 'Without') !== undefined
    const args = children(child(node, 'FunctionCallBody') ?? this.fail(node, 'no argument'))
    const fold: Record<string, (values: number[]) => number> = {
      sum: (v) => v.reduce((a, b) => a + b, 0),
      min: (v) => Math.min(...v),
      max: (v) => Math.max(...v),
      avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
      count: (v) => v.length,
    }
    const f = fold[op]
    if (f === undefined || args.length !== 1)
      this.fail(node, `aggregation ${op} not supported by this evaluator`)
    const groups = new Map<string, { labels: Labels; values: number[] }>()
    for (const s of this.vector(args[0] as Node)) {
      const base = withoutName(s.labels)
      const labels = Object.fromEntries(
        Object.entries(base).filter(([k]) => (without ? !names.includes(k) : names.includes(k))),
      )
      const group = groups.get(key(labels)) ?? { labels, values: [] }
      group.values.push(s.value)
      groups.set(key(labels), group)
    }
    return {
      kind: 'vector',
      series: [...groups.values()].map(({ labels, values }) => ({ labels, value: f(values) })),
    }
  }

  binary(node: Node): Value {
    const parts = children(node)
    const [left, right] = [parts[0], parts.at(-1)]
    const opNode = parts[1]
    if (left === undefined || right === undefined || opNode === undefined)
      this.fail(node, 'bad binary expression')
    if (parts.some((p) => p.name === 'MatchingModifierClause' || p.name === 'BoolModifier')) {
      this.fail(node, 'on/ignoring/bool not supported by this evaluator')
    }
    const op = this.text.slice(opNode.from, opNode.to)
    const arithmetic = ARITHMETIC[op]
    const comparison = COMPARISON[op]
    if (arithmetic === undefined && comparison === undefined) this.fail(node, `operator ${op} not supported`)
    const apply = (a: number, b: number): number | undefined =>
      arithmetic !== undefined
        ? arithmetic(a, b)
        : (comparison as (a: number, b: number) => boolean)(a, b)
          ? a
          : undefined
    const [l, r] = [this.eval(left), this.eval(right)]
    if (l.kind === 'scalar' && r.kind === 'scalar')
      return { kind: 'scalar', value: apply(l.value, r.value) ?? Number.NaN }
    if (l.kind === 'matrix' || r.kind === 'matrix') this.fail(node, 'a range in arithmetic')
    const pick = (s: Series, other: number, leftSide: boolean): Series[] => {
      const value = leftSide ? apply(s.value, other) : apply(other, s.value)
      return value === undefined ? [] : [{ labels: withoutName(s.labels), value }]
    }
    if (r.kind === 'scalar')
      return {
        kind: 'vector',
        series: (l as { series: Series[] }).series.flatMap((s) => pick(s, r.value, true)),
      }
    if (l.kind === 'scalar')
      return { kind: 'vector', series: r.series.flatMap((s) => pick(s, l.value, false)) }
    const rightByKey = new Map(r.series.map((s) => [key(withoutName(s.labels)), s]))
    const series = l.series.flatMap((s) => {
      const other = rightByKey.get(key(withoutName(s.labels)))
      return other === undefined ? [] : pick(s, other.value, true)
    })
    return { kind: 'vector', series }
  }
}

/** The instant vector `expr` gives at the last scrape, ranges spanning all of them. */
export function evaluate(expr: string, scrapes: readonly Scrape[]): Series[] {
  if (scrapes.length === 0) throw new Error('no scrape')
  const evaluator = new Evaluator(expr, scrapes)
  const value = evaluator.eval(parse(expr))
  if (value.kind === 'scalar') return [{ labels: {}, value: value.value }]
  if (value.kind === 'matrix') throw new Error(`a range is not a query result: ${expr}`)
  return value.series
}

/** Every vector selector in `expr` (inside ranges too), as its source text. */
export function selectorsIn(expr: string): string[] {
  const out: string[] = []
  const walk = (node: Node): void => {
    if (node.name === 'VectorSelector') out.push(expr.slice(node.from, node.to))
    for (const c of children(node)) walk(c)
  }
  walk(parse(expr))
  return out
}
