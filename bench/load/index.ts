/**
 * Load on one paw-node (issue 9, `bench/load`), everything real on loopback: the node under
 * test is a full node on a LevelDB chain in a process of its own (server.ts, --expose-gc);
 * the load comes from other processes (loader.ts). The node samples its own CPU time, so
 * next to each rate stands what it cost the node (CPU time per connection, per message):
 * on a small shared machine a rate also depends on how much CPU the load generators got,
 * the cost per operation much less. --loader-nice 19 runs the load generators at the
 * lowest priority (on a quiet machine: the node gets a whole core whenever it wants one).
 *
 * 1. Connections/s accepted: rounds of --connections fresh identities, --concurrency at a
 *    time, each connecting once and hanging up: paw-node clients (dial, Noise, yamux,
 *    /paw/handshake/1 completed both ways), next to plain libp2p nodes dialling a bare
 *    libp2p listener in the same process as the node (same transports, encrypters, muxer,
 *    identify and ping; no gossipsub, no /paw/*) and node:net sockets (connect, the
 *    server's accept and close). The node's peer limits and inbound guards are raised
 *    (nodes.ts), so this is throughput, not DEFAULT_INBOUND_GUARDS. Every connection is
 *    checked as accepted by the server, none refused.
 * 2. Messages/s through one node: transactions' real relay path is gossip (/paw/mempool/1
 *    only reconciles pending sets when peers connect). Peer A publishes signed transfers on
 *    the transaction topic, the node validates each (signature, state, mempool) and
 *    forwards it, peer B counts it when its gossipsub hands it over. A and B are connected
 *    to the node only, at most --window transactions on their way at once (the node busy,
 *    never flooded into drops). Baseline: 152-byte messages on a raw libp2p stream, A to the
 *    bare listener, which writes each on to B's stream, same window. The node's gossip
 *    rate limit and expected rate are raised (nodes.ts).
 * 3. Memory per peer and CPU at 50 and 100 peers: a fresh node with default settings
 *    except its peer limits and inbound guards; its RSS and heap (after two full GCs)
 *    above its no-peer baseline divided by the peers, and its CPU (process.cpuUsage
 *    sampled inside it; median of --cpu-slices slices of a --cpu-window-s window) with
 *    50 (--peers) then 100 connected full paw-nodes (50 per load process), idle and under
 *    a steady load of --tx-rate transactions per second network-wide: submitted by the
 *    peers in turn, so each reaches the node as gossip from one peer and goes out to the
 *    others. The rate is the same at both steps (20/s: 40% of the 50/s the gossip scoring
 *    is tuned for, a light load), so the step from 50 to 100 shows what more peers cost.
 *
 * Prints a table (medians) and, as the last line of stdout, the same as one line of JSON.
 *
 *   npm run bench:load [-- --rounds 5 --connections 200 --concurrency 16 --messages 5000 --window 256]
 *   npm run bench:load -- --cases 1,3 --peers 50 --tx-rate 20 --cpu-window-s 10
 *   PAW_BENCH_ROUNDS=2 npm run bench:load            (shorter)
 *
 * Exits non-zero if a connection is refused or fails, a relayed message never arrives,
 * a peer leaves under load, or the run exceeds --timeout-s.
 */
import { parseArgs } from 'node:util'
import type { ChainParams } from '../../src/chain/types.ts'
import { bulkAccounts } from '../../test/support/bulk-sign.ts'
import { testChainParams } from '../../test/support/chain-nodes.ts'
import { IpcChild, killChildren } from '../../test/support/ipc-child.ts'
import { machine, positiveInteger, round, table } from '../report.ts'
import { median } from '../stats.ts'
import {
  type ConnectionResult,
  loadTransactionCount,
  measureConnections,
  measurePeers,
  measureRelay,
  type PeersResult,
  type RelayMeasurement,
  relayBatches,
} from './measure.ts'
import type { ServerInit, ServerReady } from './server.ts'

const SERVER = new URL('./server.ts', import.meta.url)
const LOADER = new URL('./loader.ts', import.meta.url)
const MIB = 2 ** 20

async function startServer(init: ServerInit): Promise<{ server: IpcChild; ready: ServerReady }> {
  const server = await IpcChild.fork(SERVER, 'server', { execArgv: ['--expose-gc'] })
  return { server, ready: await server.request<ServerReady>('init', init) }
}

async function startLoader(name: string, params: ChainParams, nice: number): Promise<IpcChild> {
  const loader = await IpcChild.fork(LOADER, name, { nice })
  await loader.request('init', { params })
  return loader
}

