/**
 * Block and transaction propagation over an emulated wide-area network: node processes
 * (test/support/node-process.ts, full nodes on a test chain with trivial proof of work,
 * as bench/gossip starts them), each in its own network namespace behind a link with a
 * one-way delay and an uplink rate (wan.ts), in a random topology where every node dials
 * --outbound others. Measured in one run, next to baselines of the same run:
 *
 * - the physical floor of the topology (topology.ts): per node, hops × (one-way delay +
 *   the block's bytes serialised at the uplink rate);
 * - raw gossipsub (no PAW code, a validator that accepts everything) carrying 1 MiB from
 *   the origin, and a raw libp2p stream carrying 1 MiB over one hop;
 * - a burst of --burst transactions (one per sender) submitted at once at --submitters
 *   nodes: how long until every mempool holds every one, or what share arrived within
 *   --burst-timeout-s;
 * - per round: a block's worth of transactions (6,896 transfers) submitted at every node
 *   first (so every mempool holds them whatever the relay of transactions does), then the block of exactly
 *   those announced at the origin (node.announceBlock: whatever relay the node does, the
 *   whole block or a compact one) and timed to every node.
 *
 * Latencies are arrival (validated and added) minus the announce call, p50/p99 over node ×
 * round; bytes per node are what each node's link carried (kernel counters), less the
 * idle traffic of the same duration. All processes share this machine's cores, so CPU
 * time is reported beside the latencies.
 *
 *   npm run bench:network [-- --json] [-- --nodes 50 --outbound 8 --delay-ms 25 --jitter-ms 5 --rate-mbit 100 --rounds 1 --burst 2000]
 *   node bench/network/index.ts --sweep       # only remove what a killed run left
 *
 * Diagnosis (trace.ts): --trace-ms 100 prints per-node timelines of the warm-up and every
 * block round; --log-dir DIR --log-level debug gives each node its own log file; --burst 0
 * and --raw-rounds 0 skip the burst and the raw baselines (a run that only looks at blocks).
 * Before each block round, edges lost since connecting (a node's keep-alive drops a peer
 * whose ping waited 30 s behind a flood it could not keep up with) are counted and dialled
 * again; --keep-lost-edges measures on what is left instead.
 *
 * Needs root, iproute2, iptables and a C compiler. Removes every namespace it made on
 * exit, SIGINT, SIGTERM or an error; a run killed with SIGKILL is swept by the next.
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { LogLevel } from '../../src/config/defaults.ts'
import { testChainParams } from '../../test/support/chain-nodes.ts'
import {
  bulkAccounts,
  bulkTransfers,
  hopDistances,
  killNodeProcesses,
  type NodeProcess,
  now,
  startNodeProcesses,
  stopNodeProcesses,
} from '../../test/support/node-process.ts'
import {
  blockBodies,
  blockLatency,
  rawGossipLatency,
  rawStreamTimes,
  transactionIds,
} from '../gossip/measure.ts'
import { machine, positiveInteger } from '../report.ts'
import { type LostEdges, lostEdges, TopologyDialler } from './edges.ts'
import { blockRound, burst, fill, idleTraffic, quiet, rawGossip } from './measure.ts'
import { printJson, printText, type RunResult } from './report.ts'
import { physicalFloor, randomOutboundEdges } from './topology.ts'
import { type BlockTrace, BlockTracer, printTrace } from './trace.ts'
import { sweep, WanNetwork, wanUnavailable } from './wan.ts'

/** 157 + 152 × (6,896 + 1) = 1,048,501 bytes: the largest block within 1 MiB. */
const BLOCK_TRANSFERS = 6_896
const TRANSFERS_PER_ACCOUNT = 4
const MIB = 1024 * 1024

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    prefix: { type: 'string', default: 'pawnet' },
    nodes: { type: 'string', default: '50' },
    outbound: { type: 'string', default: '8' },
    'delay-ms': { type: 'string', default: '25' },
    'jitter-ms': { type: 'string', default: '5' },
    'rate-mbit': { type: 'string', default: '100' },
    seed: { type: 'string', default: '7' },
    rounds: { type: 'string', default: '1' },
    'raw-rounds': { type: 'string', default: '5' },
    'block-transfers': { type: 'string', default: `${BLOCK_TRANSFERS}` },
    submitters: { type: 'string', default: '4' },
    burst: { type: 'string', default: '2000' },
    'burst-timeout-s': { type: 'string', default: '90' },
    // Every node validates the block's 6,896 transactions and hears each from every peer:
    // 240-300 s at 30-50 nodes on 2 shared cores, over 300 s twice at 30.
    'fill-timeout-s': { type: 'string', default: '600' },
    'heap-mib': { type: 'string', default: '384' },
    'timeout-s': { type: 'string', default: '2400' },
    'trace-ms': { type: 'string', default: '0' },
    'log-dir': { type: 'string' },
    'log-level': { type: 'string', default: 'error' },
    'keep-lost-edges': { type: 'boolean', default: false },
  },
})
const prefix = values.prefix
if (!/^[a-z][a-z0-9]{0,11}$/.test(prefix)) throw new TypeError('--prefix: 1-12 lowercase letters and digits')
const unavailable = wanUnavailable()
if (unavailable !== undefined) {
  console.error(`bench/network: ${unavailable}`)
  process.exit(2)
}
const swept = sweep(prefix)
if (swept.length > 0)
  console.error(`bench/network: removed ${swept.length} namespaces left by runs that died`)
