/**
 * Per-node timelines of one block round (`--trace-ms`): where a compact block's time goes.
 * Each node's status (test/support/node-process.ts: compact counters, gossip lanes, tip,
 * CPU time) is polled on its own loop, the links' byte counters and the machine's CPU
 * (/proc/stat) on another, from just before the announce until every node has the block
 * or the round gives up. Exact times come from the nodes themselves (the forward's
 * `lastForwarded`, the import's arrival event); the rest are the first poll answer that
 * saw a counter move, so they are late by up to one poll interval, or by as long as the
 * node's event loop was held (it answers when free).
 */
import { readFileSync } from 'node:fs'
import type { CompactCounts, CompactStats } from '../../src/gossip/compact-stats.ts'
import type {
  AnnounceReport,
  BlockArrival,
  NodeProcess,
  NodeStatus,
} from '../../test/support/node-process.ts'
import { now } from '../../test/support/node-process.ts'
import { median } from '../stats.ts'
import type { WanNetwork } from './wan.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** What one poll of one node saw. */
interface NodeSample {
  at: number
  cpuMs: number
  compact: CompactCounts
  lastForwarded: CompactStats['lastForwarded']
  blocksQueued: number
  transactionsQueued: number
  blockVerdicts: { accept: number; ignore: number; reject: number }
  /** gossipsub 'gossipsub:message' events off the transaction topic (a new block, compact block or header). */
  otherMessages: number
  tip: { height: number; hash: string }
}

/** What one poll of the machine saw. */
interface MachineSample {
  at: number
  /** Busy and total jiffies of all cores since boot (/proc/stat). */
  busy: number
  total: number
  load1: number
  /** Bytes each node has sent on its link so far. */
  sent: number[]
}

/** One node's round, ms after the announce (undefined: not seen). */
export interface NodeTimeline {
  node: number
  hops: number
  /** Of the block's transactions, how many the node's mempool held just before the announce. */
  pending: number
  /** The node the block came from (its import's `from`), if it was imported from gossip. */
  from: number | undefined
  /** First poll with a new gossipsub message off the transaction topic. */
  heard: number | undefined
  /** First poll with the compact judge running on it (counters.received moved). */
  judged: number | undefined
  /** First poll after a get_block_transactions was sent, and how many it asked for. */
  fetched: number | undefined
  transactionsFetched: number
  /** First poll after a whole-block fallback started. */
  fallback: number | undefined
  rebuilt: boolean
  /** gossipsub handed the compact block over, and it was forwarded (exact). */
  receivedAt: number | undefined
  forwardedAt: number | undefined
  /** Imported from gossip (exact), or first poll whose tip was the block (by sync too). */
  importedAt: number | undefined
  tipAt: number | undefined
  /** Block messages Ignored meanwhile (a failed fetch forgets the message). */
  ignored: number
  /** CPU time the node used from the announce to its import (the first poll after it), or to the end. */
  cpuMs: number
  /** Bytes its link carried from the announce to the end. */
  sentBytes: number
}

/** The machine during the round, per slice of `sliceMs`. */
export interface MachineSlice {
  /** Start of the slice, ms after the announce. */
  from: number
  /** Share of both cores busy, %. */
  busyPercent: number
  load1: number
  /** All nodes' links, bytes. */
  sentBytes: number
  /** Nodes that had imported the block by the slice's end. */
  imported: number
}

export interface BlockTrace {
  hash: string
  announcedAt: number
  publishedAt: number
  /** Polls per node, median. */
  pollsPerNode: number
  nodes: NodeTimeline[]
  machine: MachineSlice[]
  /** The counters' totals over the round, all receiving nodes. */
  totals: CompactCounts
}

function readCpu(): { busy: number; total: number; load1: number } {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string)
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  const total = cpu.reduce((a, b) => a + b, 0)
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const busy = total - (cpu[3] ?? 0) - (cpu[4] ?? 0)
  const load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  return { busy, total, load1 }
}

function sampleOf(status: NodeStatus, at: number): NodeSample {
  const {
    lastForwarded,
    lastPublished: _,
    ...compact
  } = (status.gossip as NodeStatus['gossip'] & { compact: CompactStats }).compact
  return {
    at,
    cpuMs: status.cpuMs,
    compact,
    lastForwarded,
    blocksQueued: status.gossip.lanes.blocks.queued,
    transactionsQueued: status.gossip.lanes.transactions.queued,
    blockVerdicts: { ...status.gossip.verdicts.blocks },
    otherMessages: status.gossipsubMessages.other.events,
    tip: status.tip,
  }
}

/**
 * Polls every node and the machine until stopped. Wraps the origin's `announce` to learn
 * the block and its announce time from inside the round that bench/gossip's blockLatency runs.
 */
