/** Prometheus metrics: PAW's snapshot renderer, the Grafana dashboard, libp2p's registry per node. */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { type ExpositionSample, parseExposition } from '../../src/node/metrics/exposition-parser.ts'
import { createLibp2pMetrics, type Libp2pMetrics } from '../../src/node/metrics/libp2p-metrics.ts'
import { type P2pMetricsSnapshot, renderPawMetrics } from '../../src/node/metrics/paw-metrics.ts'

const root = join(import.meta.dirname, '..', '..')

const traffic = (n: number) => ({
  bytesSent: n * 100,
  bytesReceived: n * 200,
  messagesSent: n,
  messagesReceived: n * 2,
})

function populated(): P2pMetricsSnapshot {
  return {
    peers: [
      { peerId: 'p1', state: 'connected', direction: 'inbound', stats: traffic(1), score: 3.5, rttMs: 12 },
      { peerId: 'p2', state: 'connected', direction: 'outbound', stats: traffic(2), score: -1 },
      { peerId: 'p3', state: 'handshaking', direction: 'outbound', stats: traffic(0) },
      { peerId: 'p4', state: 'connecting', direction: undefined, stats: traffic(0), score: 100 },
    ],
    node: {
      totalConnections: 9,
      successfulDials: 5,
      failedDials: 2,
      rejectedInbound: 1,
      inbound: 1,
      outbound: 1,
    },
    rejectionsByCode: { '0x02': 3, '0x07': 1 },
    protocols: { '/paw/handshake/1': traffic(1), '/paw/sync/1': traffic(4) },
    bans: { active: 1, total: 4 },
    addressBook: { entries: 120, groups: 17 },
    gossip: {
      verdicts: {
        blocks: { accept: 10, ignore: 2, reject: 1 },
        transactions: { accept: 50, ignore: 5, reject: 0 },
        headers: { accept: 7, ignore: 0, reject: 0 },
      },
      republished: 3,
      throttled: 2,
    },
    sync: { height: 1000, target: 1500 },
    uptimeSeconds: 3600,
    memory: {
      nodeLimitBytes: 256 * 1024 * 1024,
      peerLimitBytes: 24 * 1024 * 1024,
      usedBytes: 5_000_000,
      peakBytes: 30_000_000,
      refused: { peer: 4, node: 1 },
      revoked: { reservations: 2, bytes: 16_000_000 },
    },
    enforcement: {
      charged: { messageTooLarge: 2, invalidMessage: 7 },
      bans: { offence: 1, score: 2 },
      disconnects: { offence: 3, repeated: 1, score: 4 },
    },
  }
}

function empty(): P2pMetricsSnapshot {
  const zero = { accept: 0, ignore: 0, reject: 0 }
  return {
    peers: [],
    node: {
      totalConnections: 0,
      successfulDials: 0,
      failedDials: 0,
      rejectedInbound: 0,
      inbound: 0,
      outbound: 0,
    },
    rejectionsByCode: {},
    protocols: {},
    bans: { active: 0, total: 0 },
    addressBook: { entries: 0, groups: 0 },
    gossip: { verdicts: { blocks: zero, transactions: zero, headers: zero }, republished: 0, throttled: 0 },
    sync: { height: 0, target: undefined },
    uptimeSeconds: 0,
    memory: {
      nodeLimitBytes: 1,
      peerLimitBytes: 1,
      usedBytes: 0,
      peakBytes: 0,
      refused: { peer: 0, node: 0 },
      revoked: { reservations: 0, bytes: 0 },
    },
    enforcement: {
      charged: {},
      bans: { offence: 0, score: 0 },
      disconnects: { offence: 0, repeated: 0, score: 0 },
    },
  }
}

const find = (samples: ExpositionSample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))

const value = (samples: ExpositionSample[], name: string, labels: Record<string, string> = {}) => {
  const hits = find(samples, name, labels)
  expect(hits, `${name} ${JSON.stringify(labels)}`).toHaveLength(1)
  return hits[0]?.value
}

