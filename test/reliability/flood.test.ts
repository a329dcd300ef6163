/**
 * Issue 9 item 2, the last two load cases (the others are in load.test.ts): floods against a
 * real node on loopback. Each case prints its measured figure (console.log, "RELIABILITY ...")
 * for the RELIABILITY.md table.
 *
 * 1. 1,000 connection attempts in 10 s from 249 source addresses (127.0.0.2 … 127.0.0.250)
 *    against a node of the default profile (50 inbound slots, libp2p guards of
 *    DEFAULT_INBOUND_GUARDS) that holds 3 outbound peers it dialled. The attackers run in a
 *    child process (flood-attacker-child.ts): 70 % dial with a fresh identity, complete Noise,
 *    yamux and /paw/handshake/1, and hold on (answering pings); 30 % open a bare TCP
 *    connection and hang up after 1 s. Sampled every 50 ms (inbound connected peers also at
 *    each admission, so late samples miss nothing there). Pass: the node's inbound PAW
 *    peers never exceed 50 (and reach 50: the limit was tested); its libp2p connections
 *    never exceed libp2p's maxConnections + maxPending = 164 + 64 = 228 (an inbound socket is
 *    accepted only while fewer than 164 are open, and up to 64 accepted ones may still be
 *    upgrading when that is checked); the 3 outbound peers stay connected on the very
 *    connections they started on; RSS peaks less than 200 MiB above where it started, and
 *    the heap retained after a full GC, once the attackers are gone, is under 32 MiB more
 *    than before (the test process holds the node and 4 honest nodes, not the attackers);
 *    and after the burst, with the attackers still holding their slots, an honest node's
 *    connectToPeer (dial + handshake) succeeds within 2,000 ms, by evicting an attacker.
 * 2. A stalled reader on gossip: a full node S in a child process connects to the node N
 *    under test, subscribes to its topics, and is SIGSTOPped, so it reads nothing more and
 *    its socket buffers fill. N keeps publishing for 20 s: a mined block every 300 ms (its
 *    transactions submitted to N just before) and, on the blocks topic, a 1 MiB message every
 *    100 ms (~8 MiB/s, ~150 MiB in all). The bulk is published with N's own gossipsub
 *    (pubsub.publish): valid blocks of that size would cost ~35 s of signature checks; S
 *    never reads it, and the two honest peers are light nodes (headers only), so nobody
 *    validates it. Pass: N's gossipsub stream to S is reset once its write buffer passes
 *    gossipsub's maxOutboundBufferSize (4 × MAX_GOSSIP_MESSAGE_BYTES = 40.25 MiB; sampled,
 *    never above it by more than one message); N's RSS peaks less than that cap + 5 s of
 *    publishing (the bulk gossipsub's message cache holds by design, 5 heartbeats) + 32 MiB
 *    above where it started; its memory in use (heap + external) over the last 5 s of
 *    publishing, long after the reset, stays under 5 s of publishing + 32 MiB (S holds
 *    nothing any more); and every block's header reaches both honest peers, with a median
 *    latency during the stall at most 3 × that before it + 20 ms and none over 1 s.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import type { PawNode, PeerInfo } from '../../src/api/index.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { DEFAULT_INBOUND_GUARDS, PROFILES } from '../../src/config/defaults.ts'
import type { PawPubSub } from '../../src/gossip/gossip-service.ts'
import { MAX_GOSSIP_MESSAGE_BYTES } from '../../src/gossip/gossipsub-options.ts'
import { pawTopics } from '../../src/gossip/topics.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { nextBlock, startChainNode, testChainParams } from '../support/chain-nodes.ts'
import { fastAccounts, fastTransfer } from '../support/mempool-peers.ts'
import { NodeProcess } from '../support/node-process.ts'
import { TEST_CHAIN, tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'
import { AttackerProcess, type AttackReport } from './flood-attacker.ts'
import {
  every,
  heapAfterGc,
  MemoryPeaks,
  MiB,
  median,
  mib,
  openFileDescriptors,
  sleep,
} from './flood-measure.ts'

const nodes = trackedNodes()

let cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  const all = cleanups
  cleanups = []
  await Promise.allSettled(all.map((cleanup) => cleanup()))
})

/**
 * Inbound connections libp2p is upgrading (Noise, yamux) right now: what its
 * maxIncomingPendingConnections guard counts. libp2p exposes no public count of these.
 */
