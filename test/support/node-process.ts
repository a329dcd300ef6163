/**
 * PAW nodes in child processes, for e2e tests and benchmarks whose latencies must not be
 * distorted by sharing one event loop: each child (node-process-child.ts) runs one PawNode
 * with a full or light chain on an in-memory store, listening on 127.0.0.1, and answers
 * requests over IPC (structured-clone serialization, so bytes and bigints travel as they
 * are). Every time a child reports is `now()`: performance.timeOrigin + performance.now(),
 * comparable across processes on one machine.
 *
 * Also here: topologies (a line, a sparse random graph) and bulk test data (accounts and
 * transactions signed with node:crypto, ~5x faster than noble; Ed25519 is deterministic,
 * so the signatures are the same bytes signTransaction makes).
 *
 *   const nodes = await startNodeProcesses(5, { params })
 *   await connectEdges(nodes, lineEdges(5))
 *   const sent = await nodes[0].announce({ transactions })
 *   const arrival = await nodes[4].waitForBlock(sent.hash)
 *   await stopNodeProcesses(nodes)
 *
 * Children are killed when this process exits, and exit by themselves when it goes away
 * (their IPC channel closes).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { setPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NodeStats } from '../../src/api/index.ts'
import { encodeTransaction, TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { type ChainParamsJson, paramsToJson } from '../../src/chain/params.ts'
import type { ChainParams, Transaction } from '../../src/chain/types.ts'
import type { LogLevel } from '../../src/config/defaults.ts'
import type { GossipStats } from '../../src/gossip/gossip-service.ts'
import { fromHex } from '../../src/wire/bytes.ts'

/** A timestamp in ms comparable across the processes of one machine (sub-ms resolution). */
export function now(): number {
  return performance.timeOrigin + performance.now()
}

// ---------------------------------------------------------------------------------------
// The IPC protocol (shared with node-process-child.ts).

export interface ChildInit {
  /** A label for errors and logs. */
  name: string
  params: ChainParamsJson
  /** @default 'full' */
  type?: 'full' | 'light'
  /** Mempool bounds of a full node (node defaults: 5,000 transactions, 16 MiB). */
  mempool?: { maxCount?: number; maxBytes?: number }
  /** @default 'error' */
  logLevel?: LogLevel
  /** PawNodeInit.gossip.expectedTxPerSecond (gossipsub score parameters). */
  expectedTxPerSecond?: number
  /** PawNodeInit.gossip.compactBlocks. @default the node's (on) */
  compactBlocks?: boolean
  /**
   * Record the arrival time of every transaction (id → time) for `transactions({ arrivals })`.
   * @default true
   */
  trackTransactions?: boolean
}

/** A block (full node) or header (light node) the node accepted from gossip. */
export interface BlockArrival {
  kind: 'block' | 'header'
  /** Name of the node that reports it. */
  node: string
  hash: string
  height: number
  /** When gossipsub handed the message over, before validation (undefined if not seen). */
  receivedAt: number | undefined
  /** When it was validated and added to the chain (the node's 'block' / 'header' event). */
  at: number
  /** The peer that delivered it. */
  from: string
  /** Transactions in the block, coinbase included (0 for a header). */
  transactions: number
  /** Transactions waiting in the node's gossip queue at that moment. */
  queuedTransactions: number
}

export interface SubmitOptions {
  /**
   * 'node': node.submitTransaction (validated into the local mempool, then flooded);
   * 'raw': the bytes published on the transaction topic as they are, unchecked (a flood).
   * @default 'node'
   */
  via?: 'node' | 'raw'
  /** Steady rate in transactions per second; default as fast as possible. */
  ratePerSecond?: number
  /** Submissions between two turns of the event loop when unpaced. @default 64 */
  batch?: number
  /** Request timeout. @default 120 s */
  timeoutMs?: number
}

export interface SubmitReport {
  /** Accepted by submitTransaction, or handed to gossipsub (raw). */
  submitted: number
  /** Refused, by error code or message. */
  failed: Record<string, number>
  startedAt: number
  endedAt: number
  /** Achieved rate. */
  perSecond: number
}

export interface AnnounceOptions {
  /**
   * The block's transfers, in this order (encoded; a sender's nonces ascending). Without
   * them the block is built from the node's mempool, best fee first.
   */
  transactions?: ReadonlyArray<Uint8Array | string>
  /** Most transfers taken from the mempool. @default as many as fit */
  fromMempool?: number
  /** @default 60 s */
  timeoutMs?: number
}