if (values.sweep) process.exit(0)

const count = positiveInteger(values.nodes, '--nodes', 3)
const outbound = Math.min(count - 1, positiveInteger(values.outbound, '--outbound'))
const delayMs = positiveInteger(values['delay-ms'], '--delay-ms', 0)
const jitterMs = positiveInteger(values['jitter-ms'], '--jitter-ms', 0)
const rateMbit = positiveInteger(values['rate-mbit'], '--rate-mbit')
const seed = positiveInteger(values.seed, '--seed')
const rounds = positiveInteger(values.rounds, '--rounds')
const rawRounds = positiveInteger(values['raw-rounds'], '--raw-rounds', 0)
const blockTransfers = positiveInteger(values['block-transfers'], '--block-transfers', TRANSFERS_PER_ACCOUNT)
const submitterCount = Math.min(count, positiveInteger(values.submitters, '--submitters'))
const burstSize = positiveInteger(values.burst, '--burst', 0)
const burstTimeoutS = positiveInteger(values['burst-timeout-s'], '--burst-timeout-s')
const fillTimeoutS = positiveInteger(values['fill-timeout-s'], '--fill-timeout-s')
const heapMiB = positiveInteger(values['heap-mib'], '--heap-mib', 64)
const timeoutS = positiveInteger(values['timeout-s'], '--timeout-s')
const traceMs = positiveInteger(values['trace-ms'], '--trace-ms', 0)
const logLevel = values['log-level'] as LogLevel
if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
  throw new TypeError('--log-level: debug, info, warn or error')
const logDir = values['log-dir'] === undefined ? undefined : resolve(values['log-dir'])
if (logDir !== undefined) mkdirSync(logDir, { recursive: true })
if (blockTransfers % TRANSFERS_PER_ACCOUNT !== 0) throw new TypeError('--block-transfers: a multiple of 4')

const network = new WanNetwork({ prefix, nodes: count, delayMs, jitterMs, rateMbit, seed })
let cleaned = false
/** Children first (they hold the namespaces), then the namespaces. Synchronous: safe in 'exit'. */
function cleanup(): void {
  if (cleaned) return
  cleaned = true
  killNodeProcesses()
  network.destroy()
}
process.on('exit', cleanup)
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.on(signal, () => {
    console.error(`bench/network: ${signal}, removing the network`)
    cleanup()
    process.exit(code)
  })
}
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    cleanup()
    process.exit(1)
  })
}
const watchdog = setTimeout(() => {
  console.error(`bench/network: no result within ${timeoutS} s, giving up`)
  cleanup()
  process.exit(1)
}, timeoutS * 1000)

const environment = machine()
const started = now()
const log = (line: string) => {
  if (!values.json) console.error(`[${((now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`)
}

// Test data, signed before the nodes start (it competes for the same cores).
const blockAccounts = bulkAccounts(blockTransfers / TRANSFERS_PER_ACCOUNT, 'bench-network-block')
const warmAccounts = bulkAccounts(100, 'bench-network-warm')
// One transfer per account: any split over the submitters keeps every sender's nonces in order.
const burstAccounts = bulkAccounts(burstSize, 'bench-network-burst')
const params = testChainParams([...blockAccounts, ...warmAccounts, ...burstAccounts], 'paw-bench')
const bodies = blockBodies(params.chainId, blockAccounts, blockTransfers, rounds)
const warmBody = bulkTransfers(params.chainId, warmAccounts)
const burstBody = bulkTransfers(params.chainId, burstAccounts)
log(`signed ${bodies.length * blockTransfers + warmBody.length + burstBody.length} transactions`)

