/**
 * Issue 17, item 5: the metrics of two real `paw-node start` processes on loopback, a miner and
 * a full node that found it through --bootstrap alone, scraped from their metrics listeners in
 * steady state. Every query of dashboards/paw-p2p.grafana.json returns data (evaluated as
 * Prometheus would over two scrapes, test/node/promql-eval.ts), every family follows
 * Prometheus' naming conventions, the bootstrap connection counts as a successful dial, and the
 * admin API's /metrics still serves the same families.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseExposition } from '../../src/node/metrics/exposition-parser.ts'
import { conventionBreaches, parseFamilies } from '../node/metric-conventions.ts'
import { evaluate, type Scrape, scrapeOf, selectorsIn, substitute } from '../node/promql-eval.ts'
import { type CliProcess, startCli, stopCli } from '../support/cli-process.ts'
import { waitFor } from '../support/nodes.ts'
import { projectRoot } from '../support/system-node.ts'

interface Target {
  name: string
  process: CliProcess
  home: string
  /** `host:port` of its metrics listener. */
  metrics: string
}

interface Query {
  panel: string
  expr: string
  legend: string | undefined
}

/** Grafana's values for the variables the dashboard uses: "All" instances, a range both scrapes fall in. */
const VARIABLES = { instance: '.*', __rate_interval: '5m', __range: '1h', __interval: '1m' }

const root = await mkdtemp(join(tmpdir(), 'paw-metrics-scrape-'))
const targets: Target[] = []

function loopbackFlags(home: string): string[] {
  return [
    '--home',
    home,
    '--listen-host',
    '127.0.0.1',
    '--port',
    '0',
    '--ws-port',
    'off',
    '--admin-listen',
    '127.0.0.1:0',
    '--metrics',
    '--metrics-listen',
    '127.0.0.1:0',
  ]
}

async function startTarget(name: string, flags: string[]): Promise<Target> {
  const home = join(root, name)
  const child = startCli(['start', ...loopbackFlags(home), ...flags])
  const target: Target = { name, process: child, home, metrics: '' }
  targets.push(target)
  await waitFor(`${name} listening`, () => /metrics listening .*address=\S+/.test(child.stderr()), 60_000)
  target.metrics = /metrics listening .*address=(\S+)/.exec(child.stderr())?.[1] ?? ''
  await waitFor(`${name} printing its address`, () => child.stdout().includes('/p2p/'), 10_000)
  return target
}

async function fetchText(url: string): Promise<string> {
  const reply = await fetch(url, { signal: AbortSignal.timeout(5_000) })
  expect(reply.status, url).toBe(200)
  return reply.text()
}

const scrapeText = (target: Target) => fetchText(`http://${target.metrics}/metrics`)

async function scrape(target: Target): Promise<Scrape> {
  return scrapeOf(await scrapeText(target), Date.now() / 1000, { instance: target.metrics, job: 'paw' })
}

/** The value of one series of a scrape text; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return parseExposition(text).find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value
}

/** Every target expression of the dashboard, with its panel and legend. */
function queriesOf(dashboard: { panels?: unknown[] }): Query[] {
  const out: Query[] = []
  const walk = (panels: unknown[]) => {
    for (const panel of panels as Array<{ title?: string; panels?: unknown[]; targets?: unknown[] }>) {
      walk(panel.panels ?? [])
      for (const target of (panel.targets ?? []) as Array<{ expr?: string; legendFormat?: string }>) {
        if (target.expr !== undefined) {
          out.push({ panel: panel.title ?? '?', expr: target.expr, legend: target.legendFormat })
        }
      }
    }
  }
  walk(dashboard.panels ?? [])
  return out
}

let miner: Target
let joiner: Target
const steady: { combined: Scrape[]; byTarget: Map<string, Scrape[]> } = { combined: [], byTarget: new Map() }

beforeAll(async () => {
  miner = await startTarget('miner', ['--max-hashrate', '3000'])
  const [address] = miner.process.stdout().split('\n')
  // min_outbound 0: the joiner's own dialler never dials; its one peer is libp2p's bootstrap dial.
  joiner = await startTarget('joiner', [
    '--type',
    'full',
    '--bootstrap',
    address ?? '',
    '--min-outbound',
    '0',
  ])
  const height = async (target: Target) => sample(await scrapeText(target), 'paw_p2p_chain_height') ?? 0
  const deadline = Date.now() + 90_000
  for (;;) {
    const text = await scrapeText(joiner)
    const connected = sample(text, 'paw_p2p_peers', { direction: 'outbound', state: 'connected' })
    if (connected === 1 && (await height(joiner)) >= 3 && (await height(joiner)) === (await height(miner)))
      break
    if (Date.now() > deadline) throw new Error('the joiner never caught up with the miner')
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  // Two scrapes a few seconds apart, as Prometheus takes them: rate() needs both.
  for (let round = 0; round < 2; round++) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 4_000))
    const [a, b] = await Promise.all([scrape(miner), scrape(joiner)])
    steady.combined.push({ at: b.at, series: [...a.series, ...b.series] })
    for (const [name, s] of [
      ['miner', a],
      ['joiner', b],
    ] as const) {
      steady.byTarget.set(name, [...(steady.byTarget.get(name) ?? []), s])
    }
  }
}, 180_000)