function pendingUpgrades(node: PawNode): number {
  const { components } = node.libp2p as unknown as {
    components: { connectionManager: { incomingPendingConnections: number } }
  }
  return components.connectionManager.incomingPendingConnections
}

const nsToMs = (ns: number): string => (ns / 1e6).toFixed(0)

function hostOf(address: { toString(): string }): string | undefined {
  return /^\/ip4\/([\d.]+)\//.exec(address.toString())?.[1]
}

const format = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([key, count]) => `${key} ${count}`)
    .join(', ') || 'none'

/** Peaks of a node's inbound state and of this process's resources, sampled every 50 ms. */
interface InboundPeaks {
  /** stats().inbound: connected and reserved inbound peers, what the inbound limit counts. */
  inbound: number
  /**
   * Inbound peers connected, checked at each inbound admission (the 'peer:connected' event):
   * the count only rises there, so this is its exact maximum, however late the samples run.
   */
  inboundConnected: number
  connections: number
  inboundConnections: number
  pending: number
  /** Open file descriptors, above where they were. */
  fds: number
  admissions: number
}

/**
 * Watches `target` through a flood: its inbound peaks, the source addresses it sees, the
 * outbound peers that lost their connection (or were reconnected: a new connection id),
 * and this process's memory.
 */
function watchInbound(
  target: PawNode,
  outbound: ReadonlyArray<{ peer: PawNode; connectionId: string | undefined }>,
) {
  const fdsBefore = openFileDescriptors()
  const memory = new MemoryPeaks()
  const peak: InboundPeaks = {
    inbound: 0,
    inboundConnected: 0,
    connections: 0,
    inboundConnections: 0,
    pending: 0,
    fds: 0,
    admissions: 0,
  }
  const sources = new Set<string>()
  const outboundLost: string[] = []
  const sampling = { count: 0, last: performance.now(), maxGap: 0 }
  const keptConnection = (peer: PawNode, connectionId: string | undefined): boolean =>
    target.peer(peer.peerId.toString())?.state === 'connected' &&
    target.libp2p
      .getConnections(peer.peerId)
      .some((connection) => connection.id === connectionId && connection.status === 'open')
  const sample = (): void => {
    const now = performance.now()
    sampling.maxGap = Math.max(sampling.maxGap, now - sampling.last)
    sampling.last = now
    sampling.count++
    const connections = target.libp2p.getConnections()
    const inboundConnections = connections.filter((connection) => connection.direction === 'inbound')
    for (const connection of inboundConnections) {
      const host = hostOf(connection.remoteAddr)
      if (host !== undefined) sources.add(host)
    }
    peak.inbound = Math.max(peak.inbound, target.stats().inbound)
    peak.connections = Math.max(peak.connections, connections.length)
    peak.inboundConnections = Math.max(peak.inboundConnections, inboundConnections.length)
    peak.pending = Math.max(peak.pending, pendingUpgrades(target))
    peak.fds = Math.max(peak.fds, openFileDescriptors() - fdsBefore)
    for (const { peer, connectionId } of outbound) {
      const id = peer.peerId.toString()
      if (!keptConnection(peer, connectionId) && !outboundLost.includes(id)) outboundLost.push(id)
    }
    memory.sample()
  }
  const onConnected = (event: CustomEvent<PeerInfo>): void => {
    if (event.detail.direction !== 'inbound') return
    peak.admissions++
    const connected = target
      .peers()
      .filter((peer) => peer.direction === 'inbound' && peer.state === 'connected').length
    peak.inboundConnected = Math.max(peak.inboundConnected, connected)
  }
  target.addEventListener('peer:connected', onConnected)
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  const sampler = every(50, sample)
  return {
    loopDelay,
    peak,
    memory,
    sources,
    outboundLost,
    sampling,
    stop() {
      sampler.stop()
      loopDelay.disable()
      target.removeEventListener('peer:connected', onConnected)
    },
  }
}

/** How long the stalled reader stays stopped while the node publishes. */
const STALL_MS = 20_000
/** One bulk gossip message. */
const BULK_BYTES = MiB

/** The node's gossipsub stream to `peerId` (outbound: what it writes to that peer). */
async function gossipStreamTo(node: PawNode, peerId: string): Promise<Stream> {
  let found: Stream | undefined
  await waitFor('the gossipsub stream to the peer', () => {
    found = node.libp2p
      .getConnections(peerIdFromString(peerId))
      .flatMap((connection) => connection.streams)
      .find((stream) => stream.direction === 'outbound' && stream.protocol?.includes('meshsub') === true)
    return found !== undefined
  })
  return found as Stream
}

