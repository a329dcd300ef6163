/**
 * One PAW node in a child process (forked by node-process.ts): a full or light node on a
 * fresh in-memory chain of the parent's chain parameters, listening on 127.0.0.1 TCP with a
 * free port, answering the parent's requests over IPC and pushing every block or header it
 * accepts from gossip as it happens. Also hosts the raw baselines: a plain libp2p node
 * (TCP, Noise, yamux, gossipsub with a trivial validator) with no PAW code.
 *
 * Exits when the parent goes away (the IPC channel closes).
 *
 *   argv[2]: the node's name (for ps and logs)
 */
import { type GossipsubMessage, gossipsub, StrictNoSign, TopicValidatorResult } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { PawNode } from '../../src/api/index.ts'
import {
  BLOCK_PREFIX_LENGTH,
  decodeHeader,
  decodeTransaction,
  HEADER_LENGTH,
  TRANSACTION_LENGTH,
} from '../../src/chain/encoding.ts'
import { isChainError } from '../../src/chain/errors.ts'
import { type FullChain, openFullChain } from '../../src/chain/full-chain.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { HeaderChain } from '../../src/chain/header-chain.ts'
import { buildTemplate, type MinerMempool } from '../../src/chain/miner.ts'
import { paramsFromJson } from '../../src/chain/params.ts'
import { mineHeader } from '../../src/chain/pow.ts'
import { signatureVerifyCounts } from '../../src/chain/signing.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { Block, Transaction } from '../../src/chain/types.ts'
import { MAX_GOSSIP_MESSAGE_BYTES } from '../../src/gossip/gossipsub-options.ts'
import { pawTopics } from '../../src/gossip/topics.ts'
import { createPawNode } from '../../src/node/index.ts'
import { toHex } from '../../src/wire/bytes.ts'
import type {
  AnnounceReport,
  BlockArrival,
  ChildInit,
  ChildMessage,
  ChildRequest,
  NodeStatus,
  RawArrival,
  SubmitReport,
  TransactionReport,
} from './node-process.ts'

const now = (): number => performance.timeOrigin + performance.now()
const name = process.argv[2] ?? 'node'
process.title = `paw-node-process ${name}`

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve()
    else process.send(message, () => resolve())
  })
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function unpack(packed: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let offset = 0; offset < packed.length; offset += TRANSACTION_LENGTH) {
    out.push(packed.subarray(offset, offset + TRANSACTION_LENGTH))
  }
  return out
}

/** The reward address of blocks announced here. */
const REWARD = new Uint8Array(32).fill(7)
/** The raw baselines' gossipsub topic and stream protocol. */
const RAW_TOPIC = '/bench/raw/1'
const RAW_STREAM_PROTOCOL = '/bench/sink/1'
/** Same yamux read buffer as a PAW node (a whole 10 MiB frame plus 1 MiB). */
const STREAM_READ_BUFFER = 11 * 1024 * 1024

interface State {
  init: ChildInit
  node: PawNode
  full: FullChain | undefined
  headers: HeaderChain | undefined
  topics: ReturnType<typeof pawTopics>
  /** Block hash → when gossipsub handed the block (or the header) over, before validation. */
  received: { blocks: Map<string, number>; headers: Map<string, number> }
  blocks: BlockArrival[]
  /** Transaction id → arrival time (received or submitted here). */
  txArrivals: Map<string, number>
  perSecond: Map<number, number>
  txReceived: number
  txLocal: number
  raw: RawNode | undefined
  /** 'gossipsub:message' events (new messages handed to validation) and their distinct ids. */
  gossipsubMessages: Record<'transactions' | 'other', { events: number; ids: Set<string> }>
  /** Messages gossipsub sent, per topic (countGossipsubSends). */
  gossipsubSent: Map<string, { messages: number; bytes: number }>
}

interface RawNode {
  libp2p: Libp2p<{ pubsub: ReturnType<ReturnType<typeof gossipsub>> }>
  arrivals: RawArrival[]
}

let state: State | undefined
let stopping: Promise<void> | undefined

function need(): State {
  if (state === undefined) throw new Error('not initialised')
  return state
}

function countArrival(s: State, id: string, at: number): void {
  if (s.init.trackTransactions !== false) s.txArrivals.set(id, at)
  const second = Math.floor(at / 1000)
  s.perSecond.set(second, (s.perSecond.get(second) ?? 0) + 1)
}