/** The `# TYPE` of every family in an exposition text. */
function types(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2])
  }
  return out
}

const SERIES = [
  'paw_p2p_peers',
  'paw_p2p_peer_bytes_total',
  'paw_p2p_protocol_bytes_total',
  'paw_p2p_protocol_messages_total',
  'paw_p2p_dials_total',
  'paw_p2p_connections_total',
  'paw_p2p_rejections_total',
  'paw_p2p_bans_active',
  'paw_p2p_bans_total',
  'paw_p2p_address_book_entries',
  'paw_p2p_address_book_groups',
  'paw_p2p_gossip_deliveries_total',
  'paw_p2p_gossip_republished_total',
  'paw_p2p_gossip_throttled_total',
  'paw_p2p_chain_height',
  'paw_p2p_sync_target_height',
  'paw_p2p_uptime_seconds',
  'paw_p2p_peer_score_min',
  'paw_p2p_peer_score_max',
  'paw_p2p_buffer_bytes',
  'paw_p2p_buffer_peak_bytes',
  'paw_p2p_buffer_limit_bytes',
  'paw_p2p_buffer_refusals_total',
  'paw_p2p_buffer_revoked_bytes_total',
  'paw_p2p_offences_total',
  'paw_p2p_enforcement_bans_total',
  'paw_p2p_enforcement_disconnects_total',
]

