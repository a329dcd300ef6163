/**
 * The measurements of bench/gossip, each on an already connected network of node
 * processes (test/support/node-process.ts). Times are `now()` readings of the processes
 * involved (comparable on one machine); latencies are per node and round.
 */
import { decodeTransaction } from '../../src/chain/encoding.ts'
import { txHash } from '../../src/chain/hashing.ts'
import type { Address } from '../../src/chain/types.ts'
import { toHex } from '../../src/wire/bytes.ts'
import {
  type BulkAccount,
  bulkTransfers,
  type NodeProcess,
  type NodeStatus,
  now,
} from '../../test/support/node-process.ts'
import { median } from '../stats.ts'

/** Nearest-rank percentile (p in 0..100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

export interface LatencyResult {
  /** Every node × round sample, ms. */
  samples: number[]
  p50: number
  p99: number
  /** Per round: the slowest node (the time until every node had it). */
  rounds: number[]
  /** Node × round pairs that never arrived within the timeout. */
  missing: number
}

function latency(samples: number[], rounds: number[], missing: number): LatencyResult {
  return { samples, p50: percentile(samples, 50), p99: percentile(samples, 99), rounds, missing }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** How much longer than a flood's window a submitter's own admission may take before its call fails. */
const SUBMIT_GRACE_MS = 300_000

async function until(check: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (await check()) return true
    await sleep(stepMs)
  }
  return false
}

// ---------------------------------------------------------------------------------------
// Baselines without PAW code.

/** One hop over a raw libp2p stream (TCP, Noise, yamux): `bytes` written until acknowledged. */
export async function rawStreamTimes(
  from: NodeProcess,
  toRawAddress: string,
  bytes: number,
  rounds: number,
  warmup = 2,
): Promise<number[]> {
  const times = await from.rawStream(toRawAddress, bytes, warmup + rounds)
  return times.slice(warmup)
}

/**
 * Raw gossipsub (trivial validator): `rounds` messages of `bytes` published at `origin`,
 * per-node arrival minus the publish time.
 */
export async function rawGossipLatency(
  nodes: readonly NodeProcess[],
  origin: number,
  bytes: number,
  rounds: number,
  firstSeq: number,
  gapMs: number,
): Promise<LatencyResult> {
  const published: Array<{ seq: number; at: number }> = []
  for (let round = 0; round < rounds; round++) {
    const seq = firstSeq + round
    const { publishedAt } = await (nodes[origin] as NodeProcess).rawPublish(seq, bytes)
    published.push({ seq, at: publishedAt })
    // Let it reach everyone before the next (a 1 MiB message takes a while on 20 nodes).
    await until(
      async () => {
        const all = await Promise.all(
          nodes.map((node, index) => (index === origin ? [] : node.rawArrivals())),
        )
        return all.every((list, index) => index === origin || list.some((a) => a.seq === seq))
      },
      10_000,
      20,
    )
    await sleep(gapMs)
  }
  const arrivals = await Promise.all(nodes.map((node) => node.rawArrivals()))
  const samples: number[] = []
  const perRound: number[] = []
  let missing = 0
  for (const { seq, at } of published) {
    let slowest = 0
    arrivals.forEach((list, index) => {
      if (index === origin) return
      const arrival = list.find((a) => a.seq === seq)
      if (arrival === undefined) {
        missing++
        return
      }
      samples.push(arrival.at - at)
      slowest = Math.max(slowest, arrival.at - at)
    })
    perRound.push(slowest)
  }
  return latency(samples, perRound, missing)
}

// ---------------------------------------------------------------------------------------
// PAW.

/**
 * One receiving node during one block round (from just before the announce until every
 * node had the block): its signature checks, verified (node:crypto or noble) or answered
 * by the cache, and the CPU time its process used.
 */
export interface NodeBlockWork {
  verified: number
  cached: number
  cpuMs: number
}

