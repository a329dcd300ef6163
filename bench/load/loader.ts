/**
 * A load generator of bench/load, in its own process (forked by index.ts): it drives the
 * node under test (server.ts) from outside that node's event loop.
 *
 * - dial rounds: `count` fresh identities connect, each once, `concurrency` at a time,
 *   and hang up: paw-node clients (connectToPeer: dial, Noise, yamux, /paw/handshake/1),
 *   plain libp2p nodes (dial, Noise, yamux), or node:net sockets (connect, the server's
 *   close). The clients are made before the timed part and stopped after it;
 * - relay rounds: a sender A and a receiver B, both connected to the node under test only;
 *   A publishes transactions on the gossip topic (unchecked: the node under test judges
 *   them), B counts those that reach its gossipsub. At most `window` are on their way
 *   at once (sent, not yet at B; windowed.ts), so the node is kept busy but never
 *   flooded into drops; the same with plain libp2p streams through the raw relay, and
 *   with raw gossipsub nodes through the raw gossipsub relay (raw-gossip.ts);
 * - peers: full paw-nodes that stay connected to the node under test and, on request,
 *   submit transactions at a steady rate (submitTransaction: validated, then gossiped).
 */
import { connect as tcpConnect } from 'node:net'
import type { GossipsubMessage } from '@libp2p/gossipsub'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { PawNode } from '../../src/api/index.ts'
import { decodeTransaction, TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { openFullChain } from '../../src/chain/full-chain.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import { pawTopics } from '../../src/gossip/topics.ts'
import { createPawNode } from '../../src/node/index.ts'
import { serveRequests } from '../../test/support/ipc-child.ts'
import { createClient, createPlain, hangUp } from '../handshake/nodes.ts'
import {
  MESSAGE_BYTES,
  now,
  RAW_RELAY_PROTOCOL,
  RAW_SINK_PROTOCOL,
  RELAY_EXPECTED_TX_PER_SECOND,
  RELAY_MEMPOOL,
  RELAY_RATE_LIMITS,
  sleep,
} from './nodes.ts'
import { RawGossipPair } from './raw-gossip.ts'
import { Arrivals, type RelayResult, windowed } from './windowed.ts'

export type { RelayResult } from './windowed.ts'

const CONNECT_TIMEOUT_MS = 10_000

export type DialKind = 'paw' | 'libp2p' | 'tcp'

export interface DialRound {
  kind: DialKind
  /** A multiaddr (paw, libp2p) or a TCP port (tcp). */
  target: string
  count: number
  concurrency: number
}

export interface DialResult {
  startedAt: number
  endedAt: number
  connections: number
}

export interface RelayTargets {
  pawAddress: string
  rawAddress: string
}

export interface RelayRound {
  /** Packed transactions (n × 152 bytes) for the PAW round; a count for the raw ones. */
  transactions?: Uint8Array
  count?: number
  window: number
}

interface Relay {
  a: PawNode
  b: PawNode
  topic: string
  /** Signatures (base64) of the round's transactions B is waiting for. */
  expected: Set<string>
  arrivals: number
  rawA: Libp2p
  rawB: Libp2p
  /** A's connection to the raw relay, and B's stream from it. */
  rawIn: Connection
  rawOut: Stream
  rawArrivedBytes: number
  /** Wakes the sender at each arrival at B (PAW and raw stream rounds). */
  wake: Arrivals
  gossip: RawGossipPair | undefined
}

let chain: { params: ChainParams } | undefined
let relay: Relay | undefined
const peers: PawNode[] = []

function unpack(packed: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let offset = 0; offset < packed.length; offset += TRANSACTION_LENGTH) {
    out.push(packed.subarray(offset, offset + TRANSACTION_LENGTH))
  }
  return out
}

/** Runs `one(i)` for i in [0, count), `concurrency` at a time; rejects on the first failure. */
async function pool(
  count: number,
  concurrency: number,
  one: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await one(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

// ---------------------------------------------------------------------------------------
// Dial rounds.

function tcpAcceptAndClose(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1' })
    socket.on('error', reject)
    // The server ends every socket it accepts: the end proves the accept.
    socket.on('end', () => {
      socket.destroy()
      resolve()
    })
    socket.resume()
  })
}