describe('flood (issue 9 item 2)', () => {
  it('1,000 connection attempts from 249 local addresses in 10 s against a node with 50 inbound slots', async () => {
    const { maxInbound, maxPeers } = PROFILES.default
    // libp2p's maxConnections (create-paw-node.ts): the handshaken peers plus room for those
    // still handshaking. An inbound socket is accepted only while fewer are open, but up to
    // maxPending accepted ones may still be upgrading when that is checked, and all may open.
    const maxConnections = maxPeers + DEFAULT_INBOUND_GUARDS.maxPending
    const connectionBound = maxConnections + DEFAULT_INBOUND_GUARDS.maxPending
    const lines: string[] = []
    // The default profile (50 inbound slots) and inbound guards (20/s per host, 64 pending).
    const target = await nodes.node({ logger: testLogger(lines) })
    const outboundPeers = await Promise.all([1, 2, 3].map(() => nodes.node()))
    for (const peer of outboundPeers) await target.connectToPeer(tcpAddress(peer))
    // The connection each outbound peer must keep: the same one, not a reconnection.
    const outbound = outboundPeers.map((peer) => {
      const connections = target.libp2p.getConnections(peer.peerId)
      expect(connections).toHaveLength(1)
      return { peer, connectionId: connections[0]?.id }
    })
    const attacker = await AttackerProcess.start()
    cleanups.push(() => attacker.stop())

    const heapBefore = heapAfterGc()
    const watch = watchInbound(target, outbound)
    let report: AttackReport
    let honestMs: number
    let honestError: unknown
    try {
      const address = tcpAddress(target)
      const [, host = '', port = ''] = /^\/ip4\/([\d.]+)\/tcp\/(\d+)/.exec(address.toString()) ?? []
      report = await attacker.attack({
        target: address.toString(),
        host,
        port: Number(port),
        chainId: TEST_CHAIN,
        attempts: 1_000,
        durationMs: 10_000,
        lastHost: 250,
      })
      // The burst is over; the attackers still hold the slots they won.
      const honest = await nodes.node()
      const started = performance.now()
      try {
        await honest.connectToPeer(tcpAddress(target))
      } catch (error) {
        honestError = error
      }
      honestMs = performance.now() - started
      await sleep(500)
    } finally {
      watch.stop()
    }
    const { peak, memory, sampling } = watch
    const heldAtEnd = target.stats().inbound
    const evictions = lines.filter((line) => line.includes('evicting an inbound peer')).length
    const pawRejections = target.rejectionsByCode()
    await attacker.stop()
    await sleep(1_000)
    const retained = heapAfterGc() - heapBefore

    // Refused by libp2p: the socket was reset at connect or during Noise. Of its guards, the
    // per-host rate (20/s) cannot trip at ~4 attempts per address in 10 s, nor maxConnections
    // below its 164 (max connections printed): upgrades in progress at 64 is the one.
    const refusedByLibp2p =
      Object.values(report.dialFailed).reduce((sum, count) => sum + count, 0) +
      report.rawFailed +
      report.rawClosedByNode
    console.log(
      `RELIABILITY flood/connections: ${report.attempts} attempts (${report.full} full, ${report.raw} raw TCP) ` +
        `from ${report.sourceAddresses} source addresses launched in ${Math.round(report.launchMs)} ms, all ` +
        `answered in ${Math.round(report.settledMs)} ms. Outcomes: ${report.admitted} full admitted ` +
        `(${report.closedAfterAdmission} of them then evicted, ${report.held} still held), ` +
        `${refusedByLibp2p} refused by libp2p's inbound guards (full: ${format(report.dialFailed)}; raw: ` +
        `${report.rawFailed} reset at connect, ${report.rawClosedByNode} hung up by the node; ` +
        `${report.rawOpened - report.rawClosedByNode} raw held 1 s), gater ${target.bans().length} bans, PAW ` +
        `rejections ${format(pawRejections)} (attackers saw ${format(report.rejected)}), ${evictions} evictions, ` +
        `${report.noAnswer} without answer. Node, ${sampling.count} samples (max gap ${Math.round(sampling.maxGap)} ` +
        `ms; event loop delay p50 ${nsToMs(watch.loopDelay.percentile(50))} ms, p99 ` +
        `${nsToMs(watch.loopDelay.percentile(99))} ms, max ${nsToMs(watch.loopDelay.max)} ms): upgrades in ` +
        `progress max ${peak.pending} (guard ${DEFAULT_INBOUND_GUARDS.maxPending}), ${watch.sources.size} source ` +
        `addresses seen, max inbound PAW peers ${peak.inbound} (connected ${peak.inboundConnected}, checked at ` +
        `each of ${peak.admissions} admissions), max libp2p connections ${peak.connections} (inbound ` +
        `${peak.inboundConnections}, bound ${connectionBound}), fds max +${peak.fds}; outbound peers lost ${watch.outboundLost.length}/3; ` +
        `RSS peak +${mib(memory.rssGrowth)} MiB, heap peak +${mib(memory.heapGrowth)} MiB, heap retained after GC ` +
        `+${mib(retained)} MiB; honest connect ${Math.round(honestMs)} ms` +
        `${honestError === undefined ? '' : ` FAILED: ${String(honestError)}`} (${heldAtEnd} inbound after)`,
    )
    if (Object.keys(report.errorSamples).length > 0)
      console.log('attacker error samples:', report.errorSamples)
    // The flood reached the limit, so the limit was tested.
    expect(report.attempts).toBe(1_000)
    // The attacker shares the machine: allow it to lag, not to halve the rate.
    expect(report.launchMs).toBeLessThan(15_000)
    expect(peak.inbound).toBe(maxInbound)
    expect(peak.inboundConnected).toBeLessThanOrEqual(maxInbound)
    expect(peak.connections).toBeLessThanOrEqual(connectionBound)
    expect(watch.outboundLost).toEqual([])
    expect(memory.rssGrowth).toBeLessThan(200 * MiB)
    expect(retained).toBeLessThan(32 * MiB)
    expect(honestError).toBeUndefined()
    expect(honestMs).toBeLessThan(2_000)
  }, 60_000)

  it('a stalled reader on gossip: outbound buffers bounded, honest peers served', async () => {
    const accounts = fastAccounts(8)
    const params = testChainParams(accounts)
    const topics = pawTopics(params.chainId)
    const { node, full } = await startChainNode(nodes.node, params)
    if (full === undefined) throw new Error('a full node has a chain')
    const pubsub = node.libp2p.services.pubsub as PawPubSub
    const honest = await Promise.all([1, 2].map(() => startChainNode(nodes.node, params, { type: 'light' })))
    for (const peer of honest) await peer.node.connectToPeer(tcpAddress(node))
    const stalled = await NodeProcess.start({ name: 'stalled-reader', params })
    cleanups.push(async () => stalled.kill())
    await node.connectToPeer(stalled.address)
    const subscribed = (topic: string, peerId: string): boolean =>
      pubsub.getSubscribers(topic).some((id) => id.toString() === peerId)
    await waitFor(
      'the peers to subscribe',
      () =>
        [...honest.map((peer) => peer.node.peerId.toString()), stalled.peerId].every((id) =>
          subscribed(topics.headers, id),
        ) && subscribed(topics.blocks, stalled.peerId),
    )
    const stream = await gossipStreamTo(node, stalled.peerId)

    // Header latency to each honest peer: from announceBlock to its 'header' event.
    const announcedAt = new Map<string, number>()
    const latencies = { before: [] as number[], during: [] as number[] }
    let phase: 'before' | 'during' = 'before'
    for (const peer of honest) {
      peer.node.addEventListener('header', ({ detail }) => {
        const at = announcedAt.get(detail.hash)
        if (at !== undefined) latencies[phase].push(performance.now() - at)
      })
    }
    let nonce = 0n
    const announce = async (): Promise<void> => {
      for (const account of accounts.slice(0, 4)) {
        await node.submitTransaction(fastTransfer(params, account, accounts[7]?.address as Uint8Array, nonce))
      }
      nonce++
      const block = await nextBlock(full)
      // Set before announcing: a header may arrive before announceBlock resolves.
      announcedAt.set(toHex(blockHash(block.header)), performance.now())
      await node.announceBlock(block)
    }
    for (let i = 0; i < 8; i++) {
      await announce()
      await sleep(150)
    }
    const headersBefore = announcedAt.size

    const heapBefore = heapAfterGc()
    const memory = new MemoryPeaks()
    let maxBuffered = 0
    let resetAfterMs: number | undefined
    let published = 0
    let publishedAtReset = 0
    // Memory in use (V8 heap + ArrayBuffers outside it, where stream buffers live), by time.
    const inUseSamples: Array<{ at: number; inUse: number }> = []
    const inUse = (): number => {
      const usage = process.memoryUsage()
      return usage.heapUsed + usage.external
    }
    const inUseBefore = inUse()
    const stallStart = performance.now()
    const sampler = every(50, () => {
      memory.sample()
      inUseSamples.push({ at: performance.now() - stallStart, inUse: inUse() })
      maxBuffered = Math.max(maxBuffered, stream.writeBufferLength)
      if (resetAfterMs === undefined && stream.status !== 'open') {
        resetAfterMs = performance.now() - stallStart
        publishedAtReset = published
      }
    })
    process.kill(stalled.pid as number, 'SIGSTOP')
    phase = 'during'
    let publishErrors = 0
    try {
      let tick = 0
      while (performance.now() - stallStart < STALL_MS) {
        const bulk = new Uint8Array(BULK_BYTES)
        new DataView(bulk.buffer).setUint32(0, tick)
        await pubsub.publish(topics.blocks, bulk).catch(() => {
          publishErrors++
        })
        published += BULK_BYTES
        if (tick % 3 === 0) await announce()
        tick++
        await sleep(100)
      }
    } finally {
      sampler.stop()
    }
    const stallMs = performance.now() - stallStart
    const headersDuring = announcedAt.size - headersBefore
    // The last block's header may still be on its way.
    await waitFor('the last headers', () => latencies.during.length >= 2 * headersDuring, 2_000).catch(
      () => {},
    )
    const retained = heapAfterGc() - heapBefore
    const cap = 4 * MAX_GOSSIP_MESSAGE_BYTES
    const publishRate = published / (stallMs / 1_000)
    // What gossipsub's message cache holds of the bulk by design: 5 heartbeats of publishing.
    const cacheWindow = 5 * publishRate
    const memoryBound = cap + cacheWindow + 32 * MiB
    const peakInUse = (from: number, to: number): number =>
      Math.max(...inUseSamples.filter(({ at }) => at >= from && at <= to).map((sample) => sample.inUse)) -
      inUseBefore
    const untilReset = peakInUse(0, resetAfterMs ?? stallMs)
    const lastSeconds = peakInUse(stallMs - 5_000, stallMs)
    const baseline = median(latencies.before)
    const during = median(latencies.during)
    console.log(
      `RELIABILITY flood/stalled-gossip: ${mib(published)} MiB bulk + ${headersDuring} blocks published in ` +
        `${Math.round(stallMs)} ms to a SIGSTOPped full node (${publishErrors} publish errors); its gossip stream ` +
        `${resetAfterMs === undefined ? 'NOT reset' : `reset after ${Math.round(resetAfterMs)} ms`} ` +
        `(status ${stream.status}), write buffer max ${mib(maxBuffered)} MiB (cap ${mib(cap)} MiB); ` +
        `${mib(published - publishedAtReset)} MiB published after the reset; RSS peak +${mib(memory.rssGrowth)} MiB ` +
        `(bound ${mib(memoryBound)} MiB), heap + external in use peak +${mib(untilReset)} MiB until the reset, ` +
        `+${mib(lastSeconds)} MiB in the last 5 s (bound ${mib(cacheWindow + 32 * MiB)} MiB), ` +
        `heap peak +${mib(memory.heapGrowth)} MiB, ` +
        `external peak +${mib(memory.externalGrowth)} MiB, heap retained after GC +${mib(retained)} MiB; ` +
        `honest header latency median ${baseline.toFixed(1)} ms before, ${during.toFixed(1)} ms during ` +
        `(max ${Math.max(...latencies.during).toFixed(1)} ms, ${latencies.during.length}/${2 * headersDuring} arrivals)`,
    )
    expect(resetAfterMs).toBeDefined()
    expect(maxBuffered).toBeLessThanOrEqual(cap + BULK_BYTES + 64 * 1024)
    expect(memory.rssGrowth).toBeLessThan(memoryBound)
    expect(lastSeconds).toBeLessThan(cacheWindow + 32 * MiB)
    expect(latencies.during).toHaveLength(2 * headersDuring)
    expect(during).toBeLessThanOrEqual(3 * baseline + 20)
    expect(Math.max(...latencies.during)).toBeLessThan(1_000)
  }, 60_000)
})