export interface AnnounceReport {
  hash: string
  height: number
  /** Transactions, coinbase included. */
  transactions: number
  bytes: number
  outcome: string
  /** Peers the block was sent to directly. */
  recipients: number
  /** Just before node.announceBlock (the block built and mined). */
  announcedAt: number
  /** The local chain had added it (its 'tip' event), inside announceBlock. */
  addedAt: number
  /** announceBlock resolved: published to the mesh. */
  publishedAt: number
  /** Time to build and mine the block, before announcedAt. */
  buildMs: number
}

export interface TransactionReport {
  /** Transactions that entered the mempool from peers (gossip or mempool sync). */
  received: number
  /** Transactions submitted here with via 'node'. */
  local: number
  /** [second (floor(now()/1000)), transactions that arrived in it]: received and local. */
  perSecond: Array<[number, number]>
  /** id → arrival time, if asked for (and tracked). */
  arrivals?: Array<[string, number]>
  /** Of `ids`, if given, how many are in the mempool now (full node). */
  pending?: number
}

export interface NodeStatus {
  name: string
  peerId: string
  tip: { height: number; hash: string }
  mempool: { size: number; bytes: number } | undefined
  gossip: GossipStats
  node: NodeStats
  /** Handshaken peers. */
  peers: number
  /** gossipsub mesh peers per topic kind. */
  mesh: Record<string, number>
  memory: { rss: number; heapUsed: number; external: number }
  /** CPU time the process used since it started, ms (user + system). */
  cpuMs: number
  /** Block and header arrivals so far. */
  blocks: number
  transactions: { received: number; local: number }
  /**
   * gossipsub's 'gossipsub:message' events (each a message handed to validation as new) on
   * the transaction topic and on the others, with how many distinct message ids they had.
   */
  gossipsubMessages: Record<'transactions' | 'other', { events: number; distinct: number }>
  /** Messages the node's gossipsub sent, per topic: copies, and their data bytes. */
  gossipsubSent: Record<string, { messages: number; bytes: number }>
  /** The node's traffic per PAW stream protocol (PawNode.protocolTraffic). */
  protocolTraffic: Record<string, { bytesSent: number; bytesReceived: number }>
  /** signatureVerifyCounts of the process (src/chain/signing.ts): verified (fast, noble) or cache hits. */
  signatures: { fast: number; noble: number; cached: number }
}

/** Raw baselines: a plain libp2p node (TCP, Noise, yamux) with gossipsub and no PAW code. */
export interface RawArrival {
  seq: number
  at: number
}

export type ChildRequest =
  | { id: number; type: 'init'; init: ChildInit }
  | { id: number; type: 'addresses' }
  | { id: number; type: 'connect'; address: string }
  | {
      id: number
      type: 'submit'
      transactions: Uint8Array
      via: 'node' | 'raw'
      ratePerSecond: number | undefined
      batch: number
    }
  | { id: number; type: 'announce'; transactions: Uint8Array | undefined; fromMempool: number | undefined }
  | { id: number; type: 'status' }
  | { id: number; type: 'transactions'; arrivals: boolean; ids: string[] | undefined }
  | { id: number; type: 'idle' }
  | { id: number; type: 'raw-start' }
  | { id: number; type: 'raw-connect'; address: string }
  | { id: number; type: 'raw-publish'; seq: number; bytes: number }
  | { id: number; type: 'raw-arrivals' }
  | { id: number; type: 'raw-stream'; address: string; bytes: number; rounds: number }
  | { id: number; type: 'stop' }

export type ChildMessage =
  | { type: 'loaded' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number | undefined; message: string }
  | { type: 'block'; arrival: BlockArrival }

// ---------------------------------------------------------------------------------------
// The parent side.