const edges = randomOutboundEdges(count, outbound, seed)
const origin = 0
const diameter = Math.max(
  ...Array.from({ length: count }, (_, i) => Math.max(...hopDistances(count, edges, i))),
)

await network.create()
log(`network up: ${count} namespaces + hub, ${delayMs} ± ${jitterMs} ms one way, ${rateMbit} Mbit/s uplinks`)

let nodes: NodeProcess[] = []
const realNode = process.execPath
process.env.PAW_NETWORK_NODE = realNode
// node-process.ts forks with process.execPath: the launcher runs each child in the
// namespace named after it (see wan.ts launcher()).
process.execPath = network.launcher(logDir)
try {
  nodes = await startNodeProcesses(count, (index) => ({
    params,
    name: network.namespace(index),
    mempool: { maxCount: 50_000 },
    compactBlocks: true,
    logLevel,
    execArgv: [`--max-old-space-size=${heapMiB}`],
  }))
} finally {
  process.execPath = realNode
}
log(`started ${count} node processes`)

const reach = nodes.map((node, i) => network.reachable(i, node.address))
const dialler = new TopologyDialler(edges)
const pawFailed = await dialler.connectAll((from, to) =>
  (nodes[from] as NodeProcess).connect(reach[to] as string),
)
const rawReach = (await Promise.all(nodes.map((node) => node.rawStart()))).map((a, i) =>
  network.reachable(i, a),
)
const rawFailed = await dialler.connectAll((from, to) =>
  (nodes[from] as NodeProcess).rawConnect(rawReach[to] as string),
)
const pawEdges = edges.filter((e) => !pawFailed.includes(e))
const rawEdges = edges.filter((e) => !rawFailed.includes(e))
if (![pawEdges, rawEdges].every((list) => hopDistances(count, list, origin).every(Number.isFinite))) {
  throw new Error('the edges that could be connected leave some node unreachable')
}
// Meshes graft on subscription or at the next heartbeat (1 s).
await new Promise((resolve) => setTimeout(resolve, 3_000))
log(
  `connected ${pawEdges.length} PAW and ${rawEdges.length} raw edges of ${edges.length} (${dialler.redials} dials repeated after a failure)`,
)

/**
 * The topology's connections lost since they were made, dialled again unless
 * --keep-lost-edges; meshes graft again at the next heartbeat.
 */
async function restoreEdges(label: string): Promise<LostEdges> {
  const lost = await lostEdges(nodes, pawEdges)
  if (lost.lostEnds === 0) return lost
  const keep = values['keep-lost-edges']
  log(
    `${label}: ${lost.nodesShort} nodes lost peers since connecting (${lost.lostEnds} of ${2 * pawEdges.length} connection ends, ${lost.isolated} nodes with none)` +
      (keep ? '; measured as they are (--keep-lost-edges)' : '; dialling the topology again'),
  )
  if (keep) return lost
  await dialler.connectAll((from, to) => (nodes[from] as NodeProcess).connect(reach[to] as string))
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  return lost
}
const originHops = hopDistances(count, pawEdges, origin)
const traces: Array<{ label: string; trace: BlockTrace }> = []
/** Runs a block round, traced per node if --trace-ms asks for it. */
async function traced<T>(label: string, body: readonly Uint8Array[], round: () => Promise<T>): Promise<T> {
  if (traceMs === 0) return round()
  const tracer = new BlockTracer(network, nodes, origin, traceMs)
  await tracer.start(transactionIds(body))
  try {
    return await round()
  } finally {
    const trace = await tracer.stop(originHops)
    if (trace !== undefined) {
      traces.push({ label, trace })
      if (!values.json) printTrace(trace, label)
    }
  }
}

