/** The test PromQL evaluator (promql-eval.ts) against results worked out by hand. */
import { describe, expect, it } from 'vitest'
import { evaluate, type Scrape, scrapeOf, selectorsIn, substitute } from './promql-eval.ts'

const text = (dials: number, peers: number) =>
  [
    `x_dials_total{result="success"} ${dials}`,
    'x_dials_total{result="failure"} 2',
    `x_peers{direction="in",state="connected"} ${peers}`,
    'x_peers{direction="out",state="connected"} 3',
    'x_seconds_bucket{le="0.1"} 5',
    'x_seconds_bucket{le="1"} 10',
    'x_seconds_bucket{le="+Inf"} 10',
  ].join('\n')

const scrapes: Scrape[] = [
  scrapeOf(text(10, 1), 0, { instance: 'a:1', job: 'paw' }),
  scrapeOf(text(40, 2), 10, { instance: 'a:1', job: 'paw' }),
]

const values = (expr: string, from = scrapes) =>
  Object.fromEntries(evaluate(expr, from).map((s) => [JSON.stringify(s.labels), s.value]))

describe('the test PromQL evaluator', () => {
  it('selects with every matcher kind, the instance label included', () => {
    expect(values('x_peers{direction=~"i.", instance!="b:1", state!~"dis.*"}')).toEqual({
      '{"__name__":"x_peers","direction":"in","state":"connected","instance":"a:1","job":"paw"}': 2,
    })
    expect(evaluate('x_peers{direction="sideways"}', scrapes)).toEqual([])
  })

  it('takes rate and increase over the scrapes, a drop as a counter reset', () => {
    expect(values('sum by (result) (rate(x_dials_total[1m]))')).toEqual({
      '{"result":"success"}': 3,
      '{"result":"failure"}': 0,
    })
    const reset = [...scrapes, scrapeOf(text(5, 2), 20, { instance: 'a:1', job: 'paw' })]
    expect(values('increase(x_dials_total{result="success"}[1h])', reset)).toEqual({
      '{"result":"success","instance":"a:1","job":"paw"}': 35,
    })
    // One scrape is not enough for a rate: no data, as in Prometheus.
    expect(evaluate('rate(x_dials_total[1m])', scrapes.slice(1))).toEqual([])
  })

  it('aggregates with by and without, and does arithmetic and comparisons', () => {
    expect(values('sum(x_peers)')).toEqual({ '{}': 5 })
    expect(values('max without (instance, job, state) (x_peers)')).toEqual({
      '{"direction":"in"}': 2,
      '{"direction":"out"}': 3,
    })
    expect(values('sum(x_peers) * 2 - 1')).toEqual({ '{}': 9 })
    expect(evaluate('x_peers > 2', scrapes)).toHaveLength(1)
  })

  it('computes histogram_quantile by linear interpolation in the bucket', () => {
    expect(values('histogram_quantile(0.75, x_seconds_bucket)')).toEqual({
      '{"instance":"a:1","job":"paw"}': 0.55,
    })
  })

  it("substitutes Grafana's variables, lists selectors and refuses what it cannot evaluate", () => {
    const expr = substitute('sum(rate(x_dials_total{instance=~"$instance"}[$__rate_interval]))', {
      instance: '.*',
      __rate_interval: '1m',
    })
    expect(expr).toBe('sum(rate(x_dials_total{instance=~".*"}[1m]))')
    expect(selectorsIn('sum(x_peers) / sum(rate(x_dials_total[1m]))')).toEqual(['x_peers', 'x_dials_total'])
    expect(() => substitute('x{a="$nope"}', {})).toThrow(/\$nope/)
    expect(() => evaluate('predict_linear(x_peers[1m], 60)', scrapes)).toThrow(/not supported/)
    expect(() => evaluate('sum(x_peers', scrapes)).toThrow(/syntax/)
  })
})