interface Figures {
  connections?: ConnectionResult
  relay?: RelayMeasurement
  peers?: PeersResult
}

/** The printed table: case, figure, baseline, ratio, per-round figures. */
function rows(figures: Figures): string[][] {
  const out: string[][] = [['case', 'figure', 'baseline', 'ratio', 'rounds']]
  const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(' ')
  const list2 = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ')
  const c = figures.connections
  if (c !== undefined) {
    const paw = median(c.paw.perSecond)
    const libp2p = median(c.libp2p.perSecond)
    const tcp = median(c.tcp.perSecond)
    const cost = (kind: keyof ConnectionResult) => median(c[kind].cpuMsPerConnection)
    out.push([
      '1. connections/s accepted, PAW (Noise + yamux + /paw/handshake/1)',
      `${paw.toFixed(0)} conn/s`,
      `raw libp2p ${libp2p.toFixed(0)}, raw TCP ${tcp.toFixed(0)}`,
      `${(paw / libp2p).toFixed(2)}x libp2p, ${(paw / tcp).toFixed(4)}x TCP`,
      list(c.paw.perSecond),
    ])
    out.push([
      '   raw libp2p (Noise + yamux, no PAW)',
      `${libp2p.toFixed(0)} conn/s`,
      `raw TCP ${tcp.toFixed(0)}`,
      `${(libp2p / tcp).toFixed(4)}x TCP`,
      list(c.libp2p.perSecond),
    ])
    out.push([
      '   raw TCP (node:net connect, accept, close)',
      `${tcp.toFixed(0)} conn/s`,
      '-',
      '-',
      list(c.tcp.perSecond),
    ])
    out.push([
      '   node CPU time per connection (PAW; libp2p, TCP)',
      `${cost('paw').toFixed(2)} ms (${(1000 / cost('paw')).toFixed(0)}/s a core)`,
      `${cost('libp2p').toFixed(2)} ms, ${cost('tcp').toFixed(3)} ms`,
      `${(cost('paw') / cost('libp2p')).toFixed(2)}x libp2p`,
      list2(c.paw.cpuMsPerConnection),
    ])
    out.push([
      '   node CPU while accepting (PAW; libp2p, TCP)',
      `${median(c.paw.serverCpu).toFixed(0)} %`,
      `${median(c.libp2p.serverCpu).toFixed(0)} %, ${median(c.tcp.serverCpu).toFixed(0)} %`,
      '-',
      list(c.paw.serverCpu),
    ])
  }
  const r = figures.relay
  if (r !== undefined) {
    const paw = median(r.paw)
    const raw = median(r.raw)
    const pawCost = median(r.cpuUsPerMessage)
    const rawCost = median(r.rawCpuUsPerMessage)
    out.push([
      '2. messages/s through one node, PAW transactions (A > node > B gossip)',
      `${paw.toFixed(0)} msg/s`,
      `raw libp2p relay ${raw.toFixed(0)}`,
      `${(paw / raw).toFixed(3)}x`,
      list(r.paw),
    ])
    out.push([
      '   raw libp2p stream relay, 152-byte messages',
      `${raw.toFixed(0)} msg/s`,
      '-',
      '-',
      list(r.raw),
    ])
    out.push([
      '   node CPU time per message (PAW; raw)',
      `${pawCost.toFixed(1)} us (${(1e6 / pawCost).toFixed(0)}/s a core)`,
      `${rawCost.toFixed(1)} us`,
      `${(pawCost / rawCost).toFixed(1)}x`,
      list(r.cpuUsPerMessage),
    ])
    out.push([
      '   node CPU while relaying (PAW; raw)',
      `${median(r.serverCpu).toFixed(0)} %`,
      `${median(r.rawServerCpu).toFixed(0)} %`,
      '-',
      list(r.serverCpu),
    ])
  }
  const p = figures.peers
  if (p !== undefined) {
    const base = p.baseline
    const mib = (bytes: number) => (bytes / MIB).toFixed(3)
    for (const step of p.steps) {
      for (const [label, state] of [
        ['idle', step.idle],
        ['loaded', step.loaded],
      ] as const) {
        out.push([
          `3. memory per peer, ${step.peers} peers, ${label} (RSS / heap)`,
          `${mib((state.memory.rss - base.memory.rss) / step.peers)} / ${mib((state.memory.heapUsed - base.memory.heapUsed) / step.peers)} MiB`,
          `no peers ${(base.memory.rss / MIB).toFixed(1)} / ${(base.memory.heapUsed / MIB).toFixed(1)} MiB`,
          '-',
          `${(state.memory.rss / MIB).toFixed(1)} / ${(state.memory.heapUsed / MIB).toFixed(1)} MiB`,
        ])
        out.push([
          `3. CPU, ${step.peers} peers, ${label}`,
          `${state.cpuMedian.toFixed(2)} %`,
          `no peers ${base.cpuMedian.toFixed(2)} %`,
          `${(state.cpuMedian / Math.max(base.cpuMedian, 0.01)).toFixed(1)}x`,
          state.cpuSlices.map((v) => v.toFixed(1)).join(' '),
        ])
      }
    }
  }
  return out
}