async function dialRound(round: DialRound): Promise<DialResult> {
  const { kind, target, count, concurrency } = round
  if (kind === 'tcp') {
    const startedAt = now()
    await pool(count, concurrency, () => tcpAcceptAndClose(Number(target)))
    return { startedAt, endedAt: now(), connections: count }
  }
  const { chainId } = params()
  const address = multiaddr(target)
  const serverPeerId = address.getComponents().find((component) => component.name === 'p2p')?.value
  if (serverPeerId === undefined) throw new Error('the target address has no peer ID')
  const serverPeer = peerIdFromString(serverPeerId)
  // Fresh identities, made before the clock starts.
  const clients: Array<PawNode | Libp2p> = []
  for (let i = 0; i < count; i++)
    clients.push(kind === 'paw' ? await createClient(chainId) : await createPlain())
  try {
    const startedAt = now()
    await pool(count, concurrency, async (index) => {
      const signal = AbortSignal.timeout(CONNECT_TIMEOUT_MS)
      if (kind === 'paw') {
        const client = clients[index] as PawNode
        const info = await client.connectToPeer(address, { signal })
        if (info.state !== 'connected') throw new Error(`connectToPeer ended in state ${info.state}`)
        await hangUp(client.libp2p, serverPeer)
      } else {
        const client = clients[index] as Libp2p
        const connection = await client.dial(address, { signal })
        if (connection.status !== 'open') throw new Error(`dial returned a ${connection.status} connection`)
        await hangUp(client, serverPeer)
      }
    })
    return { startedAt, endedAt: now(), connections: count }
  } finally {
    await Promise.allSettled(clients.map((client) => client.stop()))
  }
}

// ---------------------------------------------------------------------------------------
// Relay rounds.

async function relayNode(params: ChainParams): Promise<PawNode> {
  const full = await openFullChain({ params, store: new MemoryBlockStore(), mempool: RELAY_MEMPOOL })
  const node = await createPawNode({
    chainId: params.chainId,
    nodeType: 'full',
    chain: full,
    tcpPort: null,
    wsPort: null,
    logLevel: 'error',
    limits: { minOutbound: 0 },
    rateLimits: RELAY_RATE_LIMITS,
    gossip: { expectedTxPerSecond: RELAY_EXPECTED_TX_PER_SECOND },
  })
  await node.start()
  return node
}

const signatureKey = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset + bytes.length - 64, 64).toString('base64')

function params(): ChainParams {
  if (chain === undefined) throw new Error('not initialised')
  return chain.params
}

async function relaySetup(targets: RelayTargets): Promise<void> {
  const a = await relayNode(params())
  const b = await relayNode(params())
  await a.connectToPeer(targets.pawAddress)
  await b.connectToPeer(targets.pawAddress)
  const rawA = await createPlain()
  const rawB = await createPlain()
  const rawOut = await (await rawB.dial(multiaddr(targets.rawAddress))).newStream(RAW_SINK_PROTOCOL)
  const rawIn = await rawA.dial(multiaddr(targets.rawAddress))
  const r: Relay = {
    a,
    b,
    topic: pawTopics(params().chainId).transactions,
    expected: new Set(),
    arrivals: 0,
    rawA,
    rawB,
    rawIn,
    rawOut,
    rawArrivedBytes: 0,
    wake: new Arrivals(),
    gossip: undefined,
  }
  relay = r
  const onArrival = (): void => r.wake.arrived()
  const pubsub = b.libp2p.services.pubsub as {
    addEventListener(
      type: 'gossipsub:message',
      listener: (event: CustomEvent<GossipsubMessage>) => void,
    ): void
  }
  pubsub.addEventListener('gossipsub:message', ({ detail }) => {
    if (detail.msg.topic !== r.topic || !r.expected.delete(signatureKey(detail.msg.data))) return
    r.arrivals++
    onArrival()
  })
  rawOut.addEventListener('message', (event) => {
    r.rawArrivedBytes += event.data.byteLength
    onArrival()
  })
}

function needRelay(): Relay {
  if (relay === undefined) throw new Error('relay not set up')
  return relay
}

/** Raw gossipsub nodes A and B, connected to the raw gossipsub relay at `address` only. */
async function rawGossipSetup(body: { address: string }): Promise<void> {
  const r = needRelay()
  if (r.gossip !== undefined) throw new Error('raw gossip already set up')
  r.gossip = await RawGossipPair.connect(body.address)
}

async function relayRoundGossip(round: RelayRound): Promise<RelayResult> {
  const gossip = needRelay().gossip
  if (gossip === undefined) throw new Error('raw gossip not set up')
  return gossip.round(round.count ?? 0, round.window)
}

