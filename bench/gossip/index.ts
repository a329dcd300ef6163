/**
 * Gossip propagation on a loopback network of PAW nodes, one process each
 * (test/support/node-process.ts), in a sparse topology (each node dials 2–3 others):
 *
 * - delivery latency of a ~1 MiB block (6,896 transfers + coinbase) from its announcer to
 *   every node: per-node arrival (validated and added) minus the announce call, p50/p99
 *   over all node × round samples, in two cases:
 *   - cold: transfers no node has seen, so every node verifies all 6,896 signatures;
 *   - warm (what a live network mostly sees): the transfers were submitted first at the
 *     throughput phase's nodes and flooded until every node's mempool held all of them (how
 *     long that took is reported; closed loop, at most --flood-window not yet everywhere,
 *     see floodToEveryMempool), then the block of exactly those transfers is announced;
 *     every node found their signatures valid when they entered its mempool, so its
 *     signature cache (src/chain/signing.ts) answers for them.
 *   Both report each receiving node's signature checks (verified vs cache hits) and CPU
 *   time during the block, and the CPU time of all the processes together;
 * - delivery latency of single transactions (152 bytes: PAW's encoding) to every node's
 *   mempool, p50/p99 likewise;
 * - transactions per second sustained network-wide: four nodes submit at a steady total
 *   rate, in steps of a few seconds at rates doubling from 50/s; a transaction counts in
 *   the second its last node admitted it; a step is sustained if ≥ 99% reached every
 *   mempool and the median second carried ≥ 90% of the rate; the result is the highest
 *   sustained rate, and what the first unsustained (saturated) step still delivered
 *   everywhere per second, with each step's drop and throttle counters;
 * - baselines in the same run and processes, with no PAW code: a raw libp2p stream (TCP,
 *   Noise, yamux; one hop) carrying 1 MiB, and raw gossipsub (same options, a validator
 *   that accepts everything at once) on the same topology carrying 1 MiB and 152 bytes.
 *   The ratios PAW / raw gossipsub show what PAW adds (mostly validation at every hop).
 *
 * Every node runs on the same machine: with 20 nodes on a few cores, CPU-bound work
 * (signature checks at every node) is serialised in a way a real network's is not, so the
 * block and throughput figures are lower bounds for a network of separate machines: every
 * node validates the same block at about the same time, so its delivery takes at least the
 * CPU time of all the processes together divided by the cores.
 *
 * - compact block relay (protocols/compact-blocks.md) against raw gossipsub of the whole
 *   block, in the same run: a 1 MiB block whose transactions every mempool holds, time to
 *   every node p50/p99 and bytes each node sent per block (compact.ts); `--only compact`
 *   runs this alone.
 * - a transaction burst (burst.ts): --burst transactions (10,000) submitted at once at one
 *   node, no pacing or re-publishing by the harness; how long until every mempool holds
 *   every one (or how much arrived by --burst-timeout-s); `--only burst` runs this alone.
 *
 *   npm run bench:gossip [-- --json] [-- --nodes 20 --block-rounds 3 --warm-rounds 2 --tps-first-rate 50 --tps-max-rate 800]
 *   npm run bench:gossip -- --only compact [--compact-rounds 3]
 *   npm run bench:gossip -- --only burst [--burst 10000 --burst-timeout-s 300]
 *
 * Exits non-zero if a block or transaction (a flooded one included) fails to reach every
 * node, or after --timeout-s.
 */
