/**
 * Connection cost of a paw-node, between two processes on loopback TCP:
 *
 * - connections per second, dial + Noise + yamux + /paw/handshake/1 (a paw-node client's
 *   connectToPeer), next to the same without the PAW handshake (a plain libp2p node with
 *   the same transport, encryption, muxer and services) dialling the same server in the
 *   same run, and the PAW handshake's share of the time per connection; and the plain node
 *   once more with the libp2p logger a paw-node gives libp2p (src/logging.ts), so that what
 *   that logger alone buys is shown apart;
 * - memory per idle connected peer: the server's memory delta over 50 handshaken peers,
 *   connected after 10 others (--settled-peers) that are in the baseline, and after a
 *   warm-up batch of 50 more that connected at once and left.
 *
 * The server is a paw-node in a child process (server.ts); the clients live here.
 *
 *   npm run bench:handshake [-- --json] [-- --rounds 9 --connections 200 --peers 50]
 *   node --expose-gc bench/handshake/index.ts
 *
 * Exits non-zero if a connection fails, a check fails or the run exceeds --timeout-s.
 */
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import type { PawNode } from '../../src/api/index.ts'
import { positiveInteger } from '../report.ts'
import { killServers, ServerProcess } from './ipc.ts'
import {
  type Dialers,
  type MemoryResult,
  measureMemory,
  measureThroughput,
  type ThroughputResult,
} from './measure.ts'
import { createClient, createPlain } from './nodes.ts'

const CHAIN_ID = 'paw-bench'

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}

const kib = (bytes: number): number => bytes / 1024

