/**
 * Issue 17 item 3: a node's per-peer traffic counts every protocol, gossip first. Three full
 * nodes in a line, A — B — C: A's transactions and mined blocks reach C only through B's
 * gossipsub. B's peers, as GET /peers lists them, must add up to what libp2p itself counted
 * on B's streams (`libp2p_data_transfer_bytes_total`, per protocol, in B's metrics registry),
 * within 5%, each way; and the gossip protocol must show in each peer's breakdown.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { PawNode, PawNodeInit } from '../../src/api/index.ts'
import type { PeerRow, PeersReply, StatusReply } from '../../src/cli/commands/admin-replies.ts'
import { netinfoText, peersText } from '../../src/cli/commands/peers.ts'
import { silentLogger } from '../../src/logging.ts'
import { startAdminServer } from '../../src/node/admin/index.ts'
import { createPawNode } from '../../src/node/index.ts'
import { createLibp2pMetrics, type Libp2pMetrics } from '../../src/node/metrics/libp2p-metrics.ts'
import {
  type ChainNode,
  nextBlock,
  startChainNode,
  testAccounts,
  testChainParams,
  transfer,
} from '../support/chain-nodes.ts'
import { TEST_CHAIN, tcpAddress, testLogger, waitFor } from '../support/nodes.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

/** A started node on loopback; `libp2pMetrics` gives it libp2p's own metrics registry. */
function starter(libp2pMetrics?: Libp2pMetrics) {
  return async (init: PawNodeInit): Promise<PawNode> => {
    const node = await createPawNode({
      chainId: TEST_CHAIN,
      listenHost: '127.0.0.1',
      tcpPort: 0,
      wsPort: null,
      logger: testLogger(),
      ...init,
      limits: { minOutbound: 0 },
      ...(libp2pMetrics === undefined ? {} : { libp2pMetrics }),
    })
    await node.start()
    cleanups.push(() => node.stop())
    return node
  }
}

/** libp2p's bytes on B's protocol streams, by direction: the sum of its per-protocol series. */
async function libp2pStreamBytes(
  metrics: Libp2pMetrics,
): Promise<{ sent: number; received: number; global: { sent: number; received: number } }> {
  const metric = metrics.registry.getSingleMetric('libp2p_data_transfer_bytes_total')
  if (metric === undefined) throw new Error('libp2p_data_transfer_bytes_total is not registered')
  const { values } = await metric.get()
  const sum = (suffix: string, global: boolean) =>
    values
      .filter(({ labels }) => {
        const label = String(labels.protocol)
        return label.endsWith(suffix) && label.startsWith('global ') === global
      })
      .reduce((total, { value }) => total + value, 0)
  return {
    sent: sum(' sent', false),
    received: sum(' received', false),
    global: { sent: sum(' sent', true), received: sum(' received', true) },
  }
}

async function get<T>(admin: string, path: string): Promise<T> {
  const reply = await fetch(`http://${admin}${path}`)
  expect(reply.status, path).toBe(200)
  return (await reply.json()) as T
}

const gossipOf = (row: PeerRow | undefined) =>
  Object.entries(row?.protocols ?? {}).find(([protocol]) => protocol.startsWith('/meshsub/'))?.[1]