import { parseArgs } from 'node:util'
import { TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { testChainParams } from '../../test/support/chain-nodes.ts'
import {
  bulkAccounts,
  bulkTransfers,
  connectEdges,
  connectRawEdges,
  hopDistances,
  killNodeProcesses,
  type NodeProcess,
  now,
  sparseEdges,
  startNodeProcesses,
  stopNodeProcesses,
} from '../../test/support/node-process.ts'
import { machine, positiveInteger, round, table } from '../report.ts'
import { median } from '../stats.ts'
import { type BurstResult, burstLine, transactionBurst } from './burst.ts'
import { type CompactRound, compactRelay, type RelayResult, rawRelay } from './compact.ts'
import { compactLines } from './compact-report.ts'
import {
  type BlockLatencyResult,
  blockBodies,
  blockLatency,
  type FloodResult,
  type LatencyResult,
  percentile,
  rawGossipLatency,
  rawStreamTimes,
  type ThroughputResult,
  type ThroughputStep,
  throughputBudget,
  throughputSearch,
  transactionLatency,
  warmBlockLatency,
} from './measure.ts'

/** 157 + 152 × (6,896 + 1) = 1,048,501 bytes: the largest block within 1 MiB. */
const BLOCK_TRANSFERS = 6_896
const TRANSFERS_PER_ACCOUNT = 4
const MIB = 1024 * 1024

/** Raw gossipsub of 1 MiB, then compact relay of 1 MiB blocks whose transactions every mempool holds, in one run. */
async function compactPhase(
  nodes: readonly NodeProcess[],
  origin: number,
  bodies: ReadonlyArray<readonly Uint8Array[]>,
  log: (line: string) => void,
): Promise<{ raw: RelayResult; paw: CompactRound; fillMs: number[] }> {
  const raw = await rawRelay(nodes, origin, MIB, Math.max(5, bodies.length), 2_000_000)
  log('raw gossipsub 1 MiB (time and bytes) done')
  const fillMs: number[] = []
  const paw = await compactRelay(nodes, origin, bodies, {
    fill: true,
    settleMs: 3_000,
    onFill: (ms) => {
      fillMs.push(ms)
      log(
        `every mempool holds the next block's ${BLOCK_TRANSFERS} transactions (${(ms / 1000).toFixed(1)} s)`,
      )
    },
  })
  log('compact relay done')
  return { raw, paw, fillMs }
}

/** A burst of transactions at one node, until every mempool holds them (burst.ts). */
async function burstPhase(
  nodes: readonly NodeProcess[],
  origin: number,
  transactions: readonly Uint8Array[],
  timeoutS: number,
  log: (line: string) => void,
): Promise<BurstResult> {
  const burst = await transactionBurst(nodes, origin, transactions, {
    timeoutMs: timeoutS * 1000,
    onProgress: (seconds, share) =>
      log(
        `burst of ${transactions.length}: ${(100 * share).toFixed(1)}% of node x transaction after ${seconds} s`,
      ),
  })
  log('transaction burst done')
  return burst
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 100 ? 1 : 0) : '-')
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      nodes: { type: 'string', default: '20' },
      seed: { type: 'string', default: '7' },
      'block-rounds': { type: 'string', default: '3' },
      // Each warm round floods 6,896 transactions first: ~35-50 s at the ~150-200 tx/s this
      // harness carries to every node on 2 cores.
      'warm-rounds': { type: 'string', default: '2' },
      'flood-window': { type: 'string', default: '300' },
      'flood-chunk': { type: 'string', default: '100' },
      'tx-rounds': { type: 'string', default: '30' },
      'raw-rounds': { type: 'string', default: '9' },
      'tps-first-rate': { type: 'string', default: '50' },
      'tps-max-rate': { type: 'string', default: '800' },
      'tps-step-seconds': { type: 'string', default: '5' },
      'tps-submitters': { type: 'string', default: '4' },
      'timeout-s': { type: 'string', default: '900' },
      only: { type: 'string', default: '' },
      'compact-rounds': { type: 'string', default: '3' },
      burst: { type: 'string', default: '10000' },
      'burst-timeout-s': { type: 'string', default: '300' },
    },
  })
  const compactOnly = values.only === 'compact'
  const burstOnly = values.only === 'burst'
  if (values.only !== '' && !compactOnly && !burstOnly)
    throw new RangeError('--only takes "compact" or "burst"')
  const burstSize = positiveInteger(values.burst, '--burst')
  const burstTimeoutS = positiveInteger(values['burst-timeout-s'], '--burst-timeout-s')
  const compactRounds = positiveInteger(values['compact-rounds'], '--compact-rounds')
  const count = positiveInteger(values.nodes, '--nodes', 3)
  const seed = positiveInteger(values.seed, '--seed')
  const blockRounds = positiveInteger(values['block-rounds'], '--block-rounds')
  const warmRounds = positiveInteger(values['warm-rounds'], '--warm-rounds')
  const floodWindow = positiveInteger(values['flood-window'], '--flood-window')
  const floodChunk = positiveInteger(values['flood-chunk'], '--flood-chunk')
  const txRounds = positiveInteger(values['tx-rounds'], '--tx-rounds')
  const rawRounds = positiveInteger(values['raw-rounds'], '--raw-rounds')
  const tpsFirstRate = positiveInteger(values['tps-first-rate'], '--tps-first-rate')
  const tpsMaxRate = positiveInteger(values['tps-max-rate'], '--tps-max-rate')
  const tpsStepSeconds = positiveInteger(values['tps-step-seconds'], '--tps-step-seconds', 3)
  const tpsSubmitters = Math.min(count, positiveInteger(values['tps-submitters'], '--tps-submitters'))
  const timeoutS = positiveInteger(values['timeout-s'], '--timeout-s')
  const watchdog = setTimeout(() => {
    console.error(`bench/gossip: no result within ${timeoutS} s, giving up`)
    killNodeProcesses()
    process.exit(1)
  }, timeoutS * 1000)

  const environment = machine()
  const started = now()
  const log = (line: string) => {
    if (!values.json) console.error(`[${((now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`)
  }

  // Test data, signed before the nodes start (it competes for the same cores).
  const blockAccounts = bulkAccounts(BLOCK_TRANSFERS / TRANSFERS_PER_ACCOUNT, 'bench-gossip-block')
  // Same shape as the cold blocks (4 transfers per sender). Flooded in body order (every
  // sender's first, then every sender's second, …), so a sender's next nonce follows its
  // previous one by 1,724 transactions, long after that one reached every node.
  const warmBlockAccounts = bulkAccounts(BLOCK_TRANSFERS / TRANSFERS_PER_ACCOUNT, 'bench-gossip-warm-block')
  const compactAccounts = bulkAccounts(BLOCK_TRANSFERS / TRANSFERS_PER_ACCOUNT, 'bench-gossip-compact')
  const warmAccounts = bulkAccounts(100, 'bench-gossip-warm')
  const txAccounts = bulkAccounts(txRounds, 'bench-gossip-tx')
  const burstAccounts = bulkAccounts(Math.ceil(burstSize / TRANSFERS_PER_ACCOUNT), 'bench-gossip-burst')
  const tpsAccounts = bulkAccounts(
    throughputBudget(tpsFirstRate, tpsMaxRate, tpsStepSeconds),
    'bench-gossip-tps',
  )
  const params = testChainParams(
    [
      ...blockAccounts,
      ...warmBlockAccounts,
      ...compactAccounts,
      ...warmAccounts,
      ...txAccounts,
      ...burstAccounts,
      ...tpsAccounts,
    ],
    'paw-bench',
  )
  const { chainId } = params
  const bodies = blockBodies(chainId, blockAccounts, BLOCK_TRANSFERS, blockRounds)
  const warmBlockBodies = blockBodies(chainId, warmBlockAccounts, BLOCK_TRANSFERS, warmRounds)
  const warmBody = bulkTransfers(chainId, warmAccounts)
  const compactBodies = blockBodies(chainId, compactAccounts, BLOCK_TRANSFERS, compactRounds)
  const tpsTransactions = bulkTransfers(chainId, tpsAccounts)
  // Every sender's first, then every sender's second, …: a burst from many wallets at once.
  const burstTransactions = bulkTransfers(chainId, burstAccounts, {
    perAccount: TRANSFERS_PER_ACCOUNT,
    count: burstSize,
  })
  log(
    `signed ${(bodies.length + warmBlockBodies.length) * BLOCK_TRANSFERS + warmBody.length + tpsTransactions.length} transactions`,
  )

  let nodes: NodeProcess[] = []
  let results:
    | {
        rawStream: number[]
        rawBlock: LatencyResult
        rawTx: LatencyResult
        pawTx: LatencyResult
        pawBlock: BlockLatencyResult
        pawWarmBlock: BlockLatencyResult & { floods: FloodResult[] }
        tps: ThroughputResult
        rss: number[]
        burst: BurstResult
        compact: Awaited<ReturnType<typeof compactPhase>>
      }
    | undefined
  const edges = sparseEdges(count, seed)
  const origin = 0
  const distances = hopDistances(count, edges, origin)
  const diameter = Math.max(
    ...Array.from({ length: count }, (_, i) => Math.max(...hopDistances(count, edges, i))),
  )
  try {
    nodes = await startNodeProcesses(count, (index) => ({
      params,
      name: `g${index}`,
      // Room for the throughput phase's transactions in every mempool.
      mempool: { maxCount: 200_000 },
      // The node's default, said here: the compact phase measures compact relay.
      compactBlocks: true,
    }))
    log(`started ${count} node processes`)
    await connectEdges(nodes, edges)
    const rawAddresses = await Promise.all(nodes.map((node) => node.rawStart()))
    await connectRawEdges(nodes, rawAddresses, edges)
    // Meshes graft on subscription or at the next heartbeat (1 s).
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    log(`connected ${edges.length} edges (PAW and raw)`)

    // Warm-up, not measured: the first of each kind of message through every node.
    await rawGossipLatency(nodes, origin, MIB, 1, 1_000_000, 200)
    await rawGossipLatency(nodes, origin, TRANSACTION_LENGTH, 1, 1_000_001, 100)
    await blockLatency(nodes, origin, [warmBody], 60_000, 200)
    log('warmed up')
    if (burstOnly) {
      const burst = await burstPhase(nodes, origin, burstTransactions, burstTimeoutS, log)
      console.log(values.json ? JSON.stringify({ ...environment, nodes: count, burst }) : burstLine(burst))
      await stopNodeProcesses(nodes)
      clearTimeout(watchdog)
      if (burst.delivered < burst.expected) throw new Error('the burst did not reach every mempool')
      return
    }
    if (compactOnly) {
      const compact = await compactPhase(nodes, origin, compactBodies, log)
      const seconds = (now() - started) / 1000
      for (const line of compactLines(compact, {
        environment,
        count,
        edges: edges.length,
        diameter,
        seconds,
        json: values.json,
      }))
        console.log(line)
      await stopNodeProcesses(nodes)
      clearTimeout(watchdog)
      if (compact.raw.missing + compact.paw.relay.missing > 0) throw new Error('deliveries never arrived')
      return
    }

    const rawStream = await rawStreamTimes(
      nodes[origin] as NodeProcess,
      rawAddresses[1] as string,
      MIB,
      rawRounds,
    )
    const rawBlock = await rawGossipLatency(nodes, origin, MIB, Math.max(blockRounds, 5), 0, 300)
    const rawTx = await rawGossipLatency(nodes, origin, TRANSACTION_LENGTH, txRounds, 1_000, 100)
    log('raw baselines done')
    const pawTx = await transactionLatency(nodes, chainId, txAccounts, 150)
    log('transaction latency done')
    const pawBlock = await blockLatency(nodes, origin, bodies, 120_000, 500)
    log('block latency (cold) done')
    const submitters = Array.from({ length: tpsSubmitters }, (_, i) =>
      Math.floor((i * count) / tpsSubmitters),
    )
    const pawWarmBlock = await warmBlockLatency(nodes, origin, submitters, warmBlockBodies, {
      window: floodWindow,
      chunk: floodChunk,
      floodTimeoutMs: 150_000,
      timeoutMs: 120_000,
      gapMs: 500,
      settleMs: 3_000,
      onFlood: (flood) =>
        log(
          flood.missing === 0
            ? `flooded ${flood.transactions} transactions: in every mempool after ${(flood.everywhereMs / 1000).toFixed(1)} s`
            : `flooded ${flood.transactions} transactions: NOT in every mempool (${flood.missing} node x tx missing; ` +
                `last arrival after ${(flood.everywhereMs / 1000).toFixed(1)} s)`,
        ),
    })
    log('block latency (warm) done')
    const tps = await throughputSearch(nodes, submitters, tpsTransactions, {
      firstRate: tpsFirstRate,
      maxRate: tpsMaxRate,
      stepSeconds: tpsStepSeconds,
      drainMs: 8_000,
      onStep: (step) =>
        log(`throughput step ${step.offeredPerSecond}/s: ${step.sustained ? '' : 'not '}sustained`),
    })
    log('throughput done')
    const burst = await burstPhase(nodes, origin, burstTransactions, burstTimeoutS, log)
    const compact = await compactPhase(nodes, origin, compactBodies, log)
    const statuses = await Promise.all(nodes.map((node) => node.status()))
    results = {
      rawStream,
      rawBlock,
      rawTx,
      pawTx,
      pawBlock,
      pawWarmBlock,
      tps,
      rss: statuses.map((s) => s.memory.rss),
      burst,
      compact,
    }
  } finally {
    await stopNodeProcesses(nodes)
  }
  clearTimeout(watchdog)
  const seconds = (now() - started) / 1000
  const { rawStream, rawBlock, rawTx, pawTx, pawBlock, pawWarmBlock, tps, rss, burst, compact } = results
  const compactReport = compactLines(compact, {
    environment,
    count,
    edges: edges.length,
    diameter,
    seconds,
    json: values.json,
  })
  const signatureChecks = (r: BlockLatencyResult) => ({
    verifiedMedian: median(r.work.map((c) => c.verified)),
    verifiedMax: Math.max(...r.work.map((c) => c.verified)),
    cachedMedian: median(r.work.map((c) => c.cached)),
    cachedMin: Math.min(...r.work.map((c) => c.cached)),
  })
  const cpu = (r: BlockLatencyResult) => ({
    perReceivingNodeMedianMs: round(median(r.work.map((c) => c.cpuMs)), 0),
    allNodesPerRoundMs: r.totalCpuMs.map((v) => round(v, 0)),
  })

  if (values.json) {
    const pick = (r: LatencyResult) => ({
      p50: round(r.p50, 2),
      p99: round(r.p99, 2),
      samples: r.samples.length,
      missing: r.missing,
      rounds: r.rounds.map((v) => round(v, 1)),
    })
    console.log(
      JSON.stringify(
        {
          ...environment,
          unit: 'ms unless named; latencies are per node and round: arrival minus announce / submit / publish',
          nodes: count,
          edges: edges.length,
          diameter,
          originEccentricity: Math.max(...distances),
          seconds: round(seconds, 1),
          rawStream1MiB: { median: round(median(rawStream), 2), rounds: rawStream.map((v) => round(v, 2)) },
          rawGossip1MiB: pick(rawBlock),
          pawBlockCold: {
            ...pick(pawBlock),
            bytes: pawBlock.bytes,
            transactions: pawBlock.transactions,
            announcerAddMs: pawBlock.announcerAddMs.map((v) => round(v, 1)),
            validationMedianMs: round(median(pawBlock.validationMs), 1),
            signatureChecksPerNode: signatureChecks(pawBlock),
            cpu: cpu(pawBlock),
            ratioP50: round(pawBlock.p50 / rawBlock.p50, 2),
          },
          pawBlockWarm: {
            ...pick(pawWarmBlock),
            bytes: pawWarmBlock.bytes,
            transactions: pawWarmBlock.transactions,
            announcerAddMs: pawWarmBlock.announcerAddMs.map((v) => round(v, 1)),
            validationMedianMs: round(median(pawWarmBlock.validationMs), 1),
            signatureChecksPerNode: signatureChecks(pawWarmBlock),
            cpu: cpu(pawWarmBlock),
            ratioP50: round(pawWarmBlock.p50 / rawBlock.p50, 2),
            floods: pawWarmBlock.floods.map((f) => ({
              ...f,
              submitMs: round(f.submitMs, 0),
              everywhereMs: round(f.everywhereMs, 0),
            })),
          },
          rawGossip152B: pick(rawTx),
          pawTransaction: { ...pick(pawTx), ratioP50: round(pawTx.p50 / rawTx.p50, 2) },
          throughput: tps,
          burst,
          rssMiBMedian: round(median(rss) / 2 ** 20, 0),
          compact: JSON.parse(compactReport.join('\n')),
        },
        null,
        2,
      ),
    )
  } else {
    const header =
      `gossip bench | node ${environment.node} | ${environment.cpu} (${environment.cores} cores, ` +
      `${environment.memoryGiB} GiB) | load avg ${environment.loadAverageAtStart} at start | ${environment.date} | ` +
      `${count} processes, loopback TCP, sparse (${edges.length} edges, diameter ${diameter}, ` +
      `announcer eccentricity ${Math.max(...distances)}) | ${seconds.toFixed(0)} s`
    const rows = [
      ['case', 'p50 ms', 'p99 ms', 'samples', 'p50 ratio'],
      [
        'raw libp2p stream, 1 MiB, one hop (+ 1-byte ack)',
        ms(median(rawStream)),
        '-',
        `${rawStream.length}`,
        '-',
      ],
      [
        'raw gossipsub, 1 MiB, announcer -> every node',
        ms(rawBlock.p50),
        ms(rawBlock.p99),
        `${rawBlock.samples.length}`,
        '1.00x',
      ],
      [
        `PAW block, cold: ${(pawBlock.bytes / 1024).toFixed(0)} KiB (${pawBlock.transactions} tx) no node has seen -> every node`,
        ms(pawBlock.p50),
        ms(pawBlock.p99),
        `${pawBlock.samples.length}`,
        `${(pawBlock.p50 / rawBlock.p50).toFixed(1)}x`,
      ],
      [
        `PAW block, warm: ${(pawWarmBlock.bytes / 1024).toFixed(0)} KiB (${pawWarmBlock.transactions} tx) all in every mempool -> every node`,
        ms(pawWarmBlock.p50),
        ms(pawWarmBlock.p99),
        `${pawWarmBlock.samples.length}`,
        `${(pawWarmBlock.p50 / rawBlock.p50).toFixed(1)}x`,
      ],
      [
        'raw gossipsub, 152 B -> every node',
        ms(rawTx.p50),
        ms(rawTx.p99),
        `${rawTx.samples.length}`,
        '1.00x',
      ],
      [
        'PAW transaction, 152 B -> every mempool',
        ms(pawTx.p50),
        ms(pawTx.p99),
        `${pawTx.samples.length}`,
        `${(pawTx.p50 / rawTx.p50).toFixed(1)}x`,
      ],
    ]
    console.log(header)
    for (const line of table(rows)) console.log(line)
    const blockLine = (label: string, r: BlockLatencyResult) => {
      const checks = signatureChecks(r)
      return (
        `${label}: announcer's own validation before publishing ${r.announcerAddMs.map(ms).join(', ')} ms; ` +
        `validation at each receiving node (accepted - handed over by gossipsub) median ${ms(median(r.validationMs))} ms, ` +
        `p99 ${ms(percentile(r.validationMs, 99))}; slowest node per round ${r.rounds.map(ms).join(', ')} ms; ` +
        `signatures per receiving node and block: verified median ${checks.verifiedMedian} (max ${checks.verifiedMax}), ` +
        `from the cache median ${checks.cachedMedian} (min ${checks.cachedMin}); CPU time meanwhile: per receiving ` +
        `node median ${ms(median(r.work.map((c) => c.cpuMs)))} ms, all ${count} processes together ` +
        `${r.totalCpuMs.map((v) => (v / 1000).toFixed(1)).join(', ')} s per round (${environment.cores} cores)` +
        (r.missing > 0 ? `; ${r.missing} arrivals missing` : '')
      )
    }
    console.log(
      blockLine(
        `PAW block, cold (every node verifies all ${pawBlock.transactions - 1} signatures)`,
        pawBlock,
      ),
    )
    console.log(blockLine('PAW block, warm (its transactions were in every mempool)', pawWarmBlock))
    for (const f of pawWarmBlock.floods) {
      console.log(
        `  before the warm block: ${f.transactions} transactions submitted at ${tpsSubmitters} nodes (chunks of ${floodChunk}, ` +
          `at most ${floodWindow} not yet everywhere) in ${(f.submitMs / 1000).toFixed(1)} s, ` +
          (f.missing === 0
            ? `in every mempool after ${(f.everywhereMs / 1000).toFixed(1)} s (${((1000 * f.transactions) / f.everywhereMs).toFixed(0)} tx/s)`
            : `NOT in every mempool: ${f.missing} node x tx MISSING (last arrival after ${(f.everywhereMs / 1000).toFixed(1)} s)`) +
          `; nodes holding all ${f.nodesWithAll}/${count}` +
          (Object.keys(f.refused).length > 0 ? `, refused ${JSON.stringify(f.refused)}` : '') +
          `; lane dropped ${f.laneDropped}, throttled ${f.throttled}, ignored ${f.ignored}, high water ${f.highWater}`,
      )
    }
    console.log(
      `raw gossipsub 1 MiB: slowest node per round ${rawBlock.rounds.map(ms).join(', ')} ms; ` +
        `raw stream rounds ${rawStream.map(ms).join(', ')} ms`,
    )
    console.log(
      `PAW transactions are ${TRANSACTION_LENGTH} bytes (the issue's 250 B is not PAW's encoding); ` +
        `slowest node per round: median ${ms(median(pawTx.rounds))} ms` +
        (pawTx.missing > 0 ? `; ${pawTx.missing} arrivals missing` : ''),
    )
    const step = (t: ThroughputStep) =>
      `  offered ${t.offeredPerSecond}/s at ${tpsSubmitters} nodes: submitted ${t.submitted} in ${t.seconds.toFixed(1)} s ` +
      `(${t.submittedPerSecond.toFixed(0)}/s${Object.keys(t.refused).length > 0 ? `, refused ${JSON.stringify(t.refused)}` : ''}); ` +
      `reached all ${count}: ${t.complete} (${((100 * t.complete) / Math.max(1, t.submitted)).toFixed(1)}%), ` +
      `median ${t.medianPerSecond.toFixed(0)}/s [${t.perSecond.join(' ')}]; submit -> last node p50 ${ms(t.toAllP50)} ms ` +
      `p99 ${ms(t.toAllP99)} ms; lane processed ${t.laneProcessed}, dropped ${t.laneDropped}, throttled ${t.throttled}, ` +
      `ignored ${t.ignored}, high water ${t.highWater} -> ${t.sustained ? 'sustained' : 'NOT sustained'}`
    const rate = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} tx/s` : 'n/a')
    console.log(
      `throughput: ${rate(tps.sustainedPerSecond)} sustained network-wide (highest offered rate with >= 99% reaching all ` +
        `${count} mempools and the median second >= 90% of it); saturated: ${rate(tps.saturatedPerSecond)} delivered ` +
        `everywhere (median second of the first step not sustained); steps of ${tpsStepSeconds} s, rates doubling from ${tpsFirstRate}/s:`,
    )
    for (const t of tps.steps) console.log(step(t))
    console.log(burstLine(burst))
    for (const line of compactReport) console.log(line)
    console.log(
      `RSS per node at the end: median ${(median(rss) / 2 ** 20).toFixed(0)} MiB (max ${(Math.max(...rss) / 2 ** 20).toFixed(0)})`,
    )
  }
  const missing =
    results.pawBlock.missing +
    results.pawWarmBlock.missing +
    results.pawWarmBlock.floods.reduce((sum, f) => sum + f.missing, 0) +
    results.pawTx.missing +
    results.rawBlock.missing +
    results.rawTx.missing +
    results.compact.raw.missing +
    results.compact.paw.relay.missing +
    (results.burst.expected - results.burst.delivered)
  if (missing > 0) throw new Error(`${missing} deliveries never arrived`)
}

try {
  await main()
  process.exit(0)
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  killNodeProcesses()
  process.exit(1)
}
