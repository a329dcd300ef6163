/**
 * A hostile PAW peer written the way a stranger would write one: from protocols/*.md and
 * docs/chain.md alone. It imports nothing from src/: its framing ([u32 L][u16 T][type]
 * [payload], framing.md), its handshake (65 bytes: version, padded chain ID, raw Ed25519
 * key; handshake.md), its requests (blocks.md) and its transactions (docs/chain.md
 * "Transaction: 152 bytes") are its own code, so what the node does to it is what the
 * documents promise, not what our encoder happens to do.
 *
 * It runs in a process of its own (forked by stranger-peer.ts over test/support/ipc-child.ts)
 * so that its keys, Noise and buffers are not counted in the node's memory, and is driven
 * over IPC: `connect` opens
 * handshaken (or silent) connections, each attack works on some of them in the background,
 * and `status` says what the node did to each (when it closed the connection, the reject
 * it answered a handshake with, the streams it reset). Exits when the parent goes away. Its
 * only imports from this repository are the IPC plumbing and the types of its requests.
 */
import { createHash } from 'node:crypto'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { serveRequests } from '../support/ipc-child.ts'
import type { Attack, ConnectArgs } from './stranger-peer.ts'

process.title = 'paw-stranger-peer'

// --- framing.md ------------------------------------------------------------------------

/** 10 MiB: the largest L any frame may have (framing.md "Wire layout"). */
const MAX_L = 10 * 1024 * 1024

function frameHeader(type: string, length: number): Uint8Array {
  const typeBytes = Buffer.from(type, 'ascii')
  const header = Buffer.alloc(6 + typeBytes.length)
  header.writeUInt32BE(length, 0)
  header.writeUInt16BE(typeBytes.length, 4)
  typeBytes.copy(header, 6)
  return header
}

function frame(type: string, payload: Uint8Array): Uint8Array {
  return Buffer.concat([frameHeader(type, 2 + type.length + payload.length), payload])
}