function printTable(header: string, throughput: ThroughputResult, memory: MemoryResult): void {
  const rows = [
    ['case', 'conn/s', 'ms/conn', 'ratio'],
    [
      'dial + Noise + yamux (plain libp2p)',
      throughput.plainPerSecond.toFixed(0),
      throughput.plainMs.toFixed(2),
      '1.00x',
    ],
    [
      'dial + Noise + yamux + PAW handshake',
      throughput.pawPerSecond.toFixed(0),
      throughput.pawMs.toFixed(2),
      `${throughput.ratio.toFixed(2)}x`,
    ],
    [
      "plain libp2p with paw-node's libp2p logger",
      throughput.plainLoggerPerSecond.toFixed(0),
      throughput.plainLoggerMs.toFixed(2),
      `${(throughput.plainLoggerPerSecond / throughput.plainPerSecond).toFixed(2)}x`,
    ],
  ]
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] as string).length))) ?? []
  const line = (row: string[]) =>
    row
      .map((cell, col) =>
        col === 0 ? cell.padEnd(widths[col] as number) : cell.padStart(widths[col] as number),
      )
      .join('  ')
  console.log(header)
  for (const row of rows) console.log(line(row))
  console.log(
    `PAW conn/s / plain-with-the-same-logger conn/s: ${throughput.loggerRatio.toFixed(2)}x (median of per-round ratios)`,
  )
  const shares = throughput.rounds.map((r) => `${(r.handshakeShare * 100).toFixed(0)}%`).join(' ')
  console.log(
    `PAW handshake share of the time per connection: ${(throughput.handshakeShare * 100).toFixed(1)}% ` +
      `(median of per-round shares: ${shares})`,
  )
  const reps = memory.repetitions.map((r) => kib(r.rssPerPeer).toFixed(1)).join(', ')
  console.log(
    `memory per idle connected peer: ${kib(memory.rssPerPeer).toFixed(1)} KiB RSS ` +
      `(server RSS delta over ${memory.peers} peers after ${memory.settledPeers}, median of ${memory.repetitions.length}: ${reps}); ` +
      `JS heap + external ${kib(memory.heapPerPeer).toFixed(1)} KiB`,
  )
  const s = throughput.server
  console.log(
    `server after the throughput part: ${s.totalConnections} connections opened, ${s.connections} open`,
  )
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '9' },
      connections: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '100' },
      peers: { type: 'string', default: '50' },
      'settled-peers': { type: 'string', default: '10' },
      'memory-reps': { type: 'string', default: '3' },
      'settle-ms': { type: 'string', default: '2000' },
      'timeout-s': { type: 'string', default: '300' },
    },
  })
  const throughputOptions = {
    rounds: positiveInteger(values.rounds, '--rounds'),
    connections: positiveInteger(values.connections, '--connections'),
    warmup: positiveInteger(values.warmup, '--warmup', 0),
  }
  const peerCount = positiveInteger(values.peers, '--peers')
  const settledCount = positiveInteger(values['settled-peers'], '--settled-peers', 0)
  const memoryOptions = {
    repetitions: positiveInteger(values['memory-reps'], '--memory-reps'),
    settleMs: positiveInteger(values['settle-ms'], '--settle-ms', 0),
    warmup: 20,
  }
  const timeoutS = positiveInteger(values['timeout-s'], '--timeout-s')
  const watchdog = setTimeout(() => {
    console.error(`bench/handshake: no result within ${timeoutS} s, giving up`)
    killServers()
    process.exit(1)
  }, timeoutS * 1000)

  const environment = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    date: new Date().toISOString(),
    gc: globalThis.gc !== undefined,
  }
  const started = performance.now()
  const server = await ServerProcess.start(CHAIN_ID)
  let client: PawNode | undefined
  let dialers: Dialers | undefined
  const peers: PawNode[] = []
  const settled: PawNode[] = []
  const warm: PawNode[] = []
  let throughput: ThroughputResult
  let memory: MemoryResult
  try {
    client = await createClient(CHAIN_ID)
    dialers = { client, plain: await createPlain(), plainLogger: await createPlain(true) }
    throughput = await measureThroughput(server, CHAIN_ID, dialers, throughputOptions)
    await server.stop()
    for (let i = 0; i < peerCount; i++) peers.push(await createClient(CHAIN_ID))
    for (let i = 0; i < settledCount; i++) settled.push(await createClient(CHAIN_ID))
    for (let i = 0; i < peerCount; i++) warm.push(await createClient(CHAIN_ID))
    memory = await measureMemory(CHAIN_ID, dialers, { measured: peers, settled, warm }, memoryOptions)
  } finally {
    await server.stop()
    await Promise.allSettled([
      ...[...peers, ...settled, ...warm].map((p) => p.stop()),
      client?.stop(),
      dialers?.plain.stop(),
      dialers?.plainLogger.stop(),
    ])
  }
  const seconds = (performance.now() - started) / 1000
  clearTimeout(watchdog)

  if (values.json) {
    const json = {
      ...environment,
      unit: 'conn/s: sequential connections per second, timed from dial to usable (plain) or to handshake completed (paw); medians over rounds; memory in bytes',
      ...throughputOptions,
      peers: peerCount,
      settledPeers: settledCount,
      memoryRepetitions: memoryOptions.repetitions,
      settleMs: memoryOptions.settleMs,
      seconds: round(seconds, 1),
      throughput: {
        pawPerSecond: round(throughput.pawPerSecond, 1),
        plainPerSecond: round(throughput.plainPerSecond, 1),
        plainLoggerPerSecond: round(throughput.plainLoggerPerSecond, 1),
        pawMs: round(throughput.pawMs, 3),
        plainMs: round(throughput.plainMs, 3),
        plainLoggerMs: round(throughput.plainLoggerMs, 3),
        ratio: round(throughput.ratio, 3),
        loggerRatio: round(throughput.loggerRatio, 3),
        handshakeShare: round(throughput.handshakeShare, 4),
        rounds: throughput.rounds.map((r) => ({
          pawMs: round(r.pawMs, 3),
          plainMs: round(r.plainMs, 3),
          plainLoggerMs: round(r.plainLoggerMs, 3),
          pawPerSecond: round(r.pawPerSecond, 1),
          plainPerSecond: round(r.plainPerSecond, 1),
          plainLoggerPerSecond: round(r.plainLoggerPerSecond, 1),
          handshakeShare: round(r.handshakeShare, 4),
          order: r.order,
        })),
        server: throughput.server,
      },
      memory: {
        peers: memory.peers,
        settledPeers: memory.settledPeers,
        rssPerPeer: Math.round(memory.rssPerPeer),
        heapPerPeer: Math.round(memory.heapPerPeer),
        repetitions: memory.repetitions.map((r) => ({
          ...r,
          rssPerPeer: Math.round(r.rssPerPeer),
          heapPerPeer: Math.round(r.heapPerPeer),
        })),
      },
    }
    console.log(JSON.stringify(json, null, 2))
  } else {
    const header =
      `handshake bench | node ${environment.node} | ${environment.cpu} (${environment.cores} cores) | ` +
      `${environment.date} | 2 processes, loopback TCP, ${throughputOptions.rounds} rounds x ` +
      `${throughputOptions.connections} sequential connections per kind, medians | ${seconds.toFixed(0)} s` +
      (environment.gc ? '' : ' | no --expose-gc')
    printTable(header, throughput, memory)
  }
}

try {
  await main()
  process.exit(0)
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  killServers()
  process.exit(1)
}