describe('traffic accounting on a node that relays gossip', () => {
  it("counts every protocol per peer: B's peers add up to libp2p's own count, gossip included", async () => {
    const accounts = testAccounts(121)
    const params = testChainParams(accounts)
    const metrics = createLibp2pMetrics()
    const b: ChainNode = await startChainNode(starter(metrics), params)
    const a = await startChainNode(starter(), params)
    const c = await startChainNode(starter(), params)
    await a.node.connectToPeer(tcpAddress(b.node))
    await c.node.connectToPeer(tcpAddress(b.node))
    // Meshes form on subscription or at the next heartbeat (1 s).
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const admin = await startAdminServer({
      listen: '127.0.0.1:0',
      context: { node: b.node, chain: b.full?.chain, mempool: b.full?.mempool, headers: undefined },
      log: silentLogger,
    })
    cleanups.push(() => admin.stop())

    // Six rounds: 20 transactions gossiped from A, then a block of them mined at A.
    const recipient = accounts[120]?.address as Uint8Array
    for (let round = 0; round < 6; round++) {
      const ids: string[] = []
      for (const account of accounts.slice(round * 20, round * 20 + 20)) {
        ids.push((await a.node.submitTransaction(transfer(params, account, recipient, 0n))).id)
      }
      await waitFor(
        `round ${round}: the transactions at C`,
        () => ids.every((id) => c.full?.mempool.has(id)),
        10_000,
      )
      const block = await nextBlock(a.full as NonNullable<ChainNode['full']>)
      await a.node.announceBlock(block)
      await waitFor(`round ${round}: the block at C`, () => c.full?.chain.tip().height === round + 1, 10_000)
    }
    const idA = a.node.peerId.toString()
    const idC = c.node.peerId.toString()
    expect(a.node.peer(idC)?.state ?? 'unknown', 'A and C are connected through B only').not.toBe('connected')

    const { peers } = await get<PeersReply>(admin.address, '/peers')
    const counted = await libp2pStreamBytes(metrics)
    const bytesIn = peers.reduce((sum, row) => sum + row.bytesIn, 0)
    const bytesOut = peers.reduce((sum, row) => sum + row.bytesOut, 0)
    console.log(
      `B: peers ${bytesIn} B in, ${bytesOut} B out; libp2p streams ${counted.received} B in, ${counted.sent} B out; ` +
        `libp2p connections (with yamux and encryption) ${counted.global.received} B in, ${counted.global.sent} B out`,
    )
    expect(counted.received, 'enough traffic to compare').toBeGreaterThan(20_000)
    expect(
      Math.abs(bytesIn - counted.received) / counted.received,
      'bytes in, against libp2p',
    ).toBeLessThanOrEqual(0.05)
    expect(Math.abs(bytesOut - counted.sent) / counted.sent, 'bytes out, against libp2p').toBeLessThanOrEqual(
      0.05,
    )

    // Gossip shows in the breakdown: received from A, relayed to C.
    const rowA = peers.find((row) => row.peerId === idA)
    const rowC = peers.find((row) => row.peerId === idC)
    expect(gossipOf(rowA)?.bytesIn ?? 0, "gossip from A in B's breakdown").toBeGreaterThan(10_000)
    expect(gossipOf(rowC)?.bytesOut ?? 0, "gossip to C in B's breakdown").toBeGreaterThan(10_000)
    for (const row of [rowA, rowC]) {
      const parts = Object.values(row?.protocols ?? {})
      expect(parts.reduce((sum, part) => sum + part.bytesIn, 0)).toBe(row?.bytesIn)
      expect(parts.reduce((sum, part) => sum + part.bytesOut, 0)).toBe(row?.bytesOut)
    }

    // The node-wide totals (GET /status, `netinfo`) count the same streams.
    const status = await get<StatusReply>(admin.address, '/status')
    const totalIn = Object.values(status.protocols).reduce((sum, t) => sum + t.bytesReceived, 0)
    expect(Math.abs(totalIn - counted.received) / counted.received).toBeLessThanOrEqual(0.05)

    // What the operator reads: `peers --by-protocol` and `netinfo`.
    const text = peersText(peers, { byProtocol: true })
    expect(text).toMatch(/\/meshsub\/\S+\s+\d+(\.\d)? KiB/)
    expect(text).toContain('--full-ids prints them whole')
    expect(text).toMatch(/paw-node\/\d/)
    expect(netinfoText(status, peers)).toMatch(/\n\/meshsub\/\S+\s+\d+(\.\d)? KiB/)
  }, 60_000)
})
