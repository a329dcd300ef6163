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
 * 2. Messages/s through one node (relay.ts): transactions' real relay path is gossip
 *    (/paw/mempool/1 only reconciles pending sets when peers connect). Peer A publishes
 *    signed transfers on the transaction topic, the node validates each (signature, state,
 *    mempool) and forwards it, peer B counts it when its gossipsub hands it over. A and B
 *    are connected to the node only, at most --window transactions on their way at once
 *    (the node busy, never flooded into drops). Baselines in the same process and run, same
 *    window: a raw gossipsub relay (raw-gossip.ts: gossipsub configured as PAW's, accepting
 *    at once) of --gossip-messages distinct 152-byte messages, and a raw libp2p stream
 *    relay of --raw-messages (the bare listener writes each on to B's stream); then one
 *    Ed25519 verify's CPU time on each round's transactions (verify-cost.ts). Issue 19's
 *    goal: the node's CPU per transaction ≤ 2 × (raw gossipsub's per message + one
 *    verify). --profile <file> adds one PAW round under the node's CPU profiler, writes the
 *    .cpuprofile there and prints where the time went (profile-report.ts). The node's
 *    gossip rate limit and expected rate are raised (nodes.ts).
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
 *   npm run bench:load -- --cases 2 --profile /tmp/paw-relay.cpuprofile
 *   PAW_BENCH_ROUNDS=2 npm run bench:load            (shorter)
 *
 * Exits non-zero if a connection is refused or fails, a relayed message never arrives,
 * a peer leaves under load, or the run exceeds --timeout-s.
 */
import { readFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { ChainParams } from '../../src/chain/types.ts'
import { bulkAccounts } from '../../test/support/bulk-sign.ts'
import { testChainParams } from '../../test/support/chain-nodes.ts'
import { IpcChild, killChildren } from '../../test/support/ipc-child.ts'
import { machine, positiveInteger, round, table } from '../report.ts'
import { loadTransactionCount, measureConnections, measurePeers } from './measure.ts'
import { type CpuProfile, type ProfileSummary, profileLines, summariseProfile } from './profile-report.ts'
import { measureRelay, relayBatches } from './relay.ts'
import { type Figures, json, relayGoalLine, rows } from './report.ts'
import type { ServerInit, ServerReady } from './server.ts'

const SERVER = new URL('./server.ts', import.meta.url)
const LOADER = new URL('./loader.ts', import.meta.url)

async function startServer(init: ServerInit): Promise<{ server: IpcChild; ready: ServerReady }> {
  const server = await IpcChild.fork(SERVER, 'server', { execArgv: ['--expose-gc'] })
  return { server, ready: await server.request<ServerReady>('init', init) }
}

async function startLoader(name: string, params: ChainParams, nice: number): Promise<IpcChild> {
  const loader = await IpcChild.fork(LOADER, name, { nice })
  await loader.request('init', { params })
  return loader
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
      'gossip-messages': { type: 'string', default: '10000' },
      profile: { type: 'string' },
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
    gossipMessages: positiveInteger(values['gossip-messages'], '--gossip-messages'),
    profile: values.profile === undefined ? undefined : resolve(values.profile),
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
    const batches = relayBatches(params.chainId, accounts, rounds, relayOptions.profile !== undefined)
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
  const loadAverageAtEnd = round(loadavg()[0] ?? 0, 2)
  console.log(
    `load bench | node ${environment.node} | ${environment.cpu} (${environment.cores} cores, ${environment.memoryGiB} GiB) | ` +
      `load avg ${environment.loadAverageAtStart} at start, ${loadAverageAtEnd} at end | ${environment.date} | ` +
      `node under test and load generators in separate processes, loopback | ${rounds} rounds, medians | ${seconds.toFixed(0)} s`,
  )
  for (const line of table(rows(figures))) console.log(line)
  if (figures.relay !== undefined) console.log(relayGoalLine(figures.relay))
  let profile: ProfileSummary | undefined
  const profiled = figures.relay?.profile
  if (profiled !== undefined) {
    profile = summariseProfile(JSON.parse(await readFile(profiled.file, 'utf8')) as CpuProfile)
    console.log('')
    for (const line of profileLines(profile, profiled.transactions)) console.log(line)
    console.log(
      `(profile written to ${profiled.file}; again: ./node_modules/.bin/node bench/load/profile-report.ts ` +
        `${profiled.file} ${profiled.transactions})`,
    )
  }
  const options = { connections: connectionOptions, relay: relayOptions, peers: peersOptions }
  const run = { ...environment, loadAverageAtEnd, seconds: round(seconds, 1) }
  console.log(JSON.stringify(json(figures, run, options, profile)))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  killChildren()
  process.exit(1)
})
