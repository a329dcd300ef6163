/**
 * The printed table and the JSON line of bench/load (index.ts): each case's medians next
 * to the baselines of the same run, with the per-round figures beside them.
 */
import { round } from '../report.ts'
import { median } from '../stats.ts'
import type { ConnectionResult, PeersResult } from './measure.ts'
import type { ProfileSummary } from './profile-report.ts'
import { RELAY_GOAL, type RelayMeasurement } from './relay.ts'

const MIB = 2 ** 20

export interface Figures {
  connections?: ConnectionResult
  relay?: RelayMeasurement
  peers?: PeersResult
}

/** The printed table: case, figure, baseline, ratio, per-round figures. */
export function rows(figures: Figures): string[][] {
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
  if (r !== undefined) out.push(...relayRows(r))
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

export function json(
  figures: Figures,
  environment: Record<string, unknown>,
  options: Record<string, unknown>,
  profile?: ProfileSummary,
) {
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
    relay: r && relayJson(r, profile),
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

/** The goal's ratio: the median of the per-round ratios, and the ratio of the medians. */
export function relayGoal(r: RelayMeasurement) {
  const ratio = median(r.goalRatio)
  const paw = median(r.paw.cpuUsPerMessage)
  const gossip = median(r.gossip.cpuUsPerMessage)
  const verify = median(r.verifyUs)
  return { ratio, ratioOfMedians: paw / (gossip + verify), met: ratio <= RELAY_GOAL, paw, gossip, verify }
}

/** The goal line printed under the table. */
export function relayGoalLine(r: RelayMeasurement): string {
  const g = relayGoal(r)
  return (
    `goal per-transaction relay CPU <= ${RELAY_GOAL}x (raw gossipsub relay + one Ed25519 verify): ` +
    `${g.met ? 'met' : 'NOT met'} (${g.ratio.toFixed(2)}x, median of rounds; ${g.paw.toFixed(1)} us / ` +
    `(${g.gossip.toFixed(1)} + ${g.verify.toFixed(1)}) us = ${g.ratioOfMedians.toFixed(2)}x of the medians)`
  )
}

function relayRows(r: RelayMeasurement): string[][] {
  const list = (values: number[], digits = 0) => values.map((v) => v.toFixed(digits)).join(' ')
  const paw = median(r.paw.perSecond)
  const gossip = median(r.gossip.perSecond)
  const raw = median(r.raw.perSecond)
  const cost = (rounds: { cpuUsPerMessage: number[] }) => median(rounds.cpuUsPerMessage)
  const g = relayGoal(r)
  return [
    [
      '2. messages/s through one node, PAW transactions (A > node > B gossip)',
      `${paw.toFixed(0)} msg/s`,
      `raw gossipsub ${gossip.toFixed(0)}, raw stream ${raw.toFixed(0)}`,
      `${(paw / gossip).toFixed(3)}x gossipsub, ${(paw / raw).toFixed(3)}x stream`,
      list(r.paw.perSecond),
    ],
    [
      '   raw gossipsub relay (accepts at once), 152-byte messages',
      `${gossip.toFixed(0)} msg/s`,
      '-',
      '-',
      list(r.gossip.perSecond),
    ],
    [
      '   raw libp2p stream relay, 152-byte messages',
      `${raw.toFixed(0)} msg/s`,
      '-',
      '-',
      list(r.raw.perSecond),
    ],
    [
      '   node CPU time per message (PAW; raw gossipsub, raw stream)',
      `${cost(r.paw).toFixed(1)} us (${(1e6 / cost(r.paw)).toFixed(0)}/s a core)`,
      `${cost(r.gossip).toFixed(1)} us, ${cost(r.raw).toFixed(1)} us`,
      `${(cost(r.paw) / cost(r.gossip)).toFixed(1)}x gossipsub, ${(cost(r.paw) / cost(r.raw)).toFixed(1)}x stream`,
      list(r.paw.cpuUsPerMessage, 1),
    ],
    [
      '   node CPU time per message, raw gossipsub',
      `${cost(r.gossip).toFixed(1)} us`,
      '-',
      '-',
      list(r.gossip.cpuUsPerMessage, 1),
    ],
    [
      '   node CPU time per message, raw stream',
      `${cost(r.raw).toFixed(1)} us`,
      '-',
      '-',
      list(r.raw.cpuUsPerMessage, 1),
    ],
    [
      '   one Ed25519 verify (node:crypto, a KeyObject per check), CPU',
      `${g.verify.toFixed(1)} us`,
      `wall ${median(r.verifyWallUs).toFixed(1)} us`,
      '-',
      list(r.verifyUs, 1),
    ],
    [
      `   goal: PAW <= ${RELAY_GOAL}x (raw gossipsub + one verify), per round`,
      `${g.ratio.toFixed(2)}x`,
      `${(g.gossip + g.verify).toFixed(1)} us`,
      g.met ? 'met' : 'NOT met',
      list(r.goalRatio, 2),
    ],
    [
      '   node CPU while relaying (PAW; raw gossipsub, raw stream)',
      `${median(r.paw.serverCpu).toFixed(0)} %`,
      `${median(r.gossip.serverCpu).toFixed(0)} %, ${median(r.raw.serverCpu).toFixed(0)} %`,
      '-',
      list(r.paw.serverCpu),
    ],
  ]
}

function relayJson(r: RelayMeasurement, profile: ProfileSummary | undefined) {
  const g = relayGoal(r)
  const rounded = (values: number[], digits: number) => values.map((v) => round(v, digits))
  const share = (ms: number) => (profile === undefined ? 0 : round((100 * ms) / profile.busyMs, 1))
  const top = (field: 'selfMs' | 'totalMs') =>
    [...(profile?.functions ?? [])]
      .sort((a, b) => b[field] - a[field])
      .slice(0, 15)
      .map((f) => ({ name: f.name, self: share(f.selfMs), inclusive: share(f.totalMs) }))
  return {
    unit: 'messages per second arrived at B through the node, median of rounds; CPU in µs of the node per message',
    pawPerSecond: round(median(r.paw.perSecond), 1),
    rawGossipsubPerSecond: round(median(r.gossip.perSecond), 1),
    rawLibp2pPerSecond: round(median(r.raw.perSecond), 1),
    pawOverRawGossipsub: round(median(r.paw.perSecond) / median(r.gossip.perSecond), 4),
    pawOverRawLibp2p: round(median(r.paw.perSecond) / median(r.raw.perSecond), 4),
    rounds: {
      paw: rounded(r.paw.perSecond, 1),
      rawGossipsub: rounded(r.gossip.perSecond, 1),
      raw: rounded(r.raw.perSecond, 1),
    },
    serverCpu: rounded(r.paw.serverCpu, 1),
    rawGossipsubServerCpu: rounded(r.gossip.serverCpu, 1),
    rawServerCpu: rounded(r.raw.serverCpu, 1),
    serverCpuUsPerMessage: {
      paw: round(g.paw, 2),
      rawGossipsub: round(g.gossip, 2),
      raw: round(median(r.raw.cpuUsPerMessage), 2),
      pawRounds: rounded(r.paw.cpuUsPerMessage, 2),
      rawGossipsubRounds: rounded(r.gossip.cpuUsPerMessage, 2),
      rawRounds: rounded(r.raw.cpuUsPerMessage, 2),
    },
    ed25519VerifyUs: {
      cpu: round(g.verify, 2),
      wall: round(median(r.verifyWallUs), 2),
      rounds: rounded(r.verifyUs, 2),
    },
    goal: {
      rule: `PAW µs per transaction <= ${RELAY_GOAL} × (raw gossipsub µs per message + one Ed25519 verify µs)`,
      ratio: round(g.ratio, 3),
      ratioOfMedians: round(g.ratioOfMedians, 3),
      rounds: rounded(r.goalRatio, 3),
      met: g.met,
    },
    pawOverRawStreamCpu: round(g.paw / median(r.raw.cpuUsPerMessage), 2),
    gossipDropped: r.dropped,
    gossipThrottled: r.throttled,
    profile: r.profile && {
      ...r.profile,
      cpuUsPerMessage: round(r.profile.cpuUsPerMessage, 2),
      busyUsPerTx: profile && round((profile.busyMs * 1000) / r.profile.transactions, 1),
      areas: profile?.areas.slice(0, 12).map((a) => ({ area: a.area, self: share(a.selfMs) })),
      topSelf: top('selfMs'),
      topInclusive: top('totalMs'),
    },
  }
}