async function init(options: ChildInit): Promise<{ peerId: string; addresses: string[] }> {
  const params = paramsFromJson(options.params)
  const type = options.type ?? 'full'
  let full: FullChain | undefined
  let headers: HeaderChain | undefined
  if (type === 'full') {
    full = await openFullChain({ params, store: new MemoryBlockStore(), mempool: options.mempool })
  } else {
    headers = await HeaderChain.open({ params, store: new MemoryBlockStore() })
  }
  const node = await createPawNode({
    chainId: params.chainId,
    nodeType: type,
    chain: full !== undefined ? full : { headers: headers as HeaderChain },
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: null,
    logLevel: options.logLevel ?? 'error',
    // No automatic dialling: the topology is the parent's.
    limits: { minOutbound: 0, maxPeers: 200, maxInbound: 100, maxOutbound: 100 },
    // Every peer is on 127.0.0.1, so the whole network is one host to libp2p's guard.
    inbound: { perHostPerSecond: 1_000, maxPending: 64 },
    gossip: {
      ...(options.expectedTxPerSecond === undefined
        ? {}
        : { expectedTxPerSecond: options.expectedTxPerSecond }),
      ...(options.compactBlocks === undefined ? {} : { compactBlocks: options.compactBlocks }),
    },
  })
  const s: State = {
    init: options,
    node,
    full,
    headers,
    topics: pawTopics(params.chainId),
    received: { blocks: new Map(), headers: new Map() },
    blocks: [],
    txArrivals: new Map(),
    perSecond: new Map(),
    txReceived: 0,
    txLocal: 0,
    raw: undefined,
    gossipsubSent: new Map(),
    gossipsubMessages: {
      transactions: { events: 0, ids: new Set() },
      other: { events: 0, ids: new Set() },
    },
  }
  state = s
  await node.start()
  const pubsub = node.libp2p.services.pubsub as {
    addEventListener(
      type: 'gossipsub:message',
      listener: (event: CustomEvent<GossipsubMessage>) => void,
    ): void
  }
  pubsub.addEventListener('gossipsub:message', (event) => {
    const { msg, msgId } = event.detail
    const counts = s.gossipsubMessages[msg.topic === s.topics.transactions ? 'transactions' : 'other']
    counts.events++
    counts.ids.add(msgId)
    const received =
      msg.topic === s.topics.blocks
        ? s.received.blocks
        : msg.topic === s.topics.headers
          ? s.received.headers
          : undefined
    if (received === undefined || msg.data.length < HEADER_LENGTH) return
    try {
      const hash = toHex(blockHash(decodeHeader(msg.data.subarray(0, HEADER_LENGTH))))
      if (!received.has(hash)) received.set(hash, now())
    } catch {
      // not a block: PawGossip rejects it
    }
  })
  const report = (
    kind: 'block' | 'header',
    hash: string,
    height: number,
    from: string,
    transactions: number,
  ) => {
    const at = now()
    const arrival: BlockArrival = {
      kind,
      node: name,
      hash,
      height,
      receivedAt: s.received[kind === 'block' ? 'blocks' : 'headers'].get(hash),
      at,
      from,
      transactions,
      queuedTransactions: node.gossipStats().lanes.transactions.queued,
    }
    s.blocks.push(arrival)
    void send({ type: 'block', arrival })
  }
  // Arrivals by gossip: the chain events also report synced blocks and the node's own.
  node.addEventListener('block', ({ detail }) => {
    if (detail.source !== 'gossip') return
    report('block', detail.hash, detail.block.header.height, detail.from, detail.block.transactions.length)
  })
  node.addEventListener('header', ({ detail }) => {
    if (detail.source === 'gossip') report('header', detail.hash, detail.header.height, detail.from, 0)
  })
  node.addEventListener('transaction', ({ detail }) => {
    s.txReceived++
    countArrival(s, detail.id, now())
  })
  countGossipsubSends(node.libp2p.services.pubsub, s.gossipsubSent)
  return { peerId: node.peerId.toString(), addresses: node.getMultiaddrs().map(String) }
}

