/**
 * What bench/sync prints: (a) per case its median rate, CPU per MiB on each side and the
 * rounds, and the same-run ratios as medians of per-round ratios (each PAW round against
 * the raw rounds of the same round); (b) the sync next to the chain's own rate.
 */
import { round, table } from '../report.ts'
import { median } from '../stats.ts'
import type { Round } from './rounds.ts'

const MIB = 1024 * 1024

export interface ThroughputCases {
  tcp: Round[]
  libp2p: Round[]
  /** The raw libp2p stream whose reader also makes each block contiguous. */
  contiguous: Round[]
  paw: Round[]
}

export interface SyncFigures {
  blocks: number
  transfersPerBlock: number
  bytes: number
  syncMs: number
  signaturesVerified: number
  localMs: number
}

const rateOf = (r: Round): number => r.bytes / MIB / (r.ms / 1000)
const cpuPerMiB = (rounds: Round[], side: 'clientCpuMs' | 'serverCpuMs'): number =>
  median(rounds.map((r) => r[side] / (r.bytes / MIB)))

/** Median over rounds of (PAW rate ÷ baseline rate) of the same round. */
export function roundRatio(paw: Round[], baseline: Round[]): number {
  return median(paw.map((p, i) => rateOf(p) / rateOf(baseline[i] as Round)))
}

export function throughputJson(cases: ThroughputCases) {
  const of = (rounds: Round[]) => ({
    miBps: round(median(rounds.map(rateOf)), 1),
    clientCpuMsPerMiB: round(cpuPerMiB(rounds, 'clientCpuMs'), 2),
    serverCpuMsPerMiB: round(cpuPerMiB(rounds, 'serverCpuMs'), 2),
    roundsMs: rounds.map((r) => round(r.ms, 0)),
  })
  return {
    rawTcp: of(cases.tcp),
    rawLibp2p: of(cases.libp2p),
    rawLibp2pContiguous: of(cases.contiguous),
    paw: { ...of(cases.paw), requestsPerRound: cases.paw[0]?.requests },
    pawOverRawLibp2p: round(roundRatio(cases.paw, cases.libp2p), 3),
    pawOverRawLibp2pContiguous: round(roundRatio(cases.paw, cases.contiguous), 3),
    rawLibp2pOverRawTcp: round(roundRatio(cases.libp2p, cases.tcp), 3),
  }
}

export function throughputLines(cases: ThroughputCases): string[] {
  const row = (name: string, rounds: Round[], ratio: string) => [
    name,
    median(rounds.map(rateOf)).toFixed(1),
    cpuPerMiB(rounds, 'clientCpuMs').toFixed(2),
    cpuPerMiB(rounds, 'serverCpuMs').toFixed(2),
    rounds.map((r) => r.ms.toFixed(0)).join(' '),
    ratio,
  ]
  const x = (paw: Round[], baseline: Round[]) => `${roundRatio(paw, baseline).toFixed(2)}x`
  return [
    ...table([
      ['case', 'MiB/s', 'CPU ms/MiB client', 'server', 'rounds (ms)', 'ratio (median per round)'],
      row('raw TCP (node:net), 1 MiB writes', cases.tcp, '-'),
      row(
        'raw libp2p stream (TCP + Noise + yamux), bytes counted',
        cases.libp2p,
        `${x(cases.libp2p, cases.tcp)} raw TCP`,
      ),
      row(
        'raw libp2p stream, each ~1 MiB block made contiguous',
        cases.contiguous,
        `${x(cases.contiguous, cases.libp2p)} raw libp2p`,
      ),
      row(
        '/paw/blocks/1 get_blocks (BlocksProtocol.getBlocks)',
        cases.paw,
        `${x(cases.paw, cases.libp2p)} raw libp2p (goal >= 0.90)`,
      ),
    ]),
    `/paw/blocks/1 against the raw stream that also makes its blocks contiguous: ${x(cases.paw, cases.contiguous)}`,
  ]
}

export function syncJson(figures: SyncFigures) {
  const txs = figures.blocks * figures.transfersPerBlock
  const syncBlocksPerS = figures.blocks / (figures.syncMs / 1000)
  const localBlocksPerS = figures.blocks / (figures.localMs / 1000)
  return {
    blocks: figures.blocks,
    transfersPerBlock: figures.transfersPerBlock,
    bytes: figures.bytes,
    syncMs: round(figures.syncMs, 0),
    signaturesVerifiedDuringSync: figures.signaturesVerified,
    syncBlocksPerS: round(syncBlocksPerS, 1),
    syncTxPerS: round(txs / (figures.syncMs / 1000), 0),
    localMs: round(figures.localMs, 0),
    localBlocksPerS: round(localBlocksPerS, 1),
    localTxPerS: round(txs / (figures.localMs / 1000), 0),
    syncOverLocal: round(syncBlocksPerS / localBlocksPerS, 3),
  }
}

export function syncLines(figures: SyncFigures): string[] {
  const j = syncJson(figures)
  return [
    `(b) full sync with validation: ${figures.blocks} blocks x ${figures.transfersPerBlock} transfers ` +
      `(${(figures.bytes / MIB).toFixed(1)} MiB), cold signature cache (${figures.signaturesVerified} ` +
      'signatures verified during the sync)',
    ...table([
      ['case', 'ms', 'blocks/s', 'tx/s'],
      [
        'syncBlockchain from one peer (headers, bodies, import)',
        j.syncMs.toFixed(0),
        j.syncBlocksPerS.toFixed(1),
        j.syncTxPerS.toFixed(0),
      ],
      [
        'local: decodeBlock + chain.addBlock, no network',
        j.localMs.toFixed(0),
        j.localBlocksPerS.toFixed(1),
        j.localTxPerS.toFixed(0),
      ],
    ]),
    `sync rate / local rate: ${j.syncOverLocal.toFixed(2)}x (network share of sync time ${((1 - j.syncOverLocal) * 100).toFixed(1)}%)`,
  ]
}
