/**
 * The serving side of bench/sync, in its own process (forked by index.ts), so that the
 * client's decoding and validation do not share an event loop (or a signature cache) with
 * the server:
 *
 * - PAW node A: a full node storing the throughput chain (a few ~1 MiB blocks); its
 *   blockRequests limit is raised for the bench (see index.ts);
 * - PAW node B: a full node storing the sync chain, default limits;
 * - a plain libp2p node (TCP, Noise, yamux with PAW's read buffer; no PAW code) whose
 *   handler reads a 4-byte length and sends that many bytes in 1 MiB writes, waiting for
 *   'drain' events under backpressure;
 * - a node:net TCP server doing the same on a bare socket.
 *
 * Both chains' blocks arrive encoded over IPC and are added with chain.addBlock (so
 * validated here, untimed). Exits when the parent goes away.
 */
import { createServer, type Socket } from 'node:net'
import { identify } from '@libp2p/identify'
import type { Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { PawNode } from '../../src/api/index.ts'
import { decodeBlock } from '../../src/chain/encoding.ts'
import type { ChainParams } from '../../src/chain/types.ts'
import { createPawNode } from '../../src/node/index.ts'
import { MAX_FRAME_LENGTH } from '../../src/wire/constants.ts'
import { openTestFullChain } from '../../test/support/chain-nodes.ts'

export const RAW_PROTOCOL = '/bench/sync-raw/1'
/** The raw stream's read buffer: above the largest frame, so reading never pauses on it. */
export const STREAM_READ_BUFFER = MAX_FRAME_LENGTH + 1024 * 1024
export const RAW_CHUNK = 1024 * 1024
/**
 * Generous enough not to throttle the throughput rounds (the default is 32 tokens/s, one
 * per started MiB of an answer, burst 512: 32 MiB/s after the first 512 MiB).
 */
export const BENCH_BLOCK_REQUESTS = {
  ratePerSecond: 10_000,
  burst: 10_000,
  rationale: 'bench: not throttled',
}

export interface ServerInit {
  type: 'init'
  paramsA: ChainParams
  blocksA: Uint8Array[]
  paramsB: ChainParams
  blocksB: Uint8Array[]
}

export interface ServerReady {
  type: 'ready'
  pawA: string
  pawB: string
  rawLibp2p: string
  rawTcpPort: number
  setupMs: number
}

const payload = new Uint8Array(RAW_CHUNK).map((_, i) => i & 0xff)

function lengthOf(head: Uint8Array): number {
  return new DataView(head.buffer, head.byteOffset, 4).getUint32(0)
}

/** Sends `total` bytes on a libp2p stream in RAW_CHUNK writes, waiting for 'drain' when told to. */
async function sendRaw(stream: Stream, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += RAW_CHUNK) {
    const chunk = total - sent >= RAW_CHUNK ? payload : payload.subarray(0, total - sent)
    if (!stream.send(chunk)) {
      await new Promise<void>((resolve) => stream.addEventListener('drain', () => resolve(), { once: true }))
    }
  }
  await stream.close()
}

function serveRawStream(stream: Stream): void {
  let head = new Uint8Array(0)
  const onMessage = (event: { data: Uint8Array | { subarray(): Uint8Array } }): void => {
    const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    const joined = new Uint8Array(head.length + data.length)
    joined.set(head)
    joined.set(data, head.length)
    head = joined
    if (head.length < 4) return
    stream.removeEventListener('message', onMessage as never)
    sendRaw(stream, lengthOf(head)).catch((error: unknown) => stream.abort(error as Error))
  }
  stream.addEventListener('message', onMessage as never)
}

function serveRawSocket(socket: Socket): void {
  socket.setNoDelay(true)
  let head = Buffer.alloc(0)
  const onData = (data: Buffer): void => {
    head = Buffer.concat([head, data])
    if (head.length < 4) return
    socket.off('data', onData)
    const total = head.readUInt32BE(0)
    void (async () => {
      for (let sent = 0; sent < total; sent += RAW_CHUNK) {
        const chunk = total - sent >= RAW_CHUNK ? payload : payload.subarray(0, total - sent)
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
      }
      socket.end()
    })().catch(() => socket.destroy())
  }
  socket.on('data', onData)
  socket.on('error', () => undefined)
}

async function fullNode(params: ChainParams, encoded: Uint8Array[], raiseLimits: boolean) {
  const full = await openTestFullChain(params)
  for (const bytes of encoded) await full.chain.addBlock(decodeBlock(bytes))
  if (full.chain.tip().height !== encoded.length) throw new Error('server: a block was not added')
  const node = await createPawNode({
    chainId: params.chainId,
    nodeType: 'full',
    chain: full,
    listenHost: '127.0.0.1',
    tcpPort: 0,
    wsPort: null,
    autoSync: false,
    logLevel: 'error',
    ...(raiseLimits ? { rateLimits: { blockRequests: BENCH_BLOCK_REQUESTS } } : {}),
  })
  await node.start()
  return node
}

function tcpAddress(node: { getMultiaddrs(): Array<{ toString(): string }> }): string {
  const address = node.getMultiaddrs().find((a) => a.toString().includes('/tcp/'))
  if (address === undefined) throw new Error('no TCP address')
  return address.toString()
}

async function main(init: ServerInit): Promise<void> {
  const started = performance.now()
  const nodes: PawNode[] = [
    await fullNode(init.paramsA, init.blocksA, true),
    await fullNode(init.paramsB, init.blocksB, false),
  ]
  const raw = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxReadBufferLength: STREAM_READ_BUFFER } })],
    connectionMonitor: { enabled: false },
    services: { identify: identify() },
  })
  await raw.start()
  await raw.handle(RAW_PROTOCOL, (stream) => serveRawStream(stream), { maxInboundStreams: 8 })
  const server = createServer(serveRawSocket)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  process.on('disconnect', () => {
    void Promise.allSettled([...nodes.map((n) => n.stop()), raw.stop()]).finally(() => process.exit(0))
  })
  const ready: ServerReady = {
    type: 'ready',
    pawA: tcpAddress(nodes[0] as PawNode),
    pawB: tcpAddress(nodes[1] as PawNode),
    rawLibp2p: tcpAddress(raw),
    rawTcpPort: port,
    setupMs: performance.now() - started,
  }
  process.send?.(ready)
}

if (process.send !== undefined) {
  process.once('message', (init: ServerInit) => {
    main(init).catch((error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
      process.exit(1)
    })
  })
}
