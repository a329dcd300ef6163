/**
 * Every family a node exports follows Prometheus' naming conventions (issue 17, item 5):
 * two real nodes on loopback, connected, with libp2p's and the process's metrics, scraped as
 * the metrics listener and the admin API scrape them.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import { createPawNode } from '../../src/node/index.ts'
import { createLibp2pMetrics, type Libp2pMetrics } from '../../src/node/metrics/libp2p-metrics.ts'
import { renderNodeMetrics } from '../../src/node/metrics/node-metrics.ts'
import { stopAll, TEST_CHAIN, tcpAddress, testLogger, waitFor } from '../support/nodes.ts'
import { breaches, conventionBreaches, parseFamilies } from './metric-conventions.ts'

describe('the convention checks', () => {
  it('catch what issue 17 found in libp2p 3 and prom-client exports', () => {
    const text = [
      '# HELP libp2p_protocol_streams_total libp2p_protocol_streams_total',
      '# TYPE libp2p_protocol_streams_total gauge',
      'libp2p_protocol_streams_total{protocol="outbound /meshsub/1.2.0"} 1',
      '# HELP libp2p_noise_xxhandshake_successes_total Total_count_of_noise_xxHandshakes_successes_',
      '# TYPE libp2p_noise_xxhandshake_successes_total counter',
      '# HELP nodejs_fs_usage_bytes nodejs_fs_usage_bytes',
      '# TYPE nodejs_fs_usage_bytes gauge',
      'nodejs_fs_usage_bytes{filesystem="used"} 29.7',
      '# HELP paw_x_latency_milliseconds Latency of x.',
      '# TYPE paw_x_latency_milliseconds gauge',
      '# HELP paw_x_requests Requests served.',
      '# TYPE paw_x_requests counter',
      '# HELP paw_x_disk_ratio Share of the disk used.',
      '# TYPE paw_x_disk_ratio gauge',
      'paw_x_disk_ratio 29.7',
      '',
    ].join('\n')
    const found = conventionBreaches(text).join('\n')
    expect(found).toContain('libp2p_protocol_streams_total: a gauge ending in _total')
    expect(found).toContain('libp2p_protocol_streams_total: HELP says nothing')
    expect(found).toContain('libp2p_noise_xxhandshake_successes_total: HELP says nothing')
    expect(found).toContain('nodejs_fs_usage_bytes: no paw_ or libp2p_ prefix')
    expect(found).toContain('paw_x_latency_milliseconds: a unit that is not a base unit')
    expect(found).toContain('paw_x_requests: a counter not ending in _total')
    expect(found).toContain('paw_x_disk_ratio: ratio 29.7 outside 0..1')
  })

  it('pass a histogram and its samples', () => {
    const [family] = parseFamilies(
      [
        '# HELP paw_nodejs_gc_duration_seconds Garbage collection duration by kind.',
        '# TYPE paw_nodejs_gc_duration_seconds histogram',
        'paw_nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 3',
        'paw_nodejs_gc_duration_seconds_sum{kind="minor"} 0.01',
        'paw_nodejs_gc_duration_seconds_count{kind="minor"} 3',
      ].join('\n'),
    )
    expect(family?.samples).toHaveLength(3)
    expect(breaches(family as NonNullable<typeof family>)).toEqual([])
  })
})

describe('a scrape of two connected nodes', () => {
  const nodes: PawNode[] = []
  const metrics: Libp2pMetrics[] = []
  let dir = ''

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paw-metric-names-'))
    // One after the other: libp2p registers its metrics while the node is built (libp2p-metrics.ts).
    for (let i = 0; i < 2; i++) {
      const libp2pMetrics = createLibp2pMetrics({ processMetrics: true, filesystemPath: dir })
      const node = await createPawNode({
        chainId: TEST_CHAIN,
        listenHost: '127.0.0.1',
        tcpPort: 0,
        wsPort: 0,
        logger: testLogger(),
        limits: { minOutbound: 0 },
        libp2pMetrics,
      })
      await node.start()
      nodes.push(node)
      metrics.push(libp2pMetrics)
    }
    const [a, b] = nodes as [PawNode, PawNode]
    await a.connectToPeer(tcpAddress(b))
    await waitFor('the handshake', () => b.peers().some((p) => p.state === 'connected'), 10_000)
  })

  afterAll(async () => {
    await stopAll(nodes)
    await rm(dir, { recursive: true, force: true })
  })

  const scrape = (i: number) =>
    renderNodeMetrics({
      node: nodes[i] as PawNode,
      height: () => 0,
      libp2p: () => (metrics[i] as Libp2pMetrics).render(),
    })

  it('breaks no convention: HELP, TYPE, _total on counters only, base units, prefixes', async () => {
    for (const i of [0, 1]) {
      const text = await scrape(i)
      expect(parseFamilies(text).length).toBeGreaterThan(60)
      expect(conventionBreaches(text)).toEqual([])
    }
  })

  it('renames, splits and drops what libp2p and prom-client get wrong', async () => {
    const names = new Set(parseFamilies(await scrape(0)).map((f) => f.name))
    for (const name of [
      'libp2p_protocol_streams',
      'libp2p_tcp_inbound_connections',
      'paw_filesystem_size_bytes',
      'paw_filesystem_free_bytes',
      'paw_filesystem_avail_bytes',
      'paw_nodejs_active_handles',
      'libp2p_data_transfer_bytes_total',
    ]) {
      expect(names, name).toContain(name)
    }
    for (const name of [
      'libp2p_protocol_streams_total',
      'nodejs_fs_usage_bytes',
      'nodejs_memory_usage_bytes',
      'nodejs_memory_total_bytes',
      'paw_nodejs_active_handles_total',
    ]) {
      expect(names, name).not.toContain(name)
    }
  })

  it('leaves process and filesystem families out of a node without process metrics', async () => {
    const plain = createLibp2pMetrics()
    const node = await createPawNode({
      chainId: TEST_CHAIN,
      listenHost: '127.0.0.1',
      tcpPort: 0,
      wsPort: 0,
      logger: testLogger(),
      libp2pMetrics: plain,
    })
    nodes.push(node)
    await node.start()
    const text = await plain.render()
    expect(text).toContain('libp2p_')
    expect(text).not.toMatch(/^(# \w+ )?(nodejs_|paw_process_|paw_nodejs_|paw_filesystem_)/m)
    expect(conventionBreaches(text)).toEqual([])
  })
})