describe('renderPawMetrics', () => {
  it('emits every series for a populated snapshot, with HELP and TYPE, and parses back', () => {
    const text = renderPawMetrics(populated())
    const samples = parseExposition(text)
    const names = new Set(samples.map((s) => s.name))
    for (const name of SERIES) expect(names, name).toContain(name)
    const declared = types(text)
    for (const name of names) {
      expect(name.startsWith('paw_p2p_')).toBe(true)
      expect(text).toContain(`# HELP ${name} `)
      expect(declared.get(name), name).toMatch(name.endsWith('_total') ? /^counter$/ : /^gauge$/)
    }
    expect(text.endsWith('\n')).toBe(true)
  })

  it('reports the snapshot values', () => {
    const s = parseExposition(renderPawMetrics(populated()))
    expect(value(s, 'paw_p2p_peers', { direction: 'inbound', state: 'connected' })).toBe(1)
    expect(value(s, 'paw_p2p_peers', { direction: 'outbound', state: 'connected' })).toBe(1)
    expect(value(s, 'paw_p2p_peers', { direction: 'outbound', state: 'handshaking' })).toBe(1)
    expect(value(s, 'paw_p2p_peers', { direction: 'unknown', state: 'connecting' })).toBe(1)
    expect(value(s, 'paw_p2p_peer_bytes_total', { direction: 'in' })).toBe(600)
    expect(value(s, 'paw_p2p_peer_bytes_total', { direction: 'out' })).toBe(300)
    expect(value(s, 'paw_p2p_protocol_bytes_total', { protocol: '/paw/sync/1', direction: 'in' })).toBe(800)
    expect(value(s, 'paw_p2p_protocol_messages_total', { protocol: '/paw/sync/1', direction: 'out' })).toBe(4)
    expect(value(s, 'paw_p2p_dials_total', { result: 'success' })).toBe(5)
    expect(value(s, 'paw_p2p_dials_total', { result: 'failure' })).toBe(2)
    expect(value(s, 'paw_p2p_connections_total')).toBe(9)
    expect(value(s, 'paw_p2p_rejections_total', { code: '0x02' })).toBe(3)
    expect(value(s, 'paw_p2p_gossip_deliveries_total', { topic: 'blocks', verdict: 'reject' })).toBe(1)
    expect(value(s, 'paw_p2p_sync_target_height')).toBe(1500)
    // Only connected peers count toward the score range; p4 (100) is still connecting.
    expect(value(s, 'paw_p2p_peer_score_min')).toBe(-1)
    expect(value(s, 'paw_p2p_peer_score_max')).toBe(3.5)
    expect(value(s, 'paw_p2p_buffer_bytes')).toBe(5_000_000)
    expect(value(s, 'paw_p2p_buffer_limit_bytes', { scope: 'peer' })).toBe(24 * 1024 * 1024)
    expect(value(s, 'paw_p2p_buffer_refusals_total', { scope: 'peer' })).toBe(4)
    expect(value(s, 'paw_p2p_buffer_revoked_bytes_total')).toBe(16_000_000)
    expect(value(s, 'paw_p2p_offences_total', { offence: 'invalidMessage' })).toBe(7)
    expect(value(s, 'paw_p2p_enforcement_bans_total', { cause: 'score' })).toBe(2)
    expect(value(s, 'paw_p2p_enforcement_disconnects_total', { cause: 'repeated' })).toBe(1)
  })

  it('keeps peer IDs out of the labels', () => {
    const text = renderPawMetrics(populated())
    expect(text).not.toMatch(/peer(_?id)?="/i)
    for (const id of ['p1', 'p2', 'p3', 'p4']) expect(text).not.toContain(`"${id}"`)
  })

  it('zero-fills peers by direction and state, and gossip verdicts', () => {
    const s = parseExposition(renderPawMetrics(empty()))
    for (const direction of ['inbound', 'outbound']) {
      for (const state of ['connecting', 'handshaking', 'connected', 'disconnecting', 'disconnected']) {
        expect(value(s, 'paw_p2p_peers', { direction, state })).toBe(0)
      }
    }
    expect(find(s, 'paw_p2p_peers', { direction: 'unknown' })).toEqual([])
    expect(find(s, 'paw_p2p_gossip_deliveries_total')).toHaveLength(9)
    expect(value(s, 'paw_p2p_peer_bytes_total', { direction: 'in' })).toBe(0)
  })

  it('gives the local height as the sync target when no sync runs; omits the score range without peers', () => {
    const snapshot = empty()
    snapshot.sync.height = 42
    const s = parseExposition(renderPawMetrics(snapshot))
    expect(value(s, 'paw_p2p_sync_target_height')).toBe(42)
    expect(value(s, 'paw_p2p_chain_height')).toBe(42)
    expect(find(s, 'paw_p2p_peer_score_min')).toEqual([])
  })

  it('zero-fills rejections for every PAW error code and offences for every offence before any happens', () => {
    const s = parseExposition(renderPawMetrics(empty()))
    const codes = find(s, 'paw_p2p_rejections_total').map((x) => x.labels.code)
    expect(codes).toEqual([
      '0x01',
      '0x02',
      '0x03',
      '0x04',
      '0x05',
      '0x06',
      '0x07',
      '0x08',
      '0x09',
      '0x0a',
      '0x0b',
    ])
    expect(find(s, 'paw_p2p_rejections_total').every((x) => x.value === 0)).toBe(true)
    expect(value(s, 'paw_p2p_offences_total', { offence: 'messageTooLarge' })).toBe(0)
    // A counted code keeps its count among the zeros.
    const counted = parseExposition(renderPawMetrics(populated()))
    expect(value(counted, 'paw_p2p_rejections_total', { code: '0x02' })).toBe(3)
    expect(value(counted, 'paw_p2p_rejections_total', { code: '0x06' })).toBe(0)
  })

  it('escapes backslash, double quote and newline in label values', () => {
    const snapshot = empty()
    const nasty = 'a\\b"c\nd'
    snapshot.rejectionsByCode = { [nasty]: 2 }
    const text = renderPawMetrics(snapshot)
    expect(text).toContain('paw_p2p_rejections_total{code="a\\\\b\\"c\\nd"} 2')
    // Every sample stays on one line and parses back to the original value.
    const s = parseExposition(text)
    expect(value(s, 'paw_p2p_rejections_total', { code: nasty })).toBe(2)
  })

  it('never exports a negative or NaN counter', () => {
    const snapshot = populated()
    snapshot.node.failedDials = -5
    snapshot.bans.total = Number.NaN
    snapshot.gossip.throttled = -1
    snapshot.peers.push({
      peerId: 'p5',
      state: 'connected',
      direction: 'inbound',
      stats: { ...traffic(1), bytesReceived: -10_000 },
    })
    snapshot.protocols['/paw/x/1'] = {
      bytesSent: -1,
      bytesReceived: -2,
      messagesSent: -3,
      messagesReceived: -4,
    }
    const text = renderPawMetrics(snapshot)
    const counters = [...types(text)].filter(([, t]) => t === 'counter').map(([n]) => n)
    expect(counters.length).toBeGreaterThan(5)
    for (const sample of parseExposition(text)) {
      if (!counters.includes(sample.name)) continue
      expect(sample.value, `${sample.name} ${JSON.stringify(sample.labels)}`).toBeGreaterThanOrEqual(0)
    }
  })
})

describe('parseExposition', () => {
  it('reads names, labels (with escapes and spaces), values and special values', () => {
    const samples = parseExposition(
      [
        '# HELP x something',
        '# TYPE x gauge',
        'x 1',
        'y{a="b c",d="e\\"f\\\\g\\nh"} 2.5 1700000000000',
        'z{} +Inf',
        'w NaN',
        '',
      ].join('\n'),
    )
    expect(samples).toHaveLength(4)
    expect(samples[0]).toEqual({ name: 'x', labels: {}, value: 1 })
    expect(samples[1]).toEqual({ name: 'y', labels: { a: 'b c', d: 'e"f\\g\nh' }, value: 2.5 })
    expect(samples[2]?.value).toBe(Number.POSITIVE_INFINITY)
    expect(samples[3]?.value).toBeNaN()
  })

  it('refuses a line that is not a sample', () => {
    expect(() => parseExposition('{a="b"} 1')).toThrow()
    expect(() => parseExposition('x{a="b} 1')).toThrow()
    expect(() => parseExposition('x notanumber')).toThrow()
  })
})

/** PromQL words that are not metric names. */
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
])