/** Reads frames from a stream's bytes: whole ones, in order. */
class FrameReader {
  #buffer = Buffer.alloc(0)
  push(chunk: Uint8Array): Array<{ type: string; payload: Buffer }> {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    const out: Array<{ type: string; payload: Buffer }> = []
    while (this.#buffer.length >= 6) {
      const length = this.#buffer.readUInt32BE(0)
      if (this.#buffer.length < 4 + length) break
      const typeLength = this.#buffer.readUInt16BE(4)
      const type = this.#buffer.subarray(6, 6 + typeLength).toString('ascii')
      out.push({ type, payload: Buffer.from(this.#buffer.subarray(6 + typeLength, 4 + length)) })
      this.#buffer = this.#buffer.subarray(4 + length)
    }
    return out
  }
}

// --- handshake.md, blocks.md, docs/chain.md --------------------------------------------

function handshakePayload(chainId: string, key: PrivateKey): Uint8Array {
  const payload = Buffer.alloc(65)
  payload[0] = 0x01
  Buffer.from(chainId, 'utf8').copy(payload, 1)
  Buffer.from(key.publicKey.raw).copy(payload, 33)
  return payload
}

/** get_blocks: u32 start height, u16 count (blocks.md). */
function getBlocks(start: number, count: number): Uint8Array {
  const payload = Buffer.alloc(6)
  payload.writeUInt32BE(start, 0)
  payload.writeUInt16BE(count, 4)
  return frame('get_blocks', payload)
}

/** A well-formed 152-byte transaction whose signature is 64 random-looking bytes: it never verifies. */
function badSignatureTransaction(index: number): Uint8Array {
  const tx = Buffer.alloc(152)
  createHash('sha256').update(`from-${index}`).digest().copy(tx, 0)
  createHash('sha256').update(`to-${index}`).digest().copy(tx, 32)
  tx.writeBigUInt64BE(1_000n + BigInt(index), 64)
  tx.writeBigUInt64BE(1_000n, 72)
  tx.writeBigUInt64BE(BigInt(index % 1000), 80)
  createHash('sha512').update(`signature-${index}`).digest().copy(tx, 88)
  return tx
}

// --- connections -----------------------------------------------------------------------

interface Peer {
  id: string
  key: PrivateKey
  libp2p: Libp2p
  connection: Connection | undefined
  /** The node's answer to our handshake: 'handshake', a reject's code ('0x07'), or 'none'. */
  answer: string
  rejectReason: string | undefined
  openedAt: number
  closedAt: number | undefined
  streamsReset: number
  bytesSent: number
  notes: string[]
  streams: Stream[]
}

const peers = new Map<string, Peer>()

function now(): number {
  return performance.timeOrigin + performance.now()
}

async function newPeer(keyHex: string | undefined, withGossip: boolean, chainId: string): Promise<Peer> {
  const key =
    keyHex === undefined
      ? await generateKeyPair('Ed25519')
      : privateKeyFromProtobuf(Buffer.from(keyHex, 'hex'))
  const libp2p = await createLibp2p({
    privateKey: key,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    // protocols/README.md "What a peer must speak": ping, and gossipsub to flood.
    services: {
      ping: ping(),
      ...(withGossip
        ? {
            identify: identify(),
            pubsub: gossipsub({
              globalSignaturePolicy: 'StrictNoSign',
              msgIdFn: (message) => createHash('sha256').update(message.data).digest(),
              allowPublishToZeroTopicPeers: true,
              emitSelf: false,
            }),
          }
        : {}),
    } as never,
  })
  await libp2p.start()
  const id = libp2p.peerId.toString()
  const peer: Peer = {
    id,
    key,
    libp2p,
    connection: undefined,
    answer: 'none',
    rejectReason: undefined,
    openedAt: 0,
    closedAt: undefined,
    streamsReset: 0,
    bytesSent: 0,
    notes: [],
    streams: [],
  }
  if (withGossip)
    (libp2p.services as { pubsub: { subscribe(topic: string): void } }).pubsub.subscribe(txTopic(chainId))
  peers.set(id, peer)
  return peer
}

function txTopic(chainId: string): string {
  return `/paw/${chainId}/transactions/1`
}

/** Sends our handshake and reads the node's answer (handshake.md "Flow"). */
async function handshake(peer: Peer, chainId: string): Promise<void> {
  const connection = peer.connection as Connection
  const stream = await connection.newStream('/paw/handshake/1', { signal: AbortSignal.timeout(10_000) })
  const reader = new FrameReader()
  const answer = new Promise<{ type: string; payload: Buffer } | undefined>((resolve) => {
    stream.addEventListener('message', (event) => {
      const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
      const [first] = reader.push(data)
      if (first !== undefined) resolve(first)
    })
    stream.addEventListener('close', () => resolve(undefined))
    setTimeout(() => resolve(undefined), 10_000)
  })
  stream.send(frame('handshake', handshakePayload(chainId, peer.key)))
  const got = await answer
  if (got === undefined) peer.answer = 'none'
  else if (got.type === 'handshake') peer.answer = 'handshake'
  else if (got.type === 'reject') {
    peer.answer = `0x${(got.payload[0] ?? 0).toString(16).padStart(2, '0')}`
    peer.rejectReason = got.payload.subarray(1).toString('utf8')
  } else peer.answer = `unexpected ${got.type}`
  // Both sides close the stream after the exchange (handshake.md "Flow").
  try {
    await stream.close({ signal: AbortSignal.timeout(2_000) })
  } catch {
    stream.abort(new Error('closing'))
  }
}

async function connect(args: ConnectArgs) {
  const made = await Promise.all(
    Array.from({ length: args.count }, async (_, index) => {
      const peer = await newPeer(args.keys?.[index], args.gossip === true, args.chainId)
      try {
        peer.connection = await peer.libp2p.dial(multiaddr(args.target), {
          signal: AbortSignal.timeout(10_000),
        })
        peer.openedAt = now()
        const connection = peer.connection
        connection.addEventListener('close', () => {
          peer.closedAt ??= now()
        })
        if (args.handshake) await handshake(peer, args.chainId)
      } catch (error) {
        peer.notes.push(`connect: ${(error as Error).message}`)
        peer.closedAt ??= now()
      }
      return {
        id: peer.id,
        key: Buffer.from(privateKeyToProtobuf(peer.key)).toString('hex'),
        answer: peer.answer,
        rejectReason: peer.rejectReason,
      }
    }),
  )
  return made
}

function peersOf(ids: readonly string[]): Peer[] {
  return ids.map((id) => {
    const peer = peers.get(id)
    if (peer === undefined) throw new Error(`no peer ${id}`)
    return peer
  })
}

function open(peer: Peer): boolean {
  return peer.connection?.status === 'open'
}

/** Resolves on 'drain' or 'close', or after `ms`: false if not drained. */
function drained(stream: Stream, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean) => () => {
      clearTimeout(timer)
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      resolve(value)
    }
    const onDrain = done(true)
    const onClose = done(false)
    const timer = setTimeout(done(false), ms)
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
  })
}

/** Writes `bytes` to the stream in 256 KiB pieces, honouring backpressure; returns what was handed over. */
async function write(peer: Peer, stream: Stream, bytes: Uint8Array, stallMs = 15_000): Promise<number> {
  let sent = 0
  for (let at = 0; at < bytes.length; at += 256 * 1024) {
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') break
    const piece = bytes.subarray(at, at + 256 * 1024)
    let accepted: boolean
    try {
      accepted = stream.send(piece)
    } catch {
      break
    }
    sent += piece.length
    peer.bytesSent += piece.length
    if (!accepted && !(await drained(stream, stallMs))) break
  }
  return sent
}

async function openStream(peer: Peer, protocol: string): Promise<Stream | undefined> {
  if (!open(peer)) return undefined
  try {
    const stream = await (peer.connection as Connection).newStream(protocol, {
      signal: AbortSignal.timeout(5_000),
    })
    stream.addEventListener('close', (event) => {
      if (event.error !== undefined || stream.status === 'reset') peer.streamsReset++
    })
    peer.streams.push(stream)
    return stream
  } catch (error) {
    peer.notes.push(`${protocol}: ${(error as Error).message}`)
    return undefined
  }
}

const running = new Set<Promise<unknown>>()
function background(work: Promise<unknown>): void {
  running.add(work)
  work.catch(() => {}).finally(() => running.delete(work))
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// --- the attacks -------------------------------------------------------------------------

/**
 * Issue 15 case 1: ask for ~8 MiB of blocks, never read the answer (the stream is paused:
 * no window updates), and keep sending frames of `type` and L = `length` on that stream.
 */
async function stalledAnswer(peer: Peer, type: string, length: number, durationMs: number): Promise<void> {
  const stream = await openStream(peer, '/paw/blocks/1')
  if (stream === undefined) return
  stream.pause()
  stream.send(getBlocks(1, 128))
  await sleep(300)
  const body = new Uint8Array(length - 2 - type.length)
  const big = Buffer.concat([frameHeader(type, length), body])
  const until = Date.now() + durationMs
  while (Date.now() < until && open(peer) && stream.status === 'open') {
    await write(peer, stream, big, 2_000)
  }
}

/**
 * Issue 15 case 2: on each of `protocols` open `streams` streams and park a frame of
 * L = 10 MiB − 1 on each (its header and 64 KiB of body), then add one byte every
 * `dribbleMs`, as if the rest were slow to come.
 */
async function park(
  peer: Peer,
  protocols: Record<string, { type: string; streams: number }>,
  durationMs: number,
) {
  const opened: Stream[] = []
  for (const [protocol, { type, streams }] of Object.entries(protocols)) {
    for (let i = 0; i < streams; i++) {
      const stream = await openStream(peer, protocol)
      if (stream === undefined) continue
      opened.push(stream)
      await write(
        peer,
        stream,
        Buffer.concat([frameHeader(type, MAX_L - 1), new Uint8Array(64 * 1024)]),
        2_000,
      )
    }
  }
  const until = Date.now() + durationMs
  while (Date.now() < until && open(peer)) {
    await sleep(2_000)
    for (const stream of opened)
      if (stream.status === 'open') await write(peer, stream, Uint8Array.of(0), 1_000)
  }
}

/**
 * Before any handshake, a gossipsub RPC announced as 10 MiB (its varint length prefix) on a
 * `/meshsub/1.1.0` stream, and as much of its body as the node will take within `stallMs`.
 */
async function gossipPark(peer: Peer, stallMs: number): Promise<void> {
  const stream = await openStream(peer, '/meshsub/1.1.0')
  if (stream === undefined) return
  let length = MAX_L - 1
  const varint: number[] = []
  while (length >= 0x80) {
    varint.push((length & 0x7f) | 0x80)
    length >>>= 7
  }
  varint.push(length)
  await write(peer, stream, Buffer.concat([Buffer.from(varint), new Uint8Array(4 * 1024 * 1024)]), stallMs)
}

/** Issue 15 case 3: `streams` /paw/blocks/1 streams each asking ~8 MiB of blocks, none of them ever read. */
async function slowRead(peer: Peer, streams: number): Promise<void> {
  for (let i = 0; i < streams; i++) {
    const stream = await openStream(peer, '/paw/blocks/1')
    if (stream === undefined) continue
    stream.pause()
    stream.send(getBlocks(1, 128))
  }
}

/** Issue 15 case 4: a frame header with L = 10 MiB + 1 on a new stream of `protocol`. */
async function oversize(peer: Peer, protocol: string, type: string): Promise<void> {
  const stream = await openStream(peer, protocol)
  if (stream === undefined) return
  stream.send(Buffer.concat([frameHeader(type, MAX_L + 1), new Uint8Array(1024)]))
}

/** Issue 15 case 5: `count` transactions with bad signatures by gossip, as fast as it takes them. */
async function gossipFlood(peer: Peer, chainId: string, count: number): Promise<number> {
  const pubsub = (
    peer.libp2p.services as {
      pubsub: {
        publish(topic: string, data: Uint8Array): Promise<unknown>
        getSubscribers(topic: string): unknown[]
      }
    }
  ).pubsub
  const topic = txTopic(chainId)
  const deadline = Date.now() + 10_000
  while (pubsub.getSubscribers(topic).length === 0 && Date.now() < deadline) await sleep(50)
  let published = 0
  for (let i = 0; i < count && open(peer); i++) {
    try {
      await pubsub.publish(topic, badSignatureTransaction(i + Math.floor(Math.random() * 1e9)))
      published++
    } catch (error) {
      peer.notes.push(`publish: ${(error as Error).message}`)
      break
    }
    if (i % 200 === 199) await sleep(0)
  }
  return published
}

const floods = new Map<string, number>()

function attack(args: Attack): { started: number } {
  for (const peer of peersOf(args.ids)) {
    switch (args.kind) {
      case 'stalled-answer':
        background(stalledAnswer(peer, args.type, args.length, args.durationMs))
        break
      case 'park':
        background(park(peer, args.protocols, args.durationMs))
        break
      case 'slow-read':
        background(slowRead(peer, args.streams))
        break
      case 'oversize':
        background(oversize(peer, args.protocol, args.type))
        break
      case 'gossip-flood':
        background(gossipFlood(peer, args.chainId, args.count).then((n) => floods.set(peer.id, n)))
        break
      case 'gossip-park':
        background(gossipPark(peer, args.stallMs))
        break
    }
  }
  return { started: now() }
}

function status(ids: readonly string[]) {
  return peersOf(ids).map((peer) => ({
    id: peer.id,
    answer: peer.answer,
    rejectReason: peer.rejectReason,
    open: open(peer),
    openedAt: peer.openedAt,
    closedAt: peer.closedAt,
    streamsReset: peer.streamsReset,
    bytesSent: peer.bytesSent,
    published: floods.get(peer.id),
    notes: peer.notes.slice(0, 5),
    streams: peer.streams.map(
      (stream) =>
        `${stream.protocol} ${stream.status}/${stream.readStatus}/${stream.writeStatus} buffered ${stream.readBufferLength}`,
    ),
  }))
}

async function release(ids?: readonly string[]) {
  const targets = ids === undefined ? [...peers.values()] : peersOf(ids)
  await Promise.allSettled(
    targets.map(async (peer) => {
      peers.delete(peer.id)
      await peer.libp2p.stop()
    }),
  )
  return targets.length
}

// --- IPC -----------------------------------------------------------------------------------

serveRequests(
  {
    connect: (args: ConnectArgs) => connect(args),
    attack: (args: Attack) => attack(args),
    status: (ids: string[]) => status(ids),
    release: (ids: string[] | undefined) => release(ids),
  },
  async () => {
    await release()
  },
)
// A libp2p instance the node reset may reject a stream operation late: not our concern here.
process.on('unhandledRejection', () => {})