async function submit(request: ChildRequest & { type: 'submit' }): Promise<SubmitReport> {
  const s = need()
  const items = unpack(request.transactions)
  const { ratePerSecond, via } = request
  const batch = Math.max(1, request.batch)
  const failed: Record<string, number> = {}
  const fail = (key: string) => {
    failed[key] = (failed[key] ?? 0) + 1
  }
  let submitted = 0
  const pubsub = s.node.libp2p.services.pubsub as {
    publish(topic: string, data: Uint8Array): Promise<unknown>
  }
  const one = async (bytes: Uint8Array): Promise<void> => {
    if (via === 'raw') {
      // Not awaited one by one: gossipsub's publish is synchronous up to its promise.
      pubsub.publish(s.topics.transactions, bytes).then(
        () => {},
        (error: unknown) => fail((error as Error).message),
      )
      submitted++
      return
    }
    let tx: Transaction
    try {
      tx = decodeTransaction(bytes)
    } catch {
      fail('MALFORMED')
      return
    }
    const at = now()
    try {
      const result = await s.node.submitTransaction(tx)
      s.txLocal++
      countArrival(s, result.id, at)
      submitted++
    } catch (error) {
      fail(isChainError(error) ? error.code : (error as Error).message)
    }
  }
  const startedAt = now()
  let index = 0
  while (index < items.length) {
    // Everything due by now (paced), or the next batch (as fast as possible).
    const due =
      ratePerSecond === undefined
        ? Math.min(items.length, index + batch)
        : Math.min(items.length, Math.floor(((now() - startedAt) * ratePerSecond) / 1000) + 1)
    for (; index < due; index++) await one(items[index] as Uint8Array)
    if (index >= items.length) break
    if (ratePerSecond === undefined) await yieldToEventLoop()
    else await sleep(Math.max(1, startedAt + (index / ratePerSecond) * 1000 - now()))
  }
  const endedAt = now()
  return {
    submitted,
    failed,
    startedAt,
    endedAt,
    perSecond: (submitted * 1000) / Math.max(1, endedAt - startedAt),
  }
}

async function announce(request: ChildRequest & { type: 'announce' }): Promise<AnnounceReport> {
  const s = need()
  const full = s.full
  if (full === undefined) throw new Error('announce needs a full node')
  const t0 = now()
  let source: MinerMempool
  if (request.transactions !== undefined) {
    const given = unpack(request.transactions).map((bytes) => decodeTransaction(bytes))
    source = { select: () => given }
  } else {
    const max = request.fromMempool
    source = { select: (limits) => full.mempool.select({ ...limits, maxCount: max }) }
  }
  const { block: template } = await buildTemplate(full.chain, source, REWARD, Date.now())
  const header = await mineHeader(template.header)
  if (header === undefined) throw new Error('mining failed')
  const block: Block = { header, transactions: template.transactions }
  const hash = toHex(blockHash(header))
  let addedAt = 0
  const onTip = (event: CustomEvent<{ tip: { hash: Uint8Array } }>) => {
    if (toHex(event.detail.tip.hash) === hash) addedAt = now()
  }
  full.chain.addEventListener('tip', onTip as never)
  const announcedAt = now()
  let result: Awaited<ReturnType<PawNode['announceBlock']>>
  try {
    result = await s.node.announceBlock(block)
  } finally {
    full.chain.removeEventListener('tip', onTip as never)
  }
  const publishedAt = now()
  return {
    hash,
    height: header.height,
    transactions: block.transactions.length,
    bytes: BLOCK_PREFIX_LENGTH + TRANSACTION_LENGTH * block.transactions.length,
    outcome: result.outcome,
    recipients: result.recipients,
    announcedAt,
    addedAt: addedAt || publishedAt,
    publishedAt,
    buildMs: announcedAt - t0,
  }
}

/**
 * Counts the messages gossipsub sends, per topic (published, forwarded and answered IWANTs
 * alike): how many copies of a block each node sends, for bench/gossip. gossipsub 17's
 * sendRpc(peerId, rpc) is private; read as it is declared, left alone if it is not there.
 */
function countGossipsubSends(
  service: unknown,
  counts: Map<string, { messages: number; bytes: number }>,
): void {
  const pubsub = service as {
    sendRpc?: (id: string, rpc: { messages?: Array<{ topic: string; data?: Uint8Array }> }) => boolean
  }
  const original = pubsub.sendRpc
  if (typeof original !== 'function') return
  pubsub.sendRpc = function (id, rpc) {
    for (const message of rpc.messages ?? []) {
      const count = counts.get(message.topic) ?? { messages: 0, bytes: 0 }
      count.messages++
      count.bytes += message.data?.length ?? 0
      counts.set(message.topic, count)
    }
    return original.call(this, id, rpc)
  }
}