const CHILD_SCRIPT = fileURLToPath(new URL('./node-process-child.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000
const REQUEST_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 5_000

/** Every child this process started, so an exit or a failure can end them. */
const running = new Set<ChildProcess>()

/** SIGKILLs every child still running (process exit, a failed run). */
export function killNodeProcesses(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

process.on('exit', killNodeProcesses)

export interface NodeProcessInit extends Omit<ChildInit, 'name' | 'params'> {
  name?: string
  params: ChainParams
  /** Extra Node flags for the child (e.g. --expose-gc, --cpu-prof). */
  execArgv?: string[]
  /**
   * CPU niceness of the child (os.setPriority; 19 is the lowest priority). A load generator
   * sharing a small machine with the nodes it loads can run at 19: it then publishes as
   * fast as the CPU the nodes leave idle allows, as it would on a machine of its own,
   * instead of taking CPU from the nodes under test.
   */
  nice?: number
}

/** Encoded transactions as one buffer of n × 152 bytes (strings: hex or base64). */
export function packTransactions(transactions: ReadonlyArray<Uint8Array | string | Transaction>): Uint8Array {
  const packed = new Uint8Array(transactions.length * TRANSACTION_LENGTH)
  transactions.forEach((item, index) => {
    let bytes: Uint8Array
    if (typeof item === 'string') {
      bytes = /^[0-9a-f]*$/i.test(item) ? fromHex(item) : new Uint8Array(Buffer.from(item, 'base64'))
    } else if (item instanceof Uint8Array) {
      bytes = item
    } else {
      bytes = encodeTransaction(item)
    }
    if (bytes.length !== TRANSACTION_LENGTH) {
      throw new TypeError(`transaction ${index} is ${bytes.length} bytes, not ${TRANSACTION_LENGTH}`)
    }
    packed.set(bytes, index * TRANSACTION_LENGTH)
  })
  return packed
}

export class NodeProcess {
  readonly name: string
  readonly #child: ChildProcess
  readonly #pending = new Map<number, PromiseWithResolvers<unknown> & { type: string }>()
  readonly #exited: Promise<void>
  readonly #arrivals: BlockArrival[] = []
  readonly #arrivalWaiters = new Set<() => void>()
  /** Resolves when the child's modules loaded and it listens for requests. */
  readonly #loaded = Promise.withResolvers<void>()
  #nextId = 1
  #peerId = ''
  #addresses: string[] = []

  private constructor(name: string, child: ChildProcess) {
    this.name = name
    this.#child = child
    running.add(child)
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child)
        for (const waiting of this.#pending.values()) {
          waiting.reject(new Error(`${name} exited (code ${code}, signal ${signal}) during ${waiting.type}`))
        }
        this.#pending.clear()
        this.#loaded.reject(new Error(`${name} exited (code ${code}, signal ${signal}) while starting`))
        resolve()
      })
    })
    child.on('message', (message: ChildMessage) => this.#onMessage(message))
  }

  /** Forks a child and starts its node; rejects if it does not come up within 30 s. */
  static async start(init: NodeProcessInit): Promise<NodeProcess> {
    const { params, execArgv = [], name = 'node', nice, ...rest } = init
    const child = fork(CHILD_SCRIPT, [name], {
      execPath: process.execPath,
      // Not the parent's flags (vitest's loaders, a debugger port): the child's own.
      execArgv,
      // Node's on-disk compile cache (its default directory): a third less start-up CPU.
      env: { NODE_COMPILE_CACHE: join(tmpdir(), 'node-compile-cache'), ...process.env },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const node = new NodeProcess(name, child)
    try {
      if (nice !== undefined && child.pid !== undefined) setPriority(child.pid, nice)
      // A request sent before the child listens could be lost: wait for it to say so.
      const timer = setTimeout(
        () => node.#loaded.reject(new Error(`${name} did not load in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      )
      await node.#loaded.promise.finally(() => clearTimeout(timer))
      const ready = (await node.#request(
        { type: 'init', init: { ...rest, name, params: paramsToJson(params) } },
        START_TIMEOUT_MS,
      )) as { peerId: string; addresses: string[] }
      node.#peerId = ready.peerId
      node.#addresses = ready.addresses
      return node
    } catch (error) {
      node.kill()
      throw error
    }
  }

  get peerId(): string {
    return this.#peerId
  }

  /** Listen multiaddrs with /p2p/<peer id>, as of start. */
  get addresses(): string[] {
    return [...this.#addresses]
  }

  /** The TCP listen address. */
  get address(): string {
    const found = this.#addresses.find((a) => a.includes('/tcp/') && !a.includes('/ws'))
    if (found === undefined) throw new Error(`${this.name} has no TCP address`)
    return found
  }

  /** The process id of the child. */
  get pid(): number | undefined {
    return this.#child.pid
  }

  /** Blocks and headers the node accepted from gossip so far (pushed as they happen). */
  get arrivals(): readonly BlockArrival[] {
    return this.#arrivals
  }

  async multiaddrs(): Promise<string[]> {
    return (await this.#request({ type: 'addresses' })) as string[]
  }

  /** connectToPeer (dial + /paw/handshake/1). */
  async connect(to: string | NodeProcess): Promise<void> {
    const address = typeof to === 'string' ? to : to.address
    await this.#request({ type: 'connect', address })
  }

  /** Submits (or, via 'raw', floods) encoded transactions; resolves when all were handed over. */
  async submit(
    transactions: ReadonlyArray<Uint8Array | string | Transaction>,
    options: SubmitOptions = {},
  ): Promise<SubmitReport> {
    const { via = 'node', ratePerSecond, batch = 64, timeoutMs = 120_000 } = options
    if (ratePerSecond !== undefined && !(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0')
    return (await this.#request(
      { type: 'submit', transactions: packTransactions(transactions), via, ratePerSecond, batch },
      timeoutMs,
    )) as SubmitReport
  }

  /** Builds, mines and announces the next block on the node's tip. */
  async announce(options: AnnounceOptions = {}): Promise<AnnounceReport> {
    const { transactions, fromMempool, timeoutMs = 60_000 } = options
    return (await this.#request(
      {
        type: 'announce',
        transactions: transactions === undefined ? undefined : packTransactions(transactions),
        fromMempool,
      },
      timeoutMs,
    )) as AnnounceReport
  }

  async status(): Promise<NodeStatus> {
    return (await this.#request({ type: 'status' })) as NodeStatus
  }

  /** Transaction arrivals; with `arrivals`, the time of each (of `ids` only, if given). */
  async transactions(options: { arrivals?: boolean; ids?: string[] } = {}): Promise<TransactionReport> {
    return (await this.#request({
      type: 'transactions',
      arrivals: options.arrivals ?? false,
      ids: options.ids,
    })) as TransactionReport
  }

  /** Resolves once the node's gossip queue is empty (node.gossipIdle()). */
  async gossipIdle(timeoutMs = REQUEST_TIMEOUT_MS): Promise<void> {
    await this.#request({ type: 'idle' }, timeoutMs)
  }

  /** The arrival of block `hash`, waiting up to `timeoutMs` for it. */
  async waitForBlock(hash: string, timeoutMs = 30_000): Promise<BlockArrival> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const found = this.#arrivals.find((a) => a.hash === hash)
      if (found !== undefined) return found
      const left = deadline - performance.now()
      if (left <= 0)
        throw new Error(`${this.name}: block ${hash.slice(0, 12)}… did not arrive in ${timeoutMs} ms`)
      // Woken by the next arrival (any block) or the deadline, whichever comes first.
      const { promise, resolve } = Promise.withResolvers<void>()
      const timer = setTimeout(resolve, left)
      this.#arrivalWaiters.add(resolve)
      await promise
      clearTimeout(timer)
      this.#arrivalWaiters.delete(resolve)
    }
  }

  /** Raw baseline: starts a plain libp2p + gossipsub node in the child; its TCP address. */
  async rawStart(): Promise<string> {
    return (await this.#request({ type: 'raw-start' })) as string
  }

  async rawConnect(address: string): Promise<void> {
    await this.#request({ type: 'raw-connect', address })
  }

  /** Publishes `bytes` bytes (the first 4 are `seq`) on the raw topic; the time just before. */
  async rawPublish(seq: number, bytes: number): Promise<{ publishedAt: number; recipients: number }> {
    return (await this.#request({ type: 'raw-publish', seq, bytes })) as {
      publishedAt: number
      recipients: number
    }
  }

  /** Raw gossipsub messages received so far, by seq. */
  async rawArrivals(): Promise<RawArrival[]> {
    return (await this.#request({ type: 'raw-arrivals' })) as RawArrival[]
  }

  /**
   * Raw baseline: `rounds` times, a new stream to `address`'s raw node, `bytes` written, one
   * byte acknowledged once all arrived; the ms of each round (one hop, plus the ack's way back).
   */
  async rawStream(address: string, bytes: number, rounds: number): Promise<number[]> {
    return (await this.#request({ type: 'raw-stream', address, bytes, rounds }, 120_000)) as number[]
  }

  /** Stops the node gracefully and waits for the process to exit; kills it after 5 s. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    try {
      await this.#request({ type: 'stop' }, STOP_TIMEOUT_MS).catch(() => this.#child.kill('SIGKILL'))
      await this.#exited
    } finally {
      clearTimeout(timer)
    }
  }

  kill(): void {
    this.#child.kill('SIGKILL')
  }

  #onMessage(message: ChildMessage): void {
    if (message.type === 'block') {
      this.#arrivals.push(message.arrival)
      for (const wake of [...this.#arrivalWaiters]) wake()
      return
    }
    if (message.type === 'loaded') {
      this.#loaded.resolve()
      return
    }
    if (message.id === undefined) {
      console.error(`${this.name}: ${message.type === 'error' ? message.message : 'unexpected message'}`)
      return
    }
    const waiting = this.#pending.get(message.id)
    if (waiting === undefined) return
    this.#pending.delete(message.id)
    if (message.type === 'result') waiting.resolve(message.value)
    else waiting.reject(new Error(`${this.name} (${waiting.type}): ${message.message}`))
  }

  #request(
    body: DistributiveOmit<ChildRequest, 'id'>,
    timeoutMs: number = REQUEST_TIMEOUT_MS,
  ): Promise<unknown> {
    const id = this.#nextId++
    const waiting = { ...Promise.withResolvers<unknown>(), type: body.type }
    this.#pending.set(id, waiting)
    const timer = setTimeout(() => {
      this.#pending.delete(id)
      waiting.reject(new Error(`${this.name}: ${body.type} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    try {
      this.#child.send({ ...body, id } as ChildRequest)
    } catch (error) {
      this.#pending.delete(id)
      clearTimeout(timer)
      return Promise.reject(error)
    }
    return waiting.promise.finally(() => clearTimeout(timer))
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/**
 * Starts `count` node processes, at most `concurrency` starting at once (each start loads
 * the node's modules: CPU-bound). On a failure the started ones are killed.
 */
export async function startNodeProcesses(
  count: number,
  init: NodeProcessInit | ((index: number) => NodeProcessInit),
  concurrency = 4,
): Promise<NodeProcess[]> {
  const nodes: NodeProcess[] = new Array(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      const base = typeof init === 'function' ? init(index) : init
      nodes[index] = await NodeProcess.start({ name: `node-${index}`, ...base })
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, count) }, worker))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) {
    for (const node of nodes) node?.kill()
    throw (failed as PromiseRejectedResult).reason
  }
  return nodes
}

