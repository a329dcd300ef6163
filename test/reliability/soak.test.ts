/**
 * Issue 9 item 3: the soak. A 10-node network of real `paw-node start` processes on
 * loopback (2 miners on the devnet chain, 2 s blocks, and 8 full nodes, wired as
 * `paw-node devnet` wires them) under steady transactions for PAW_SOAK_MINUTES (default 30),
 * each node process sampled every 10 s. Pass:
 * - RSS growth of every node (linear fit over the second half, in MiB/hour) under
 *   MAX_RSS_GROWTH_MIB_PER_HOUR;
 * - descriptors and libp2p streams flat: each node's last-quarter median at most its
 *   first-quarter median (samples after the warm-up) plus FD_MARGIN / STREAM_MARGIN;
 * - no MaxListenersExceededWarning / "possible EventEmitter memory leak" in any node's log;
 * - no node exited, every node answered nearly every sample;
 * - after the load stops, every node within MAX_HEIGHT_SPREAD of the highest, and at least
 *   MIN_MINED_SHARE of the accepted transfers in blocks.
 *
 * Not part of the default `npm test`: it runs only with PAW_SOAK=1 (`npm run test:soak`).
 * A short version would not fit the default run: the two miners hash flat out (the devnet's
 * proof of work), so ten processes keep both of the machine's cores busy for the whole run
 * and would slow every timing-sensitive test that vitest runs next to it, and a minute is
 * too short for growth rates to mean anything (the first minutes are JIT and heap warm-up).
 *
 * The nodes run the built CLI (dist/cli/run.js): run `npm run build` first.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { median } from '../../bench/stats.ts'
import type { ChildExit } from '../../src/node/devnet/supervisor.ts'
import { fundSenders, type LoadCounts, minedTransfers, steadyLoad } from './soak-load.ts'
import { type SoakNetwork, type SoakNode, startSoakNetwork } from './soak-network.ts'
import { type NodeRecord, quarterMedians, rssGrowthPerHour, startSampling, table } from './soak-samples.ts'

const SOAK = process.env.PAW_SOAK === '1'
const MINUTES = Number(process.env.PAW_SOAK_MINUTES ?? 30)
/** Where to write every sample as JSON (optional), for plots and RELIABILITY.md. */
const SAMPLES_FILE = process.env.PAW_SOAK_SAMPLES

const NODES = 10
const MINERS = 2
const SAMPLE_EVERY_MS = 10_000
/** Each node gets one transfer per 3 s: 10 nodes make ~3.3 transactions/s, ~7 per 2 s block. */
const TX_INTERVAL_MS = 3_000
/**
 * Excluded from the flatness medians: the first minutes are connection set-up, peer
 * exchange filling the mesh, JIT and the heap growing to its working size. 3 minutes, or a
 * fifth of a shorter run.
 */
const WARM_UP_MS = Math.min(180_000, (MINUTES * 60_000) / 5)
/**
 * A node runs at 150–250 MiB (the miners higher); what legitimately grows with time is the
 * chain (headers kept in memory: ~1,800 blocks an hour of a few hundred bytes each) and
 * LevelDB's caches, which are bounded: a few MiB an hour. A 15-minute fit of a
 * garbage-collected heap still wobbles by some tens of MiB/hour, so the bound is 64 MiB/hour:
 * a leak of a few hundred bytes per transaction relayed (3.3/s reach every node), per block,
 * or a retained stream or message buffer per second exceeds it, normal wobble does not.
 */
const MAX_RSS_GROWTH_MIB_PER_HOUR = 64
/**
 * The resource criteria (RSS growth, descriptors, streams) are checked in runs of 10 minutes
 * or more only: in a shorter one the second half is still warm-up and a quarter holds one or
 * two samples, so a stream or two open at that instant decides. Shorter runs (to try the
 * harness) print the figures and check the rest.
 */
const RESOURCE_CHECK_MIN_MINUTES = 10
const CHECK_RESOURCES = MINUTES >= RESOURCE_CHECK_MIN_MINUTES
/**
 * The sampler's own HTTP socket is not counted (/proc is read first), but a node may hold a
 * submission's socket or one more peer connection (each a descriptor and a few streams) at
 * the moment it is sampled, and LevelDB opens a table file or two as the chain grows. A leak
 * of one descriptor or stream per block, transaction or peer exchange (every 10 s) adds
 * tens to hundreds over the run.
 */
const FD_MARGIN = 8
const STREAM_MARGIN = 6
/** Blocks come every ~2 s and reach every node in well under one: the tips may differ by one. */
const MAX_HEIGHT_SPREAD = 1
/**
 * Once the load stops, the pending transfers are mined within a few blocks; what is left
 * out is at most the last few seconds' worth (a tip race losing a block that is re-mined).
 */
const MIN_MINED_SHARE = 0.95
/** Every node answers /status and /metrics; a miss or two on a loaded 2-core machine is noise. */
const MIN_SAMPLE_SHARE = 0.95
const LEAK_WARNINGS = /MaxListenersExceededWarning|possible Event(?:Emitter|Target) memory leak/i

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-')