export interface BlockLatencyResult extends LatencyResult {
  /** Per round: the announcer's own addBlock (validation before it publishes), ms. */
  announcerAddMs: number[]
  /** Every receiving node's validation: accepted minus handed over by gossipsub, ms. */
  validationMs: number[]
  /** Every receiving node × round: its signature checks and CPU time from the announce until every node had the block. */
  work: NodeBlockWork[]
  /** Per round: CPU time all the node processes used together meanwhile (the announcer's included), ms. */
  totalCpuMs: number[]
  /** Block size, bytes, and transactions (coinbase included). */
  bytes: number
  transactions: number
}

interface BlockRound {
  samples: number[]
  slowest: number
  missing: number
  announcerAddMs: number
  validationMs: number[]
  work: NodeBlockWork[]
  totalCpuMs: number
  bytes: number
  transactions: number
}

/**
 * One block of exactly `body` built, mined and announced at `origin`; per-node arrival
 * (validated and added) minus the announce call, and each receiving node's signature checks
 * and CPU time meanwhile (status() before the announce and once every node had it).
 */
async function blockRound(
  nodes: readonly NodeProcess[],
  origin: number,
  body: readonly Uint8Array[],
  timeoutMs: number,
): Promise<BlockRound> {
  const before = await Promise.all(nodes.map((node) => node.status()))
  const sent = await (nodes[origin] as NodeProcess).announce({ transactions: body, timeoutMs })
  if (sent.transactions !== body.length + 1) {
    throw new Error(`the block took ${sent.transactions - 1} of ${body.length} transfers`)
  }
  const arrivals = await Promise.allSettled(
    nodes.map((node, index) => (index === origin ? undefined : node.waitForBlock(sent.hash, timeoutMs))),
  )
  const after = await Promise.all(nodes.map((node) => node.status()))
  const round: BlockRound = {
    samples: [],
    slowest: 0,
    missing: 0,
    announcerAddMs: sent.addedAt - sent.announcedAt,
    validationMs: [],
    work: [],
    totalCpuMs: after.reduce((sum, s, i) => sum + s.cpuMs - (before[i] as NodeStatus).cpuMs, 0),
    bytes: sent.bytes,
    transactions: sent.transactions,
  }
  arrivals.forEach((result, index) => {
    if (index === origin) return
    const b = before[index] as NodeStatus
    const a = after[index] as NodeStatus
    round.work.push({
      verified: a.signatures.fast + a.signatures.noble - b.signatures.fast - b.signatures.noble,
      cached: a.signatures.cached - b.signatures.cached,
      cpuMs: a.cpuMs - b.cpuMs,
    })
    if (result.status === 'rejected' || result.value === undefined) {
      round.missing++
      return
    }
    const arrival = result.value
    round.samples.push(arrival.at - sent.announcedAt)
    round.slowest = Math.max(round.slowest, arrival.at - sent.announcedAt)
    if (arrival.receivedAt !== undefined) round.validationMs.push(arrival.at - arrival.receivedAt)
  })
  return round
}

function blockResult(rounds: readonly BlockRound[]): BlockLatencyResult {
  return {
    ...latency(
      rounds.flatMap((r) => r.samples),
      rounds.map((r) => r.slowest),
      rounds.reduce((sum, r) => sum + r.missing, 0),
    ),
    announcerAddMs: rounds.map((r) => r.announcerAddMs),
    validationMs: rounds.flatMap((r) => r.validationMs),
    work: rounds.flatMap((r) => r.work),
    totalCpuMs: rounds.map((r) => r.totalCpuMs),
    bytes: rounds[0]?.bytes ?? 0,
    transactions: rounds[0]?.transactions ?? 0,
  }
}

/**
 * The cold case: `bodies.length` rounds, each a block of transfers no node has seen (so
 * every node verifies every signature) built, mined and announced at `origin`; per-node
 * arrival (validated and added) minus the announce call.
 */
export async function blockLatency(
  nodes: readonly NodeProcess[],
  origin: number,
  bodies: ReadonlyArray<readonly Uint8Array[]>,
  timeoutMs: number,
  gapMs: number,
): Promise<BlockLatencyResult> {
  const rounds: BlockRound[] = []
  for (const body of bodies) {
    rounds.push(await blockRound(nodes, origin, body, timeoutMs))
    await sleep(gapMs)
  }
  return blockResult(rounds)
}