/** The metric names a PromQL expression selects: identifiers that are not functions, keywords or labels. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '')
  const names: string[] = []
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice((m.index ?? 0) + m[0].length).trimStart()
    if (after.startsWith('(') || PROMQL_WORDS.has(m[0])) continue
    names.push(m[0])
  }
  return names
}

function collectExprs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) collectExprs(item, out)
  } else if (node !== null && typeof node === 'object') {
    for (const [key, child] of Object.entries(node)) {
      if (key === 'expr' && typeof child === 'string') out.push(child)
      else collectExprs(child, out)
    }
  }
  return out
}

/** Every .js file under a directory, recursively. */
async function jsFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) out.push(join(entry.parentPath, entry.name))
  }
  return out
}

describe('dashboards/paw-p2p.grafana.json', () => {
  it('is a valid dashboard whose queries name only series we or libp2p export', async () => {
    const dashboard = JSON.parse(await readFile(join(root, 'dashboards', 'paw-p2p.grafana.json'), 'utf8'))
    expect(dashboard.uid).toBe('paw-p2p')
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
    expect(dashboard.__inputs.map((i: { name: string }) => i.name)).toContain('DS_PROMETHEUS')

    const exprs = collectExprs(dashboard)
    expect(exprs.length).toBeGreaterThanOrEqual(10)
    const pawNames = new Set(parseExposition(renderPawMetrics(populated())).map((s) => s.name))
    const libp2pNames = new Set<string>()
    for (const expr of exprs) {
      const names = metricNamesIn(expr)
      expect(names.length, expr).toBeGreaterThan(0)
      for (const name of names) {
        if (name.startsWith('paw_p2p_')) expect(pawNames, `${name} in ${expr}`).toContain(name)
        else if (name.startsWith('libp2p_')) libp2pNames.add(name)
        else expect.fail(`${name} in ${expr} is neither paw_p2p_* nor libp2p_*`)
      }
    }
    expect(libp2pNames.size).toBeGreaterThanOrEqual(2)

    const sources = [
      ...(await jsFiles(join(root, 'node_modules', 'libp2p', 'dist'))),
      ...(await jsFiles(join(root, 'node_modules', '@libp2p'))).filter((f) => f.includes('/dist/')),
    ]
    const missing = new Set(libp2pNames)
    for (const file of sources) {
      const text = await readFile(file, 'utf8')
      for (const name of missing) if (text.includes(`'${name}'`)) missing.delete(name)
      if (missing.size === 0) break
    }
    expect([...missing]).toEqual([])
  })
})