interface StatusReply {
  tip: { height: number }
  peers: { connected: number }
  mempool?: { size: number }
}

/** Every node's /status; undefined for a node that does not answer (reported, not thrown). */
function statuses(nodes: readonly SoakNode[]): Promise<(StatusReply | undefined)[]> {
  return Promise.all(nodes.map((n) => n.client.get<StatusReply>('/status').catch(() => undefined)))
}

/** Polls `check` every second until it is true or `timeoutMs` has passed; whether it became true. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(1_000)
  }
}

const heightsOf = (replies: readonly (StatusReply | undefined)[]) =>
  replies.map((r) => r?.tip.height ?? Number.NaN)

/** The highest tip minus the lowest (NaN while a node does not answer). */
const spreadOf = (heights: readonly number[]) => Math.max(...heights) - Math.min(...heights)

/**
 * After the load: up to a minute for the mempools to empty (the last transfers mined) and
 * for every node to reach the tip. Returns every node's height then and what is still pending.
 */
async function settle(nodes: readonly SoakNode[]): Promise<{ heights: number[]; pending: number }> {
  await eventually(async () => (await statuses(nodes)).every((s) => s?.mempool?.size === 0), 60_000)
  await eventually(async () => spreadOf(heightsOf(await statuses(nodes))) <= MAX_HEIGHT_SPREAD, 60_000)
  const replies = await statuses(nodes)
  return {
    heights: heightsOf(replies),
    pending: replies.reduce((sum, r) => sum + (r?.mempool?.size ?? 0), 0),
  }
}

interface Outcome {
  records: NodeRecord[]
  /** ms from the start of the load to its end. */
  runMs: number
  startHeight: number
  endHeights: number[]
  pending: number
  counts: LoadCounts
  mined: number
  unexpectedExits: ChildExit[]
  shutdown: ChildExit[]
  logs: string[]
}

/** One node's row of the summary and what it breaks of the criteria. */
function judgeNode(record: NodeRecord, outcome: Outcome, index: number) {
  const { node, samples, failedSamples } = record
  const first = samples[0]
  const last = samples.at(-1)
  const growth = rssGrowthPerHour(samples, 0, outcome.runMs)
  const fds = quarterMedians(samples, WARM_UP_MS, (s) => s.fds)
  const streams = quarterMedians(samples, WARM_UP_MS, (s) => s.streams)
  const conns = quarterMedians(samples, WARM_UP_MS, (s) => s.connections)
  const row = [
    `${node.name} ${node.type}`,
    fixed(first?.rssMiB ?? Number.NaN),
    fixed(last?.rssMiB ?? Number.NaN),
    fixed(growth),
    `${first?.fds}/${last?.fds}`,
    `${fds.first}→${fds.last}`,
    `${first?.streams}/${last?.streams}`,
    `${streams.first}→${streams.last}`,
    `${conns.first}→${conns.last}`,
    String(outcome.endHeights[index]),
    `${samples.length}/${samples.length + failedSamples}`,
  ]
  const violations: string[] = []
  if (CHECK_RESOURCES && !(growth < MAX_RSS_GROWTH_MIB_PER_HOUR))
    violations.push(`${node.name}: RSS grows ${fixed(growth)} MiB/h (max ${MAX_RSS_GROWTH_MIB_PER_HOUR})`)
  if (CHECK_RESOURCES && !(fds.last <= fds.first + FD_MARGIN))
    violations.push(`${node.name}: descriptors ${fds.first} → ${fds.last} (margin ${FD_MARGIN})`)
  if (CHECK_RESOURCES && !(streams.last <= streams.first + STREAM_MARGIN))
    violations.push(`${node.name}: streams ${streams.first} → ${streams.last} (margin ${STREAM_MARGIN})`)
  if (!(samples.length / (samples.length + failedSamples) >= MIN_SAMPLE_SHARE))
    violations.push(`${node.name}: ${failedSamples} of its samples failed, last: ${record.lastError}`)
  const warnings = (outcome.logs[index] ?? '').split('\n').filter((line) => LEAK_WARNINGS.test(line))
  if (warnings.length > 0) violations.push(`${node.name}: ${warnings.length} leak warning(s): ${warnings[0]}`)
  return { row, violations, growth }
}