/** Stops all gracefully (in parallel); never rejects. */
export async function stopNodeProcesses(nodes: ReadonlyArray<NodeProcess | undefined>): Promise<void> {
  await Promise.allSettled(nodes.map((node) => node?.stop()))
}

// ---------------------------------------------------------------------------------------
// Topologies: [dialer, listener] index pairs.

/** 0 — 1 — 2 — … — count-1. */
export function lineEdges(count: number): Array<[number, number]> {
  return Array.from({ length: count - 1 }, (_, i) => [i + 1, i] as [number, number])
}

/**
 * A sparse connected graph: node i (≥ 1) dials i − 1 and 1 or 2 random earlier nodes, so
 * each dials 2–3 others (node 1 only one: there is nobody else yet), deterministic per seed.
 */
export function sparseEdges(count: number, seed = 12345): Array<[number, number]> {
  const edges: Array<[number, number]> = []
  let state = seed
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31
  }
  for (let i = 1; i < count; i++) {
    const wanted = Math.min(i, 2 + (random() < 0.5 ? 1 : 0))
    const targets = new Set<number>([i - 1])
    while (targets.size < wanted) targets.add(Math.floor(random() * i))
    for (const target of targets) edges.push([i, target])
  }
  return edges
}

/** Hop distances from `from` over `edges` (undirected). */
export function hopDistances(count: number, edges: ReadonlyArray<[number, number]>, from: number): number[] {
  const distance = new Array<number>(count).fill(Number.POSITIVE_INFINITY)
  distance[from] = 0
  const queue = [from]
  while (queue.length > 0) {
    const at = queue.shift() as number
    for (const [a, b] of edges) {
      const other = a === at ? b : b === at ? a : undefined
      if (other !== undefined && distance[other] === Number.POSITIVE_INFINITY) {
        distance[other] = (distance[at] as number) + 1
        queue.push(other)
      }
    }
  }
  return distance
}

/** Connects every edge (dialer.connect(listener)), a few at a time. */
export async function connectEdges(
  nodes: readonly NodeProcess[],
  edges: ReadonlyArray<[number, number]>,
  concurrency = 8,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < edges.length) {
      const [from, to] = edges[next++] as [number, number]
      await (nodes[from] as NodeProcess).connect(nodes[to] as NodeProcess)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, edges.length) }, worker))
}

/** Connects the raw baseline nodes along the same edges (addresses from rawStart). */
export { type BulkAccount, bulkAccounts, bulkTransfers, signBulk } from './bulk-sign.ts'

export async function connectRawEdges(
  nodes: readonly NodeProcess[],
  rawAddresses: readonly string[],
  edges: ReadonlyArray<[number, number]>,
): Promise<void> {
  await Promise.all(
    edges.map(([from, to]) => (nodes[from] as NodeProcess).rawConnect(rawAddresses[to] as string)),
  )
}

// ---------------------------------------------------------------------------------------
// Bulk test data.