/** The ids (hex) of encoded transactions, as the nodes' reports name them. */
export function transactionIds(transactions: readonly Uint8Array[]): string[] {
  return transactions.map((tx) => toHex(txHash(decodeTransaction(tx))))
}

/** Transactions that entered a node's mempool (from peers or submitted there) since its status `before`. */
export function admittedSince(before: NodeStatus, now: { received: number; local: number }): number {
  return now.received + now.local - before.transactions.received - before.transactions.local
}

/** What the nodes shed of transactions between two sets of statuses, summed, and the deepest queue. */
export function sheddingSince(
  before: readonly NodeStatus[],
  after: readonly NodeStatus[],
): { laneDropped: number; throttled: number; republished: number; ignored: number; highWater: number } {
  const delta = (pick: (s: NodeStatus) => number) =>
    after.reduce((sum, s, i) => sum + pick(s) - pick(before[i] as NodeStatus), 0)
  return {
    laneDropped: delta((s) => s.gossip.lanes.transactions.dropped),
    throttled: delta((s) => s.gossip.throttled),
    republished: delta((s) => s.gossip.republished),
    ignored: delta((s) => s.gossip.verdicts.transactions.ignore),
    highWater: Math.max(...after.map((s) => s.gossip.lanes.transactions.highWater)),
  }
}

export interface FloodResult {
  transactions: number
  /**
   * From the first submission until the last submitter's last one was accepted, ms; the
   * window instead if the submitters were still admitting when it ended (`submitUnfinished`).
   */
  submitMs: number
  /** The submitters had not admitted all of theirs when the window ended (a starved machine). */
  submitUnfinished: boolean
  /** From the first submission until the last node admitted the last transaction, ms. */
  everywhereMs: number
  /** Nodes whose mempool held every one of the transactions once the flood ended. */
  nodesWithAll: number
  /** Transactions missing, summed over the nodes (0: every mempool had all). */
  missing: number
  refused: Record<string, number>
  /** Summed over the nodes, during the flood. */
  laneDropped: number
  throttled: number
  /** Accepted after gossipsub's message cache had let them go: forwarded by publishing (forwarding.ts). */
  republished: number
  ignored: number
  /** Most transactions any node had queued at once (since it started). */
  highWater: number
}

/**
 * Floods `transactions` from `submitters` (node.submitTransaction, index i at submitter
 * i mod n) until every node's mempool holds all of them, or `timeoutMs`. Closed loop:
 * chunks of `chunk` are submitted while at most `window` are not yet at every node, so the
 * ingress queues stay short (a transaction that waits in a node's queue longer than
 * gossipsub's message cache keeps it, ~5 heartbeats, is admitted there but never forwarded).
 */
