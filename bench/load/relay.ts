/**
 * Case 2 of bench/load, messages through one node, driven from index.ts. Three relays of
 * A > node > B, each A and B connected to the node's process only, each at most `window`
 * messages on their way (windowed.ts), in a rotating order each round so that drift and the
 * neighbours' load fall on all alike:
 *
 * - PAW: signed transfers on the transaction topic, each judged by the node (signature,
 *   state, mempool) before it forwards it;
 * - raw gossipsub (raw-gossip.ts): distinct 152-byte messages through a bare gossipsub
 *   relay that accepts at once;
 * - raw stream: 152-byte messages on a libp2p stream, which the raw listener writes on to B.
 *
 * The node's CPU time per message comes from its own samples (server.ts), the same way for
 * all three. Then, on the round's transactions, one Ed25519 verify's CPU time
 * (verify-cost.ts). Issue 19's goal: PAW ≤ 2 × (raw gossipsub + one verify), per round.
 * With `profile`, one more PAW round runs under the node's CPU profiler (profiler.ts).
 */
import { type BulkAccount, bulkTransfers } from '../../test/support/bulk-sign.ts'
import type { IpcChild } from '../../test/support/ipc-child.ts'
import type { RelayResult } from './loader.ts'
import { counters, cpuMs, type Log, pack, perSecond, serverUntil } from './measure.ts'
import type { CpuWindow, ServerReady } from './server.ts'
import type { VerifyCost } from './verify-cost.ts'

/** Issue 19: per-transaction relay CPU ≤ 2× (raw gossipsub relay + one Ed25519 verify). */
export const RELAY_GOAL = 2

export interface RelayOptions {
  rounds: number
  /** Transactions per PAW round; messages per raw stream round and per raw gossipsub round. */
  messages: number
  rawMessages: number
  gossipMessages: number
  window: number
  /** Where to write the CPU profile of one more PAW round; none without it. */
  profile?: string | undefined
}

/** One relay's rounds: messages per second arrived at B, the node's CPU % and µs per message. */
export interface RelayRounds {
  perSecond: number[]
  serverCpu: number[]
  cpuUsPerMessage: number[]
}

export interface RelayMeasurement {
  paw: RelayRounds
  gossip: RelayRounds
  raw: RelayRounds
  /** CPU time (and wall time) per Ed25519 verify on each round's transactions, µs. */
  verifyUs: number[]
  verifyWallUs: number[]
  /** PAW µs per transaction ÷ (raw gossipsub µs per message + verify µs), per round. */
  goalRatio: number[]
  /** The node's gossip counters after the rounds: nothing may have been dropped or throttled. */
  dropped: number
  throttled: number
  profile?: { file: string; transactions: number; samples: number; cpuUsPerMessage: number }
}

type RelayKind = 'paw' | 'gossip' | 'raw'
const KINDS: readonly RelayKind[] = ['paw', 'gossip', 'raw']

/**
 * The transactions of the relay rounds: `rounds + 1` batches (the first warms up), one more
 * for the profiled round; batch k holds nonce k of every account, so a sender's transactions
 * arrive in nonce order.
 */
export function relayBatches(
  chainId: string,
  accounts: readonly BulkAccount[],
  rounds: number,
  profiled: boolean,
): Uint8Array[] {
  return Array.from({ length: rounds + 1 + (profiled ? 1 : 0) }, (_, batch) =>
    pack(bulkTransfers(chainId, accounts, { firstNonce: BigInt(batch) })),
  )
}

const emptyRounds = (): RelayRounds => ({ perSecond: [], serverCpu: [], cpuUsPerMessage: [] })