describe('createLibp2pMetrics', () => {
  const nodes: Libp2p[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()))
  })

  async function start(metrics: Libp2pMetrics): Promise<Libp2p> {
    const node = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      metrics: metrics.metrics,
    })
    nodes.push(node)
    return node
  }

  const connections = async (m: Libp2pMetrics, direction: string) =>
    value(parseExposition(await m.render()), 'libp2p_connection_manager_connections', {
      libp2p_connection_manager_connections: direction,
    })

  it("keeps two nodes' libp2p series apart, each in its own registry", async () => {
    const aMetrics = createLibp2pMetrics()
    const bMetrics = createLibp2pMetrics()
    const a = await start(aMetrics)
    const b = await start(bMetrics)
    const [addr] = b.getMultiaddrs()
    if (addr === undefined) throw new Error('b has no address')
    await a.dial(addr)
    await expect.poll(() => connections(bMetrics, 'inbound')).toBe(1)

    for (const m of [aMetrics, bMetrics]) {
      const text = await m.render()
      const names = new Set(parseExposition(text).map((s) => s.name))
      expect([...names].filter((n) => n.startsWith('libp2p_')).length).toBeGreaterThan(5)
      expect(names).toContain('libp2p_data_transfer_bytes_total')
      expect(names).toContain('libp2p_noise_xxhandshake_successes_total')
      expect(m.contentType).toContain('text/plain')
    }
    // a dialled b: each registry reports its own node's side of the connection.
    expect(await connections(aMetrics, 'outbound')).toBe(1)
    expect(await connections(aMetrics, 'inbound')).toBe(0)
    expect(await connections(bMetrics, 'outbound')).toBe(0)
  })

  it('forgets a stream gauge label once its streams are closed (libp2p computes it at scrape time)', async () => {
    const aMetrics = createLibp2pMetrics()
    const a = await start(aMetrics)
    const b = await start(createLibp2pMetrics())
    await b.handle('/paw-test/echo/1', () => {})
    const [addr] = b.getMultiaddrs()
    if (addr === undefined) throw new Error('b has no address')
    const streamSeries = async () =>
      parseExposition(await aMetrics.render()).filter(
        (s) => s.name === 'libp2p_protocol_streams' && JSON.stringify(s.labels).includes('/paw-test/echo/1'),
      )
    const stream = await a.dialProtocol(addr, '/paw-test/echo/1')
    await expect.poll(async () => (await streamSeries()).map((s) => s.value)).toEqual([1])
    stream.abort(new Error('done'))
    // The label goes (or reads 0) rather than keeping its last value for ever.
    await expect.poll(async () => (await streamSeries()).filter((s) => s.value > 0).length).toBe(0)
  })

  it('adds process metrics under paw_ only when asked', async () => {
    const plain = createLibp2pMetrics()
    const withProcess = createLibp2pMetrics({ processMetrics: true })
    await start(plain)
    await start(withProcess)
    expect(await plain.render()).not.toContain('paw_process_')
    const text = await withProcess.render()
    expect(text).toContain('paw_process_cpu_user_seconds_total')
    expect(text).toContain('paw_nodejs_')
  })
})