export async function floodToEveryMempool(
  nodes: readonly NodeProcess[],
  submitters: readonly number[],
  transactions: readonly Uint8Array[],
  options: { window: number; chunk: number; timeoutMs: number },
): Promise<FloodResult> {
  const before = await Promise.all(nodes.map((node) => node.status()))
  const arrived = async (): Promise<number> => {
    const reports = await Promise.all(nodes.map((node) => node.transactions()))
    return Math.min(...reports.map((r, i) => admittedSince(before[i] as NodeStatus, r)))
  }
  const deadline = performance.now() + options.timeoutMs
  const refused: Record<string, number> = {}
  const calledAt = now()
  let startedAt = Number.POSITIVE_INFINITY
  let endedAt = 0
  let submitUnfinished = false
  for (let sent = 0; sent < transactions.length && performance.now() < deadline; ) {
    const chunk = transactions.slice(sent, sent + options.chunk)
    const submitted = Promise.all(
      submitters.map((node, s) =>
        (nodes[node] as NodeProcess).submit(
          chunk.filter((_, i) => (sent + i) % submitters.length === s),
          // The window ends the measurement, not the submitter's own admission.
          { timeoutMs: options.timeoutMs + SUBMIT_GRACE_MS },
        ),
      ),
    )
    submitted.catch(() => {})
    const reports = await Promise.race([submitted, sleep(deadline - performance.now()).then(() => undefined)])
    if (reports === undefined) {
      // Still admitting at the deadline: what arrived by then is the result.
      submitUnfinished = true
      break
    }
    for (const report of reports) {
      startedAt = Math.min(startedAt, report.startedAt)
      endedAt = Math.max(endedAt, report.endedAt)
      for (const [code, count] of Object.entries(report.failed)) refused[code] = (refused[code] ?? 0) + count
    }
    sent += chunk.length
    if (sent < transactions.length) {
      await until(async () => (await arrived()) >= sent - options.window, deadline - performance.now(), 100)
    }
  }
  await until(
    async () => (await arrived()) >= transactions.length,
    Math.max(0, deadline - performance.now()),
    250,
  )
  const ids = transactionIds(transactions)
  const reports = await Promise.all(nodes.map((node) => node.transactions({ arrivals: true, ids })))
  const after = await Promise.all(nodes.map((node) => node.status()))
  let last = 0
  for (const report of reports) for (const [, at] of report.arrivals ?? []) last = Math.max(last, at)
  return {
    transactions: transactions.length,
    submitMs: submitUnfinished ? options.timeoutMs : endedAt - startedAt,
    submitUnfinished,
    everywhereMs: last - (submitUnfinished ? calledAt : startedAt),
    nodesWithAll: reports.filter((r) => r.pending === ids.length).length,
    missing: reports.reduce((sum, r) => sum + ids.length - (r.pending ?? 0), 0),
    refused,
    ...sheddingSince(before, after),
  }
}

/**
 * The warm case: per body, its transactions flooded from `submitters` until every node's
 * mempool holds them all (floodToEveryMempool), then a block of exactly them built, mined
 * and announced at `origin`, measured as blockLatency does.
 */
export async function warmBlockLatency(
  nodes: readonly NodeProcess[],
  origin: number,
  submitters: readonly number[],
  bodies: ReadonlyArray<readonly Uint8Array[]>,
  options: {
    window: number
    chunk: number
    floodTimeoutMs: number
    timeoutMs: number
    gapMs: number
    /** After the flood, before the block: gossipsub's gossip about the flood dies down (its message cache spans ~5 heartbeats). */
    settleMs: number
    onFlood?: (flood: FloodResult) => void
  },
): Promise<BlockLatencyResult & { floods: FloodResult[] }> {
  const rounds: BlockRound[] = []
  const floods: FloodResult[] = []
  for (const body of bodies) {
    const flood = await floodToEveryMempool(nodes, submitters, body, {
      window: options.window,
      chunk: options.chunk,
      timeoutMs: options.floodTimeoutMs,
    })
    floods.push(flood)
    options.onFlood?.(flood)
    await sleep(options.settleMs)
    rounds.push(await blockRound(nodes, origin, body, options.timeoutMs))
    await sleep(options.gapMs)
  }
  return { ...blockResult(rounds), floods }
}

/**
 * `accounts.length` rounds: one transaction (from its own account) submitted at a node
 * (round robin over the network), per-node mempool arrival minus the submit call.
 */
export async function transactionLatency(
  nodes: readonly NodeProcess[],
  chainId: string,
  accounts: readonly BulkAccount[],
  gapMs: number,
): Promise<LatencyResult> {
  const sent: Array<{ origin: number; id: string }> = []
  for (const [round, account] of accounts.entries()) {
    const origin = (round * 7) % nodes.length
    const encoded = bulkTransfers(chainId, [account])[0] as Uint8Array
    const report = await (nodes[origin] as NodeProcess).submit([encoded])
    if (report.submitted !== 1) throw new Error(`transaction refused: ${JSON.stringify(report.failed)}`)
    sent.push({ origin, id: toHex(txHash(decodeTransaction(encoded))) })
    await sleep(gapMs)
  }
  await sleep(500)
  const ids = sent.map((s) => s.id)
  const reports = await Promise.all(nodes.map((node) => node.transactions({ arrivals: true, ids })))
  const maps = reports.map((r) => new Map(r.arrivals))
  const samples: number[] = []
  const perRound: number[] = []
  let missing = 0
  for (const { origin, id } of sent) {
    const submittedAt = maps[origin]?.get(id) as number
    let slowest = 0
    maps.forEach((map, index) => {
      if (index === origin) return
      const at = map.get(id)
      if (at === undefined) {
        missing++
        return
      }
      samples.push(at - submittedAt)
      slowest = Math.max(slowest, at - submittedAt)
    })
    perRound.push(slowest)
  }
  return latency(samples, perRound, missing)
}