/** The summary to print and every criterion broken. */
function judge(outcome: Outcome): { summary: string; violations: string[] } {
  const judged = outcome.records.map((record, index) => judgeNode(record, outcome, index))
  const violations = judged.flatMap((j) => j.violations)
  for (const exit of outcome.unexpectedExits)
    violations.push(`${exit.name} exited during the soak (code ${exit.code}, signal ${exit.signal})`)
  const spread = spreadOf(outcome.endHeights)
  if (!(spread <= MAX_HEIGHT_SPREAD))
    violations.push(`end heights differ by ${spread}: ${outcome.endHeights.join(', ')}`)
  const { accepted, distinct, refused, failed, errors } = outcome.counts
  const minedShare = distinct === 0 ? 0 : outcome.mined / distinct
  if (!(minedShare >= MIN_MINED_SHARE))
    violations.push(`${outcome.mined} of ${distinct} accepted transfers mined (${fixed(100 * minedShare)} %)`)

  const top = Math.max(...outcome.endHeights)
  const growths = judged.map((j) => j.growth)
  const lines = [
    `RELIABILITY soak: ${NODES} nodes (${MINERS} miners) for ${fixed(outcome.runMs / 60_000)} min, ` +
      `sampled every ${SAMPLE_EVERY_MS / 1000} s, warm-up ${WARM_UP_MS / 1000} s ` +
      '(q1→q4: medians of the first and last quarter after the warm-up; growth: fit over the second half)',
    table(
      [
        'node',
        'RSS start MiB',
        'RSS end MiB',
        'growth MiB/h',
        'fds start/end',
        'fds q1→q4',
        'streams start/end',
        'streams q1→q4',
        'conns q1→q4',
        'height',
        'samples',
      ],
      judged.map((j) => j.row),
    ),
    `transfers: ${distinct} accepted (${accepted - distinct} of them sent twice), ${refused} refused, ` +
      `${failed} unanswered; ${outcome.mined} mined ` +
      `(${fixed(100 * minedShare)} %), ${outcome.pending} still pending; blocks: ${top - outcome.startHeight} ` +
      `(heights ${outcome.startHeight} → ${Math.min(...outcome.endHeights)}..${top})`,
    `RSS growth median ${fixed(median(growths))} MiB/h, max ${fixed(Math.max(...growths))} MiB/h` +
      (CHECK_RESOURCES
        ? ''
        : ` (RSS, descriptors, streams not checked: runs under ${RESOURCE_CHECK_MIN_MINUTES} min)`),
    `shutdown: ${outcome.shutdown.map((e) => `${e.name} ${e.killed ? 'killed' : `exit ${e.code ?? e.signal}`}`).join(', ')}`,
    ...(errors.length > 0 ? [`first submission errors: ${errors.slice(0, 5).join(' | ')}`] : []),
    violations.length === 0 ? 'soak: pass' : `soak: FAIL\n  ${violations.join('\n  ')}`,
  ]
  return { summary: lines.join('\n'), violations }
}

/** Meshed, senders funded, then the load and the sampling for MINUTES; the network is stopped. */
async function soak(network: SoakNetwork): Promise<Outcome> {
  const { nodes } = network
  const clients = nodes.map((n) => n.client)
  const [hub] = clients
  if (hub === undefined) throw new Error('a soak needs nodes')
  const meshed = await eventually(
    async () => (await statuses(nodes)).every((s) => (s?.peers.connected ?? 0) >= 1),
    60_000,
  )
  if (!meshed) throw new Error('not every node has a peer after 60 s')
  await fundSenders(clients)

  const records: NodeRecord[] = nodes.map((node) => ({ node, samples: [], failedSamples: 0 }))
  const runStart = Date.now()
  const startHeight = Math.max(...(await statuses(nodes)).map((s) => s?.tip.height ?? 0))
  const sampling = startSampling(records, runStart, SAMPLE_EVERY_MS)
  const load = steadyLoad(clients, TX_INTERVAL_MS)
  await sleep(MINUTES * 60_000)
  await load.stop()
  const runMs = Date.now() - runStart
  await sampling.stop()

  const { heights: endHeights, pending } = await settle(nodes)
  const mined = await minedTransfers(hub, nodes.length)
  const unexpectedExits = [...network.unexpectedExits]
  const shutdown = await network.stop()
  const logs = await Promise.all(nodes.map((n) => readFile(n.logFile, 'utf8').catch(() => '')))
  return {
    records,
    runMs,
    startHeight,
    endHeights,
    pending,
    counts: load.counts,
    mined,
    unexpectedExits,
    shutdown,
    logs,
  }
}

describe.skipIf(!SOAK)('soak (issue 9 item 3)', () => {
  it(
    `${NODES} nodes, steady transactions and blocks for ${MINUTES} min: RSS, descriptors and streams flat`,
    async () => {
      const network = await startSoakNetwork(NODES, MINERS)
      let passed = false
      try {
        const outcome = await soak(network)
        const { summary, violations } = judge(outcome)
        console.log(summary)
        if (SAMPLES_FILE !== undefined) {
          const nodes = outcome.records.map((r) => ({
            name: r.node.name,
            type: r.node.type,
            samples: r.samples,
          }))
          await writeFile(SAMPLES_FILE, JSON.stringify({ summary, nodes }))
        }
        expect(violations).toEqual([])
        passed = true
      } finally {
        // A no-op once soak() has stopped the nodes; after a failure, stops them.
        await network.stop()
        if (passed) await rm(network.root, { recursive: true, force: true })
        else console.log(`soak: homes and logs (<root>/node<i>/node.log) kept in ${network.root}`)
      }
    },
    MINUTES * 60_000 + 10 * 60_000,
  )
})