function json(figures: Figures, environment: Record<string, unknown>, options: Record<string, unknown>) {
  const c = figures.connections
  const r = figures.relay
  const p = figures.peers
  const mib = (bytes: number) => round(bytes / MIB, 4)
  return {
    bench: 'load',
    ...environment,
    options,
    connections: c && {
      unit: 'accepted connections per second, median of rounds; serverCpu in % of one core',
      pawPerSecond: round(median(c.paw.perSecond), 1),
      rawLibp2pPerSecond: round(median(c.libp2p.perSecond), 1),
      rawTcpPerSecond: round(median(c.tcp.perSecond), 1),
      pawOverRawLibp2p: round(median(c.paw.perSecond) / median(c.libp2p.perSecond), 3),
      pawOverRawTcp: round(median(c.paw.perSecond) / median(c.tcp.perSecond), 4),
      rounds: {
        paw: c.paw.perSecond.map((v) => round(v, 1)),
        libp2p: c.libp2p.perSecond.map((v) => round(v, 1)),
        tcp: c.tcp.perSecond.map((v) => round(v, 1)),
      },
      serverCpu: {
        paw: c.paw.serverCpu.map((v) => round(v, 1)),
        libp2p: c.libp2p.serverCpu.map((v) => round(v, 1)),
        tcp: c.tcp.serverCpu.map((v) => round(v, 1)),
      },
      serverCpuMsPerConnection: {
        paw: round(median(c.paw.cpuMsPerConnection), 3),
        libp2p: round(median(c.libp2p.cpuMsPerConnection), 3),
        tcp: round(median(c.tcp.cpuMsPerConnection), 4),
      },
    },
    relay: r && {
      unit: 'messages per second arrived at B through the node, median of rounds',
      pawPerSecond: round(median(r.paw), 1),
      rawLibp2pPerSecond: round(median(r.raw), 1),
      pawOverRawLibp2p: round(median(r.paw) / median(r.raw), 4),
      rounds: { paw: r.paw.map((v) => round(v, 1)), raw: r.raw.map((v) => round(v, 1)) },
      serverCpu: r.serverCpu.map((v) => round(v, 1)),
      rawServerCpu: r.rawServerCpu.map((v) => round(v, 1)),
      serverCpuUsPerMessage: {
        paw: round(median(r.cpuUsPerMessage), 2),
        raw: round(median(r.rawCpuUsPerMessage), 2),
      },
      gossipDropped: r.dropped,
      gossipThrottled: r.throttled,
    },
    peers: p && {
      unit: 'MiB per peer above the no-peer baseline (after full GCs); CPU in % of one core, median of slices',
      baseline: {
        rssMiB: mib(p.baseline.memory.rss),
        heapMiB: mib(p.baseline.memory.heapUsed),
        cpu: round(p.baseline.cpuMedian, 2),
      },
      steps: p.steps.map((step) => ({
        peers: step.peers,
        idle: {
          rssMiBPerPeer: mib((step.idle.memory.rss - p.baseline.memory.rss) / step.peers),
          heapMiBPerPeer: mib((step.idle.memory.heapUsed - p.baseline.memory.heapUsed) / step.peers),
          cpu: round(step.idle.cpuMedian, 2),
          cpuSlices: step.idle.cpuSlices.map((v) => round(v, 2)),
        },
        loaded: {
          rssMiBPerPeer: mib((step.loaded.memory.rss - p.baseline.memory.rss) / step.peers),
          heapMiBPerPeer: mib((step.loaded.memory.heapUsed - p.baseline.memory.heapUsed) / step.peers),
          cpu: round(step.loaded.cpuMedian, 2),
          cpuSlices: step.loaded.cpuSlices.map((v) => round(v, 2)),
          submitted: step.loaded.submitted,
          failed: step.loaded.failed,
        },
      })),
    },
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '1,2,3' },
      rounds: { type: 'string', default: process.env.PAW_BENCH_ROUNDS ?? '5' },
      connections: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '16' },
      messages: { type: 'string', default: '5000' },
      'raw-messages': { type: 'string', default: '10000' },
      window: { type: 'string', default: '256' },
      peers: { type: 'string', default: '50' },
      'tx-rate': { type: 'string', default: '20' },
      'cpu-window-s': { type: 'string', default: '10' },
      'cpu-slices': { type: 'string', default: '5' },
      'loader-nice': { type: 'string', default: '0' },
      'timeout-s': { type: 'string', default: '600' },
    },
  })
  const cases = new Set(values.cases.split(',').map((c) => c.trim()))
  const rounds = positiveInteger(values.rounds, '--rounds')
  const connectionOptions = {
    rounds,
    connections: positiveInteger(values.connections, '--connections'),
    concurrency: positiveInteger(values.concurrency, '--concurrency'),
    warmup: 50,
  }
  const relayOptions = {
    rounds,
    messages: positiveInteger(values.messages, '--messages'),
    rawMessages: positiveInteger(values['raw-messages'], '--raw-messages'),
    window: positiveInteger(values.window, '--window'),
  }
  const peersOptions = {
    peersPerLoader: positiveInteger(values.peers, '--peers'),
    txPerSecond: positiveInteger(values['tx-rate'], '--tx-rate'),
    cpuWindowMs: positiveInteger(values['cpu-window-s'], '--cpu-window-s') * 1000,
    cpuSlices: positiveInteger(values['cpu-slices'], '--cpu-slices'),
    settleMs: 3_000,
    loadLeadMs: 3_000,
    loadTailMs: 2_000,
  }
  const timeoutS = positiveInteger(values['timeout-s'], '--timeout-s')
  const loaderNice = positiveInteger(values['loader-nice'], '--loader-nice', 0)
  const watchdog = setTimeout(() => {
    console.error(`bench/load: no result within ${timeoutS} s, giving up`)
    killChildren()
    process.exit(1)
  }, timeoutS * 1000)
  const environment = machine()
  const started = performance.now()
  const log = (line: string) =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`)
  const figures: Figures = {}

  if (cases.has('1') || cases.has('2')) {
    const accounts = bulkAccounts(relayOptions.messages, 'bench-load-relay')
    const params = testChainParams(accounts, 'paw-bench-load')
    const batches = relayBatches(params.chainId, accounts, rounds)
    log(`signed ${batches.length * accounts.length} transactions`)
    const { server, ready } = await startServer({ params, relay: true })
    const loader = await startLoader('loader', params, loaderNice)
    try {
      if (cases.has('1'))
        figures.connections = await measureConnections(server, loader, ready, connectionOptions, log)
      if (cases.has('2'))
        figures.relay = await measureRelay(server, loader, ready, batches, relayOptions, log)
    } finally {
      await Promise.all([loader.stop(), server.stop()])
    }
  }

  if (cases.has('3')) {
    const steps = 2
    const accounts = bulkAccounts(loadTransactionCount(peersOptions, steps), 'bench-load-peers')
    const params = testChainParams(accounts, 'paw-bench-load-peers')
    const { server, ready } = await startServer({ params, relay: false })
    const loaders: IpcChild[] = []
    try {
      for (let i = 0; i < steps; i++) loaders.push(await startLoader(`peers-${i}`, params, loaderNice))
      figures.peers = await measurePeers(server, loaders, ready, params, accounts, peersOptions, log)
    } finally {
      await Promise.all([...loaders.map((loader) => loader.stop()), server.stop()])
    }
  }

  clearTimeout(watchdog)
  const seconds = (performance.now() - started) / 1000
  console.log(
    `load bench | node ${environment.node} | ${environment.cpu} (${environment.cores} cores, ${environment.memoryGiB} GiB) | ` +
      `load avg ${environment.loadAverageAtStart} at start | ${environment.date} | node under test and ` +
      `load generators in separate processes, loopback | ${rounds} rounds, medians | ${seconds.toFixed(0)} s`,
  )
  for (const line of table(rows(figures))) console.log(line)
  const options = { connections: connectionOptions, relay: relayOptions, peers: peersOptions }
  console.log(JSON.stringify(json(figures, { ...environment, seconds: round(seconds, 1) }, options)))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  killChildren()
  process.exit(1)
})