export interface ThroughputStep {
  offeredPerSecond: number
  /** What the submitters achieved (their own mempools took them). */
  submittedPerSecond: number
  seconds: number
  submitted: number
  refused: Record<string, number>
  /** Transactions that reached every node's mempool (by the end of the drain). */
  complete: number
  /** Per whole second of the window after the ramp-up: transactions whose last node admitted them in it. */
  perSecond: number[]
  medianPerSecond: number
  /** Submit to last node, for the complete ones: p50 / p99, ms. */
  toAllP50: number
  toAllP99: number
  /** Summed over the nodes, during the step. */
  laneDropped: number
  throttled: number
  laneProcessed: number
  /** Transaction verdicts Ignore (throttled, dropped, mempool full, already pending). */
  ignored: number
  /** Most transactions any node had queued at once (since it started). */
  highWater: number
  /** Sustained: ≥ 99% complete, the median second ≥ 90% of the offered rate, submitters kept up. */
  sustained: boolean
}

/**
 * One step at `ratePerSecond`: the submitters (node indexes) each submit their share of
 * `transactions` at `ratePerSecond / submitters.length`; then, for up to `drainMs`, the
 * backlog drains. A transaction completes when its last node admits it; its submission
 * time is the submitting node's own record.
 */
export async function throughputStep(
  nodes: readonly NodeProcess[],
  submitters: readonly number[],
  transactions: readonly Uint8Array[],
  ratePerSecond: number,
  drainMs: number,
  skipSeconds: number,
): Promise<ThroughputStep> {
  const before = await Promise.all(nodes.map((node) => node.status()))
  const shares = submitters.map((_, i) => transactions.filter((_, index) => index % submitters.length === i))
  const started = now()
  const reports = await Promise.all(
    submitters.map((index, i) =>
      (nodes[index] as NodeProcess).submit(shares[i] as readonly Uint8Array[], {
        ratePerSecond: ratePerSecond / submitters.length,
        timeoutMs: 600_000,
      }),
    ),
  )
  const ended = Math.max(...reports.map((r) => r.endedAt))
  const refused: Record<string, number> = {}
  let submitted = 0
  for (const report of reports) {
    submitted += report.submitted
    for (const [code, count] of Object.entries(report.failed)) refused[code] = (refused[code] ?? 0) + count
  }
  // The backlog: until every mempool has grown by what was submitted, or drainMs.
  await until(
    async () => {
      const sizes = await Promise.all(nodes.map((node) => node.status()))
      return sizes.every((s, i) => (s.mempool?.size ?? 0) >= (before[i]?.mempool?.size ?? 0) + submitted)
    },
    drainMs,
    250,
  )
  const after = await Promise.all(nodes.map((node) => node.status()))
  const ids = transactionIds(transactions)
  const reportsById = await Promise.all(nodes.map((node) => node.transactions({ arrivals: true, ids })))
  const maps = reportsById.map((r) => new Map(r.arrivals))
  const completions: number[] = []
  const toAll: number[] = []
  ids.forEach((id, index) => {
    const origin = submitters[index % submitters.length] as number
    const submittedAt = maps[origin]?.get(id)
    if (submittedAt === undefined) return
    let last = 0
    for (const map of maps) {
      const at = map.get(id)
      if (at === undefined) return
      last = Math.max(last, at)
    }
    completions.push(last)
    toAll.push(last - submittedAt)
  })
  const perSecond: number[] = []
  for (let from = started + skipSeconds * 1000; from + 1000 <= ended; from += 1000) {
    perSecond.push(completions.filter((t) => t >= from && t < from + 1000).length)
  }
  const delta = (pick: (s: NodeStatus) => number) =>
    after.reduce((sum, s, i) => sum + pick(s) - pick(before[i] as NodeStatus), 0)
  const seconds = (ended - started) / 1000
  const medianPerSecond = perSecond.length > 0 ? median(perSecond) : Number.NaN
  const submittedPerSecond = submitted / seconds
  return {
    offeredPerSecond: ratePerSecond,
    submittedPerSecond,
    seconds,
    submitted,
    refused,
    complete: completions.length,
    perSecond,
    medianPerSecond,
    toAllP50: percentile(toAll, 50),
    toAllP99: percentile(toAll, 99),
    laneDropped: delta((s) => s.gossip.lanes.transactions.dropped),
    throttled: delta((s) => s.gossip.throttled),
    laneProcessed: delta((s) => s.gossip.lanes.transactions.processed),
    ignored: delta((s) => s.gossip.verdicts.transactions.ignore),
    highWater: Math.max(...after.map((s) => s.gossip.lanes.transactions.highWater)),
    sustained:
      completions.length >= 0.99 * transactions.length &&
      medianPerSecond >= 0.9 * ratePerSecond &&
      submittedPerSecond >= 0.9 * ratePerSecond,
  }
}