// Warm-up, not measured: the first of each kind of message through every node. A block
// missing anywhere here leaves that node a block behind, and every later block off its tip.
if (rawRounds > 0) await rawGossipLatency(nodes, origin, MIB, 1, 1_000_000, 500)
const warm = await traced('warm-up block', warmBody, () =>
  blockLatency(nodes, origin, [warmBody], 120_000, 2_000),
)
log(
  `warmed up${warm.missing > 0 ? `: the warm-up block MISSING at ${warm.missing} of ${count - 1} nodes` : `: warm-up block everywhere, slowest ${warm.rounds[0]?.toFixed(0)} ms`}`,
)

const idlePerSecond = await idleTraffic(network, 3)
const neighbour = (edges.find(([a, b]) => a === origin || b === origin) as [number, number]).find(
  (n) => n !== origin,
) as number
const rawStream =
  rawRounds === 0
    ? []
    : await rawStreamTimes(nodes[origin] as NodeProcess, rawReach[neighbour] as string, MIB, rawRounds)
const rawBlock =
  rawRounds === 0
    ? {
        result: { samples: [], p50: Number.NaN, p99: Number.NaN, rounds: [], missing: 0 },
        traffic: { perNode: [], idlePerSecond, seconds: 0 },
      }
    : await rawGossip(network, nodes, origin, MIB, rawRounds, 0, idlePerSecond)
log(rawRounds === 0 ? 'raw baselines skipped (--raw-rounds 0)' : 'raw baselines done')

const submitters = Array.from({ length: submitterCount }, (_, i) =>
  Math.floor(((i + 0.5) * count) / submitterCount),
)
const result: RunResult = {
  environment,
  options: {
    count,
    outbound,
    delayMs,
    jitterMs,
    rateMbit,
    seed,
    rounds,
    blockTransfers,
    submitters,
    heapMiB,
  },
  edges: edges.length,
  diameter,
  idlePerSecond,
  rawStream,
  rawBlock,
  fills: [],
  burst: undefined,
  blocks: [],
  floor: physicalFloor(count, rawEdges, origin, MIB, delayMs, rateMbit),
  blockFloor: physicalFloor(count, pawEdges, origin, MIB, delayMs, rateMbit),
  leftOut: { paw: pawFailed.length, raw: rawFailed.length },
  rss: [],
  delay: { packets: 0, mostQueued: 0, lateUs: { p50: 0, p99: 0, max: 0 } },
  queueDrops: 0,
  seconds: 0,
  traces,
  lostEdges: [],
}
if (burstSize > 0) {
  await quiet(network, idlePerSecond, 60_000)
  result.burst = await burst(nodes, submitters, burstBody, burstTimeoutS * 1000)
  log(`burst of ${burstBody.length}: ${result.burst.deliveredPercent.toFixed(1)}% delivered`)
}
await quiet(network, idlePerSecond, 60_000)
for (const [index, body] of bodies.entries()) {
  const filled = await fill(nodes, body, fillTimeoutS * 1000)
  result.fills.push(filled)
  if (filled.missing > 0)
    throw new Error(`round ${index + 1}: ${filled.missing} node x tx never reached the mempools`)
  log(
    `round ${index + 1}: ${filled.transactions} transactions in every mempool after ${(filled.ms / 1000).toFixed(1)} s`,
  )
  await quiet(network, idlePerSecond, 60_000)
  result.lostEdges.push(await restoreEdges(`round ${index + 1}`))
  const block = await traced(`block round ${index + 1}`, body, () =>
    blockRound(network, nodes, origin, body, idlePerSecond, 180_000),
  )
  result.blocks.push(block)
  result.blockFloor = physicalFloor(count, pawEdges, origin, block.result.bytes, delayMs, rateMbit)
  log(
    block.result.missing === 0
      ? `round ${index + 1}: block to every node, slowest ${block.result.rounds[0]?.toFixed(0)} ms`
      : `round ${index + 1}: block MISSING at ${block.result.missing} of ${count - 1} nodes after 180 s`,
  )
}
result.rss = (await Promise.all(nodes.map((node) => node.status()))).map((s) => s.memory.rss)
result.delay = await network.delayStats()
result.queueDrops = network.queueDrops()
await stopNodeProcesses(nodes)
clearTimeout(watchdog)
result.seconds = (now() - started) / 1000
cleanup()

if (values.json) printJson(result)
else printText(result)
const missing = result.rawBlock.result.missing + result.blocks.reduce((sum, b) => sum + b.result.missing, 0)
process.exit(missing > 0 ? 1 : 0)
