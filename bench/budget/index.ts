/**
 * Worst-case memory of one paw-node under attack (issue 15, `bench/budget`), everything
 * real on loopback: the node under test is the real `paw-node start --type full` on a
 * LevelDB chain whose `get_blocks` answers are ~8 MiB (test/support/attacked-node.ts), its
 * RSS sampled from /proc every 50 ms; the attackers run in a process of their own and are
 * written from protocols/*.md alone (test/reliability/stranger-peer-child.ts).
 *
 * The most expensive attack of the issue is the slow reader: each of --peers inbound peers
 * opens the 4 /paw/blocks/1 streams a connection may have, asks ~8 MiB of blocks on each
 * and never reads. Three scenarios per round, each on a fresh node, in the same run:
 *
 * - idle: the same --peers connections, handshaken, doing nothing (what the connections
 *   themselves cost);
 * - budget: the attack against the default budget (256 MiB for the node, 24 MiB per peer);
 * - unbounded: the same attack with the budget lifted to its maximum (1 TiB), which is what
 *   a node without one holds: the baseline the budget is measured against.
 *
 * Each figure is the RSS peak above the node's settled RSS before the connections came,
 * over --window-s seconds from the attack's start (answers are given up at their write
 * deadline, 8 s for 8 MiB). Prints a table (medians over --rounds) and, as the last line of
 * stdout, the same as one line of JSON.
 *
 *   npm run bench:budget [-- --peers 50 --rounds 3 --window-s 15]
 */
import { parseArgs } from 'node:util'
import { StrangerPeers } from '../../test/reliability/stranger-peer.ts'
import { type AttackedNode, AttackedNodeTemplate } from '../../test/support/attacked-node.ts'
import { MiB } from '../../test/support/process-memory.ts'
import { machine, positiveInteger, round, table } from '../report.ts'
import { median } from '../stats.ts'

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '50' },
    rounds: { type: 'string', default: process.env.PAW_BENCH_ROUNDS ?? '3' },
    'window-s': { type: 'string', default: '15' },
  },
})
const PEERS = positiveInteger(values.peers, '--peers')
const ROUNDS = positiveInteger(values.rounds, '--rounds')
const WINDOW_MS = positiveInteger(values['window-s'], '--window-s') * 1_000
const STREAMS = 4
const DEFAULT_BUDGET_MIB = 256
const UNBOUNDED = ['--max-buffer-mib', '1048576', '--max-peer-buffer-mib', '1048576']

type Scenario = 'idle' | 'budget' | 'unbounded'