function status(): NodeStatus {
  const s = need()
  const { node, full, headers } = s
  const tip = full?.chain.tip() ?? headers?.tip()
  const pubsub = node.libp2p.services.pubsub as { getMeshPeers(topic: string): string[] }
  const usage = process.memoryUsage()
  const cpu = process.cpuUsage()
  return {
    name,
    peerId: node.peerId.toString(),
    tip: { height: tip?.height ?? 0, hash: tip === undefined ? '' : toHex(tip.hash) },
    mempool: full === undefined ? undefined : { size: full.mempool.size, bytes: full.mempool.bytes },
    gossip: node.gossipStats(),
    node: node.stats(),
    peers: node.peers().filter((p) => p.state === 'connected').length,
    mesh: Object.fromEntries(
      Object.entries(s.topics).map(([kind, topic]) => [kind, pubsub.getMeshPeers(topic).length]),
    ),
    memory: { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external },
    cpuMs: (cpu.user + cpu.system) / 1000,
    blocks: s.blocks.length,
    transactions: { received: s.txReceived, local: s.txLocal },
    gossipsubMessages: Object.fromEntries(
      Object.entries(s.gossipsubMessages).map(([kind, { events, ids }]) => [
        kind,
        { events, distinct: ids.size },
      ]),
    ) as NodeStatus['gossipsubMessages'],
    signatures: { ...signatureVerifyCounts },
    gossipsubSent: Object.fromEntries(s.gossipsubSent),
    protocolTraffic: node.protocolTraffic(),
  }
}

function transactions(request: ChildRequest & { type: 'transactions' }): TransactionReport {
  const s = need()
  const report: TransactionReport = {
    received: s.txReceived,
    local: s.txLocal,
    perSecond: [...s.perSecond].sort((a, b) => a[0] - b[0]),
  }
  if (request.arrivals) {
    report.arrivals =
      request.ids === undefined
        ? [...s.txArrivals]
        : request.ids.flatMap((id) => {
            const at = s.txArrivals.get(id)
            return at === undefined ? [] : [[id, at] as [string, number]]
          })
  }
  const mempool = s.full?.mempool
  if (request.ids !== undefined && mempool !== undefined) {
    report.pending = request.ids.reduce((sum, id) => sum + (mempool.has(id) ? 1 : 0), 0)
  }
  return report
}

// ---------------------------------------------------------------------------------------
// Raw baselines.

async function rawStart(): Promise<string> {
  const s = need()
  if (s.raw !== undefined) throw new Error('raw node already started')
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxReadBufferLength: STREAM_READ_BUFFER } })],
    connectionManager: { inboundConnectionThreshold: 1_000, maxConnections: 300 },
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      // PAW's message settings (unsigned, content-addressed, 10 MiB messages), no PAW validation.
      pubsub: gossipsub({
        globalSignaturePolicy: StrictNoSign,
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        fallbackToFloodsub: false,
        doPX: false,
        maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
        maxOutboundBufferSize: 4 * MAX_GOSSIP_MESSAGE_BYTES,
      }),
    },
  })
  await libp2p.start()
  const raw: RawNode = { libp2p, arrivals: [] }
  const pubsub = libp2p.services.pubsub
  countGossipsubSends(pubsub, s.gossipsubSent)
  pubsub.topicValidators.set(RAW_TOPIC, () => TopicValidatorResult.Accept)
  pubsub.addEventListener('gossipsub:message', (event) => {
    const { msg } = event.detail
    if (msg.topic !== RAW_TOPIC || msg.data.length < 4) return
    const seq = new DataView(msg.data.buffer, msg.data.byteOffset, 4).getUint32(0)
    raw.arrivals.push({ seq, at: now() })
  })
  pubsub.subscribe(RAW_TOPIC)
  await libp2p.handle(RAW_STREAM_PROTOCOL, (stream) => sink(stream), { maxInboundStreams: 64 })
  s.raw = raw
  const address = libp2p.getMultiaddrs().find((a) => a.toString().includes('/tcp/'))
  if (address === undefined) throw new Error('the raw node has no TCP address')
  return address.toString()
}

function needRaw(): RawNode {
  const raw = need().raw
  if (raw === undefined) throw new Error('raw node not started')
  return raw
}