export class BlockTracer {
  readonly #nodes: readonly NodeProcess[]
  readonly #network: WanNetwork
  readonly #origin: number
  readonly #intervalMs: number
  readonly #samples: NodeSample[][]
  readonly #machine: MachineSample[] = []
  #announced: AnnounceReport | undefined
  #pending: number[] = []
  #stopped = false
  #loops: Promise<void>[] = []
  #restore: (() => void) | undefined

  constructor(network: WanNetwork, nodes: readonly NodeProcess[], origin: number, intervalMs: number) {
    this.#network = network
    this.#nodes = nodes
    this.#origin = origin
    this.#intervalMs = intervalMs
    this.#samples = nodes.map(() => [])
  }

  /** Counts the block's transactions in every mempool, then starts polling. */
  async start(ids: string[]): Promise<void> {
    this.#pending = (await Promise.all(this.#nodes.map((n) => n.transactions({ ids })))).map(
      (r) => r.pending ?? 0,
    )
    const origin = this.#nodes[this.#origin] as NodeProcess
    const announce = origin.announce.bind(origin)
    origin.announce = async (options) => {
      const report = await announce(options)
      this.#announced = report
      return report
    }
    this.#restore = () => {
      origin.announce = announce
    }
    this.#loops = [...this.#nodes.map((node, i) => this.#pollNode(node, i)), this.#pollMachine()]
    await sleep(this.#intervalMs)
  }

  async #pollNode(node: NodeProcess, index: number): Promise<void> {
    while (!this.#stopped) {
      const asked = now()
      try {
        const status = await node.status()
        // Stamped when the answer came: a child whose event loop is held (a block's import)
        // answers the moment it is free, so the state it reports is that of the answer's
        // time, not of the question's.
        this.#samples[index]?.push(sampleOf(status, now()))
      } catch {
        // A busy child can miss a poll; the next one counts.
      }
      await sleep(Math.max(0, this.#intervalMs - (now() - asked)))
    }
  }

  async #pollMachine(): Promise<void> {
    while (!this.#stopped) {
      const asked = now()
      this.#machine.push({ at: asked, ...readCpu(), sent: this.#network.sentBytes() })
      await sleep(Math.max(0, this.#intervalMs - (now() - asked)))
    }
  }

  /** Stops polling (after one more poll each) and builds the timelines. */
  async stop(hops: readonly number[]): Promise<BlockTrace | undefined> {
    await sleep(this.#intervalMs)
    this.#stopped = true
    await Promise.all(this.#loops)
    this.#restore?.()
    const sent = this.#announced
    if (sent === undefined) return undefined
    const byPeer = new Map(this.#nodes.map((n, i) => [n.peerId, i]))
    const t = (at: number | undefined) => (at === undefined ? undefined : at - sent.announcedAt)
    const nodes: NodeTimeline[] = []
    const zero = { received: 0, rebuilt: 0, fetched: 0, transactionsFetched: 0, fallbacks: 0 }
    const totals = { published: 0, rootMismatches: 0, collisions: 0, forwardedEarly: 0, bridged: 0, ...zero }
    for (const [i, samples] of this.#samples.entries()) {
      if (i === this.#origin || samples.length === 0) continue
      const base = samples.filter((s) => s.at <= sent.announcedAt).at(-1) ?? (samples[0] as NodeSample)
      const after = samples.filter((s) => s.at > sent.announcedAt)
      const last = after.at(-1) ?? base
      const first = (moved: (s: NodeSample) => boolean) => t(after.find(moved)?.at)
      const arrival = this.#nodes[i]?.arrivals.find(
        (a: BlockArrival) => a.hash === sent.hash && a.kind === 'block',
      )
      const forwarded = last.lastForwarded?.hash === sent.hash ? last.lastForwarded : undefined
      const end = arrival?.at ?? last.at
      // The first answer after the import: a node answers only once its import let go of the loop.
      const atEnd = after.find((s) => s.at >= end) ?? last
      const sentAt = (at: number) => this.#machine.filter((m) => m.at <= at).at(-1)?.sent[i] ?? 0
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) {
        totals[key] += last.compact[key] - base.compact[key]
      }
      nodes.push({
        node: i,
        hops: hops[i] ?? Number.NaN,
        pending: this.#pending[i] ?? 0,
        from: arrival === undefined ? undefined : byPeer.get(arrival.from),
        heard: first((s) => s.otherMessages > base.otherMessages),
        judged: first((s) => s.compact.received > base.compact.received),
        fetched: first((s) => s.compact.fetched > base.compact.fetched),
        transactionsFetched: last.compact.transactionsFetched - base.compact.transactionsFetched,
        fallback: first((s) => s.compact.fallbacks > base.compact.fallbacks),
        rebuilt: last.compact.rebuilt > base.compact.rebuilt,
        receivedAt: t(forwarded?.receivedAt),
        forwardedAt: t(forwarded?.at),
        importedAt: t(arrival?.at),
        tipAt: first((s) => s.tip.hash === sent.hash),
        ignored: last.blockVerdicts.ignore - base.blockVerdicts.ignore,
        cpuMs: atEnd.cpuMs - base.cpuMs,
        sentBytes: sentAt(last.at) - sentAt(sent.announcedAt),
      })
    }
    return {
      hash: sent.hash,
      announcedAt: sent.announcedAt,
      publishedAt: sent.publishedAt - sent.announcedAt,
      pollsPerNode: median(this.#samples.map((s) => s.length)),
      nodes,
      machine: this.#slices(sent.announcedAt, nodes),
      totals,
    }
  }

  /** The machine's polls from the announce on, in slices of at least 100 ms. */
  #slices(announcedAt: number, nodes: readonly NodeTimeline[]): MachineSlice[] {
    const before = this.#machine.filter((m) => m.at <= announcedAt).length
    const polls = this.#machine.slice(Math.max(0, before - 1))
    const slices: MachineSlice[] = []
    const step = Math.max(1, Math.round(100 / this.#intervalMs))
    for (let k = 0; k + step < polls.length; k += step) {
      const a = polls[k] as MachineSample
      const b = polls[k + step] as MachineSample
      const end = b.at - announcedAt
      slices.push({
        from: a.at - announcedAt,
        busyPercent: (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total),
        load1: b.load1,
        sentBytes: b.sent.reduce((s, x, i) => s + x - (a.sent[i] ?? 0), 0),
        imported: nodes.filter((n) => (n.importedAt ?? n.tipAt ?? Number.POSITIVE_INFINITY) <= end).length,
      })
    }
    return slices
  }
}

const cell = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(0))

/** The trace as text: one line per node, by import time, then the machine per slice. */
export function printTrace(trace: BlockTrace, label: string): void {
  const out = (line: string) => console.log(line)
  out(
    `trace ${label}: block ${trace.hash.slice(0, 12)}, announceBlock returned ${trace.publishedAt.toFixed(0)} ms after the call (its own import included; the compact block leaves before it); ` +
      `~${trace.pollsPerNode} polls per node; ms after the announce (poll-based columns late by up to one poll)`,
  )
  const rows = [
    [
      'node',
      'hops',
      'from',
      'pool',
      'heard',
      'judged',
      'fetch(tx)',
      'fallback',
      'recv',
      'fwd',
      'import',
      'tip',
      'ign',
      'cpu ms',
      'sent KiB',
    ],
  ]
  const order = [...trace.nodes].sort(
    (a, b) =>
      (a.importedAt ?? a.tipAt ?? Number.POSITIVE_INFINITY) -
      (b.importedAt ?? b.tipAt ?? Number.POSITIVE_INFINITY),
  )
  for (const n of order) {
    rows.push([
      `${n.node}`,
      `${n.hops}`,
      n.from === undefined ? '-' : `${n.from}`,
      `${n.pending}`,
      cell(n.heard),
      cell(n.judged),
      n.fetched === undefined
        ? n.rebuilt
          ? 'rebuilt'
          : '-'
        : `${cell(n.fetched)}(${n.transactionsFetched})`,
      cell(n.fallback),
      cell(n.receivedAt),
      cell(n.forwardedAt),
      cell(n.importedAt),
      cell(n.tipAt),
      `${n.ignored}`,
      cell(n.cpuMs),
      (n.sentBytes / 1024).toFixed(0),
    ])
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length))) ?? []
  for (const row of rows) out(`  ${row.map((v, c) => v.padStart(widths[c] ?? 0)).join('  ')}`)
  const t = trace.totals
  out(
    `  compact counters over the round: received ${t.received}, rebuilt ${t.rebuilt}, fetched ${t.fetched} ` +
      `(${t.transactionsFetched} tx), fallbacks ${t.fallbacks}, root mismatches ${t.rootMismatches}, ` +
      `collisions ${t.collisions}, forwarded early ${t.forwardedEarly}, bridged ${t.bridged}`,
  )
  out('  machine: slice start ms | both cores busy % | load1 | KiB sent by all links | nodes imported')
  const line = trace.machine
    .filter((_, k, all) => k < 40 || k === all.length - 1)
    .map(
      (s) =>
        `${s.from.toFixed(0)}|${s.busyPercent.toFixed(0)}|${s.load1.toFixed(1)}|${(s.sentBytes / 1024).toFixed(0)}|${s.imported}`,
    )
  for (let k = 0; k < line.length; k += 8) out(`    ${line.slice(k, k + 8).join('  ')}`)
}