interface Sample {
  /** RSS peak above the settled RSS before the connections, MiB. */
  rssGrowthMiB: number
  /** The most the node reported holding on /paw/* streams, MiB. */
  heldMiB: number
  /** Attackers still connected at the end of the window. */
  stillConnected: number
  /** Offences charged. */
  charged: Record<string, number>
  /** The node's own view at its highest RSS sampled through the admin API. */
  atPeak: { heapMiB: number; externalMiB: number; rssMiB: number }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function scenario(
  template: AttackedNodeTemplate,
  stranger: StrangerPeers,
  kind: Scenario,
): Promise<Sample> {
  const target: AttackedNode = await template.start(kind === 'unbounded' ? UNBOUNDED : [])
  try {
    const baseline = await target.settledRss()
    target.rss.resetPeak()
    const peers = await stranger.connect({
      target: target.address,
      chainId: template.params.chainId,
      count: PEERS,
      handshake: true,
    })
    const admitted = peers.filter((p) => p.answer === 'handshake')
    if (admitted.length !== PEERS) {
      throw new Error(
        `${PEERS - admitted.length} of ${PEERS} peers were not admitted: ${JSON.stringify(peers.find((p) => p.answer !== 'handshake'))}`,
      )
    }
    const ids = admitted.map((p) => p.id)
    if (kind !== 'idle') await stranger.attack({ kind: 'slow-read', ids, streams: STREAMS })
    let held = 0
    let atPeak = { rssBytes: 0, heapUsedBytes: 0, externalBytes: 0 }
    const until = Date.now() + WINDOW_MS
    while (Date.now() < until) {
      const now = await target.status()
      held = Math.max(held, now?.memory.usedBytes ?? 0)
      if (now !== undefined && now.process.rssBytes > atPeak.rssBytes) atPeak = now.process
      await sleep(250)
    }
    const status = await target.status()
    const stillConnected = (await stranger.status(ids)).filter((p) => p.open).length
    await stranger.release()
    return {
      rssGrowthMiB: round((target.rss.peak - baseline) / MiB, 1),
      heldMiB: round(Math.max(held, status?.memory.peakBytes ?? 0) / MiB, 1),
      stillConnected,
      charged: status?.enforcement.charged ?? {},
      atPeak: {
        heapMiB: round(atPeak.heapUsedBytes / MiB, 1),
        externalMiB: round(atPeak.externalBytes / MiB, 1),
        rssMiB: round(atPeak.rssBytes / MiB, 1),
      },
    }
  } finally {
    await target.stop()
  }
}

async function main(): Promise<void> {
  const started = Date.now()
  const host = machine()
  console.log(
    `budget bench | node ${host.node} | ${host.cpu} (${host.cores} cores) | ${host.date} | ` +
      `${PEERS} inbound peers × ${STREAMS} streams × ~8 MiB asked, never read; ${ROUNDS} round(s), medians`,
  )
  const template = await AttackedNodeTemplate.create()
  const stranger = await StrangerPeers.start()
  const samples: Record<Scenario, Sample[]> = { idle: [], budget: [], unbounded: [] }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of (process.env.PAW_BUDGET_SCENARIOS?.split(',') ?? [
        'idle',
        'budget',
        'unbounded',
      ]) as Scenario[]) {
        const sample = await scenario(template, stranger, kind)
        samples[kind].push(sample)
        console.log(`  round ${round + 1} ${kind}: ${JSON.stringify(sample)}`)
      }
    }
  } finally {
    await stranger.stop()
    await template.remove()
  }
  const med = (kind: Scenario, field: 'rssGrowthMiB' | 'heldMiB') =>
    median(samples[kind].map((s) => s[field]))
  const idle = med('idle', 'rssGrowthMiB')
  const bounded = med('budget', 'rssGrowthMiB')
  const unbounded = med('unbounded', 'rssGrowthMiB')
  const asked = (PEERS * STREAMS * 8 * MiB) / MiB
  console.log('')
  for (const line of table([
    ['scenario', 'RSS growth MiB', '/paw/* held MiB', 'vs unbounded'],
    ['idle connections', String(idle), String(med('idle', 'heldMiB')), '-'],
    [
      `attack, budget ${DEFAULT_BUDGET_MIB} MiB`,
      String(bounded),
      String(med('budget', 'heldMiB')),
      `${round(bounded / unbounded, 2)}x`,
    ],
    ['attack, no budget (baseline)', String(unbounded), String(med('unbounded', 'heldMiB')), '1x'],
  ])) {
    console.log(line)
  }
  console.log(
    `\nasked for ${asked} MiB; with the budget the node held at most ${med('budget', 'heldMiB')} MiB of its ${DEFAULT_BUDGET_MIB} MiB ` +
      `and its RSS grew ${bounded} MiB (${round((bounded - idle) / DEFAULT_BUDGET_MIB, 2)}x the budget beyond what the idle connections cost); ` +
      `without it, ${unbounded} MiB (${round(unbounded / bounded, 1)}x more). ${Math.round((Date.now() - started) / 1000)} s`,
  )
  console.log(
    JSON.stringify({
      bench: 'budget',
      machine: host,
      peers: PEERS,
      streams: STREAMS,
      rounds: ROUNDS,
      budgetMiB: DEFAULT_BUDGET_MIB,
      medians: {
        idle,
        bounded,
        unbounded,
        heldBounded: med('budget', 'heldMiB'),
        heldUnbounded: med('unbounded', 'heldMiB'),
      },
      samples,
    }),
  )
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