/** The sink side: reads a 4-byte length, then that many bytes, then answers one byte. */
function sink(stream: Stream): void {
  let expected = -1
  let got = 0
  let head = new Uint8Array(0)
  stream.addEventListener('message', (event) => {
    const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    if (expected < 0) {
      const joined = new Uint8Array(head.length + data.length)
      joined.set(head)
      joined.set(data, head.length)
      if (joined.length < 4) {
        head = joined
        return
      }
      expected = new DataView(joined.buffer, joined.byteOffset, 4).getUint32(0)
      got = joined.length - 4
    } else {
      got += data.length
    }
    if (got >= expected) {
      stream.send(new Uint8Array([1]))
      stream.close().catch(() => stream.abort(new Error('close failed')))
    }
  })
}

async function rawStream(request: ChildRequest & { type: 'raw-stream' }): Promise<number[]> {
  const raw = needRaw()
  const connection = await raw.libp2p.dial(multiaddr(request.address))
  const payload = new Uint8Array(4 + request.bytes)
  new DataView(payload.buffer).setUint32(0, request.bytes)
  for (let i = 4; i < payload.length; i++) payload[i] = i & 0xff
  const chunk = 64 * 1024
  const times: number[] = []
  for (let round = 0; round < request.rounds; round++) {
    const t0 = now()
    const stream = await connection.newStream(RAW_STREAM_PROTOCOL)
    const acked = new Promise<void>((resolve, reject) => {
      stream.addEventListener('message', () => resolve())
      stream.addEventListener('close', (event) => reject(event.error ?? new Error('closed before the ack')))
    })
    for (let offset = 0; offset < payload.length; offset += chunk) {
      if (!stream.send(payload.subarray(offset, offset + chunk))) {
        await new Promise<void>((resolve) =>
          stream.addEventListener('drain', () => resolve(), { once: true }),
        )
      }
    }
    await acked
    times.push(now() - t0)
    await stream.close().catch(() => stream.abort(new Error('close failed')))
  }
  return times
}

async function rawPublish(request: ChildRequest & { type: 'raw-publish' }): Promise<{
  publishedAt: number
  recipients: number
}> {
  const raw = needRaw()
  const data = new Uint8Array(Math.max(4, request.bytes))
  for (let i = 4; i < data.length; i++) data[i] = (i * 31 + request.seq) & 0xff
  new DataView(data.buffer).setUint32(0, request.seq)
  const publishedAt = now()
  const result = await raw.libp2p.services.pubsub.publish(RAW_TOPIC, data)
  return { publishedAt, recipients: result.recipients.length }
}

// ---------------------------------------------------------------------------------------

async function shutdown(): Promise<void> {
  stopping ??= (async () => {
    const s = state
    if (s === undefined) return
    await Promise.allSettled([s.node.stop(), s.raw?.libp2p.stop()])
  })()
  return stopping
}

async function handle(request: ChildRequest): Promise<unknown> {
  switch (request.type) {
    case 'init':
      return init(request.init)
    case 'addresses':
      return need().node.getMultiaddrs().map(String)
    case 'connect': {
      const info = await need().node.connectToPeer(request.address, { signal: AbortSignal.timeout(10_000) })
      return { peerId: info.peerId, state: info.state }
    }
    case 'submit':
      return submit(request)
    case 'announce':
      return announce(request)
    case 'status':
      return status()
    case 'transactions':
      return transactions(request)
    case 'idle':
      await need().node.gossipIdle()
      return undefined
    case 'raw-start':
      return rawStart()
    case 'raw-connect':
      await needRaw().libp2p.dial(multiaddr(request.address), { signal: AbortSignal.timeout(10_000) })
      return undefined
    case 'raw-publish':
      return rawPublish(request)
    case 'raw-arrivals':
      return needRaw().arrivals
    case 'raw-stream':
      return rawStream(request)
    case 'stop':
      await shutdown()
      return undefined
  }
}

if (process.send === undefined) {
  console.error('node-process-child.ts is forked by test/support/node-process.ts: it needs an IPC channel')
  process.exit(2)
}

process.on('disconnect', () => {
  void shutdown().finally(() => process.exit(0))
})

process.on('message', (request: ChildRequest) => {
  void (async () => {
    try {
      const value = await handle(request)
      await send({ type: 'result', id: request.id, value })
      if (request.type === 'stop') process.exit(0)
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      await send({ type: 'error', id: request.id, message })
    }
  })()
})

void send({ type: 'loaded' })