export async function measureRelay(
  server: IpcChild,
  loader: IpcChild,
  ready: ServerReady,
  batches: readonly Uint8Array[],
  options: RelayOptions,
  log: Log,
): Promise<RelayMeasurement> {
  await loader.request('relaySetup', { pawAddress: ready.pawAddress, rawAddress: ready.rawAddress })
  await loader.request('rawGossipSetup', { address: ready.rawGossipAddress })
  // gossipsub grafts A and B into the relays' meshes at a heartbeat (1 s).
  await serverUntil(
    server,
    'A and B in the transaction mesh and the raw gossip mesh',
    (c) => c.transactionMesh >= 2 && c.rawGossipMesh >= 2,
  )
  const window = options.window
  const run = (kind: RelayKind, batch: number): Promise<RelayResult> => {
    if (kind === 'paw') {
      return loader.request<RelayResult>('relayRoundPaw', { transactions: batches[batch], window }, 300_000)
    }
    const count = kind === 'gossip' ? options.gossipMessages : options.rawMessages
    const type = kind === 'gossip' ? 'relayRoundGossip' : 'relayRoundRaw'
    return loader.request<RelayResult>(type, { count, window }, 300_000)
  }
  const verify = (batch: number) =>
    server.request<VerifyCost>('verifyCost', { transactions: batches[batch] }, 120_000)
  const measured = async (kind: RelayKind, batch: number) => {
    const r = await run(kind, batch)
    if (r.publishFailures > 0) throw new Error(`${kind}: A failed to publish ${r.publishFailures} messages`)
    const cpu = await server.request<CpuWindow>('cpuBetween', { from: r.startedAt, to: r.endedAt })
    return {
      perSecond: perSecond(r.arrived, r.startedAt, r.endedAt),
      percent: cpu.percent,
      usPerMessage: (cpuMs(cpu) * 1000) / r.arrived,
      arrived: r.arrived,
    }
  }
  for (const kind of KINDS) await run(kind, 0)
  await verify(0)
  log('relay: warmed up')
  const result: RelayMeasurement = {
    paw: emptyRounds(),
    gossip: emptyRounds(),
    raw: emptyRounds(),
    verifyUs: [],
    verifyWallUs: [],
    goalRatio: [],
    dropped: 0,
    throttled: 0,
  }
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < KINDS.length; i++) {
      const kind = KINDS[(round + i) % KINDS.length] as RelayKind
      const m = await measured(kind, round + 1)
      result[kind].perSecond.push(m.perSecond)
      result[kind].serverCpu.push(m.percent)
      result[kind].cpuUsPerMessage.push(m.usPerMessage)
    }
    const cost = await verify(round + 1)
    result.verifyUs.push(cost.cpuUsPerVerify)
    result.verifyWallUs.push(cost.wallUsPerVerify)
    const paw = result.paw.cpuUsPerMessage.at(-1) as number
    const gossip = result.gossip.cpuUsPerMessage.at(-1) as number
    result.goalRatio.push(paw / (gossip + cost.cpuUsPerVerify))
    log(
      `relay round ${round + 1}/${options.rounds}: paw ${paw.toFixed(1)} us/tx ` +
        `(${result.paw.perSecond.at(-1)?.toFixed(0)}/s), raw gossipsub ${gossip.toFixed(1)} us/msg ` +
        `(${result.gossip.perSecond.at(-1)?.toFixed(0)}/s), verify ${cost.cpuUsPerVerify.toFixed(1)} us, ` +
        `raw stream ${result.raw.cpuUsPerMessage.at(-1)?.toFixed(1)} us/msg; ` +
        `paw / (gossipsub + verify) ${result.goalRatio.at(-1)?.toFixed(2)}x`,
    )
  }
  if (options.profile !== undefined) {
    const batch = options.rounds + 1
    await server.request('profileStart')
    const m = await measured('paw', batch)
    const { samples } = await server.request<{ samples: number }>('profileStop', { file: options.profile })
    result.profile = {
      file: options.profile,
      transactions: m.arrived,
      samples,
      cpuUsPerMessage: m.usPerMessage,
    }
    log(
      `relay: profiled one PAW round (${m.usPerMessage.toFixed(1)} us/tx under the profiler) to ${options.profile}`,
    )
  }
  const after = await counters(server)
  result.dropped = after.gossipDropped
  result.throttled = after.gossipThrottled
  return result
}