async function relayRoundPaw(round: RelayRound): Promise<RelayResult> {
  const r = needRelay()
  if (round.transactions === undefined) throw new Error('no transactions')
  const transactions = unpack(round.transactions)
  r.expected = new Set(transactions.map(signatureKey))
  r.arrivals = 0
  const pubsub = r.a.libp2p.services.pubsub as { publish(topic: string, data: Uint8Array): Promise<unknown> }
  let failed = 0
  const result = await windowed(
    r.wake,
    'paw relay',
    transactions.length,
    round.window,
    () => r.arrivals,
    (index) => {
      // Not awaited: gossipsub sends synchronously up to its promise.
      pubsub.publish(r.topic, transactions[index] as Uint8Array).catch(() => failed++)
      return true
    },
  )
  return { ...result, publishFailures: failed }
}

async function relayRoundRaw(round: RelayRound): Promise<RelayResult> {
  const r = needRelay()
  const count = round.count ?? 0
  const stream = await r.rawIn.newStream(RAW_RELAY_PROTOCOL)
  const message = new Uint8Array(MESSAGE_BYTES).map((_, i) => i & 0xff)
  const base = r.rawArrivedBytes
  const arrived = () => Math.floor((r.rawArrivedBytes - base) / MESSAGE_BYTES)
  try {
    return await windowed(r.wake, 'raw relay', count, round.window, arrived, async () => {
      if (!stream.send(message)) {
        await new Promise<void>((resolve) =>
          stream.addEventListener('drain', () => resolve(), { once: true }),
        )
      }
      return true
    })
  } finally {
    await stream.close().catch(() => stream.abort(new Error('bench: close failed')))
  }
}

// ---------------------------------------------------------------------------------------
// Peers and their steady load.

async function peersStart(body: { count: number; address: string; concurrency: number }): Promise<number> {
  const created: PawNode[] = []
  for (let i = 0; i < body.count; i++) {
    const full = await openFullChain({ params: params(), store: new MemoryBlockStore() })
    const node = await createPawNode({
      chainId: params().chainId,
      nodeType: 'full',
      chain: full,
      tcpPort: null,
      wsPort: null,
      logLevel: 'error',
      limits: { minOutbound: 0 },
    })
    await node.start()
    created.push(node)
    peers.push(node)
  }
  const address = multiaddr(body.address)
  await pool(created.length, body.concurrency, async (index) => {
    const info = await (created[index] as PawNode).connectToPeer(address, {
      signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
    })
    if (info.state !== 'connected') throw new Error(`connectToPeer ended in state ${info.state}`)
  })
  return peers.length
}

/** submitTransaction at `ratePerSecond`, round-robin over this loader's peers. */
async function steadyLoad(body: { transactions: Uint8Array; ratePerSecond: number }) {
  if (peers.length === 0) throw new Error('no peers')
  const transactions = unpack(body.transactions).map((bytes) => decodeTransaction(bytes))
  const startedAt = now()
  const failed: Record<string, number> = {}
  for (let index = 0; index < transactions.length; index++) {
    const due = startedAt + (index / body.ratePerSecond) * 1000
    if (due > now()) await sleep(due - now())
    const peer = peers[index % peers.length] as PawNode
    try {
      await peer.submitTransaction(transactions[index] as ReturnType<typeof decodeTransaction>)
    } catch (error) {
      const key = (error as { code?: string }).code ?? (error as Error).message
      failed[key] = (failed[key] ?? 0) + 1
    }
  }
  return { submitted: transactions.length, failed, startedAt, endedAt: now() }
}

async function shutdown(): Promise<void> {
  const r = relay
  await Promise.allSettled([
    ...peers.map((peer) => peer.stop()),
    r?.a.stop(),
    r?.b.stop(),
    r?.rawA.stop(),
    r?.rawB.stop(),
    r?.gossip?.stop(),
  ])
}

process.title = `paw-bench-load-${process.argv[2] ?? 'loader'}`
serveRequests(
  {
    init: (body: { params: ChainParams }) => {
      chain = { params: body.params }
    },
    dialRound,
    relaySetup,
    relayRoundPaw,
    relayRoundRaw,
    rawGossipSetup,
    relayRoundGossip,
    peersStart,
    steadyLoad,
  },
  shutdown,
)