afterAll(async () => {
  await Promise.all(targets.map((t) => stopCli(t.process.child, 'SIGTERM')))
  await rm(root, { recursive: true, force: true })
})

describe('dashboards/paw-p2p.grafana.json against two live nodes in steady state', () => {
  it('every query returns data, for both nodes together and for each alone, with its legend labels', async () => {
    const dashboard = JSON.parse(
      await readFile(join(projectRoot, 'dashboards', 'paw-p2p.grafana.json'), 'utf8'),
    )
    const queries = queriesOf(dashboard)
    expect(queries.length).toBeGreaterThanOrEqual(15)
    const empty: string[] = []
    for (const { panel, expr, legend } of queries) {
      const promql = substitute(expr, VARIABLES)
      for (const [who, scrapes] of [['both', steady.combined], ...steady.byTarget] as const) {
        const result = evaluate(promql, scrapes)
        if (result.length === 0) {
          empty.push(`${panel} (${who}): ${expr}`)
          continue
        }
        for (const label of [...(legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] as string)) {
          for (const series of result)
            expect(series.labels, `${label} of the legend of ${expr}`).toHaveProperty(label)
        }
      }
    }
    expect(empty).toEqual([])
  })

  it('every selector of every query matches a series of each node, its matchers satisfied', async () => {
    const dashboard = JSON.parse(
      await readFile(join(projectRoot, 'dashboards', 'paw-p2p.grafana.json'), 'utf8'),
    )
    const unmatched: string[] = []
    for (const { expr } of queriesOf(dashboard)) {
      for (const selector of selectorsIn(substitute(expr, VARIABLES))) {
        for (const [who, scrapes] of steady.byTarget) {
          if (evaluate(selector, scrapes).length === 0) unmatched.push(`${who}: ${selector}`)
        }
      }
    }
    // The instance variable's own query: label_values(paw_p2p_uptime_seconds, instance).
    const variable = dashboard.templating.list.find((v: { name: string }) => v.name === 'instance')
    const [, metric] = /label_values\((\w+),\s*instance\)/.exec(variable.definition) ?? []
    expect(
      evaluate(metric ?? 'missing', steady.combined)
        .map((s) => s.labels.instance)
        .sort(),
    ).toEqual([miner.metrics, joiner.metrics].sort())
    expect(unmatched).toEqual([])
  })
})

describe('the scrape of a live node', () => {
  it('follows the naming conventions in every family', async () => {
    for (const target of [miner, joiner]) {
      const text = await scrapeText(target)
      expect(parseFamilies(text).length, target.name).toBeGreaterThan(60)
      expect(conventionBreaches(text), target.name).toEqual([])
    }
  })

  it('counts the connection libp2p dialled to a --bootstrap peer as a successful dial', async () => {
    const text = await scrapeText(joiner)
    expect(sample(text, 'paw_p2p_peers', { direction: 'outbound', state: 'connected' })).toBe(1)
    expect(sample(text, 'paw_p2p_dials_total', { result: 'success' })).toBeGreaterThanOrEqual(1)
  })

  it('has the sync target and every rejection code before any sync or rejection happens', async () => {
    const text = await scrapeText(miner)
    expect(sample(text, 'paw_p2p_sync_target_height')).toBe(sample(text, 'paw_p2p_chain_height'))
    const codes = parseExposition(text)
      .filter((s) => s.name === 'paw_p2p_rejections_total')
      .map((s) => s.labels.code)
    expect(codes).toContain('0x02')
    expect(codes).toContain('0x07')
  })

  it("is what the admin API's GET /metrics serves too", async () => {
    const admin = (await readFile(join(joiner.home, 'data', 'admin.addr'), 'utf8')).trim()
    const names = (text: string) => parseFamilies(text).map((f) => f.name)
    expect(names(await fetchText(`http://${admin}/metrics`))).toEqual(names(await scrapeText(joiner)))
  })
})