export interface ThroughputResult {
  steps: ThroughputStep[]
  /** The highest offered rate that was sustained (NaN if none was). */
  sustainedPerSecond: number
  /** The median per second delivered everywhere in the first step that was not sustained (saturated). */
  saturatedPerSecond: number
}

/**
 * Steps at rates doubling from `firstRate` (each `stepSeconds` long, on fresh transactions
 * taken from `transactions`), until a step is not sustained or `maxRate` is passed.
 */
export async function throughputSearch(
  nodes: readonly NodeProcess[],
  submitters: readonly number[],
  transactions: readonly Uint8Array[],
  options: {
    firstRate: number
    maxRate: number
    stepSeconds: number
    drainMs: number
    onStep?: (step: ThroughputStep) => void
  },
): Promise<ThroughputResult> {
  const steps: ThroughputStep[] = []
  let offset = 0
  for (let rate = options.firstRate; rate <= options.maxRate; rate *= 2) {
    const count = rate * options.stepSeconds
    if (offset + count > transactions.length) break
    const step = await throughputStep(
      nodes,
      submitters,
      transactions.slice(offset, offset + count),
      rate,
      options.drainMs,
      1,
    )
    offset += count
    steps.push(step)
    options.onStep?.(step)
    if (!step.sustained) break
  }
  const sustained = steps.filter((s) => s.sustained).map((s) => s.offeredPerSecond)
  return {
    steps,
    sustainedPerSecond: sustained.length > 0 ? Math.max(...sustained) : Number.NaN,
    saturatedPerSecond: steps.find((s) => !s.sustained)?.medianPerSecond ?? Number.NaN,
  }
}

/** Transactions the search needs at most: every step's rate × its seconds. */
export function throughputBudget(firstRate: number, maxRate: number, stepSeconds: number): number {
  let total = 0
  for (let rate = firstRate; rate <= maxRate; rate *= 2) total += rate * stepSeconds
  return total
}

/**
 * Transfers for `rounds` blocks of `perBlock` from `accounts`, every account the same
 * number per block (so each block continues every account's nonces).
 */
export function blockBodies(
  chainId: string,
  accounts: readonly BulkAccount[],
  perBlock: number,
  rounds: number,
  to: Address = new Uint8Array(32).fill(9),
): Uint8Array[][] {
  const perAccount = perBlock / accounts.length
  if (!Number.isInteger(perAccount)) throw new RangeError('perBlock must be a multiple of the accounts')
  return Array.from({ length: rounds }, (_, round) =>
    bulkTransfers(chainId, accounts, {
      count: perBlock,
      perAccount,
      firstNonce: BigInt(round * perAccount),
      to,
    }),
  )
}
