/**
 * Interop: a plain js-libp2p node, built with nothing from src/ (same transport,
 * encryption and muxer as a PAW node), connects to a paw-node, runs identify and ping,
 * and completes `/paw/handshake/1` from the byte layouts of protocols/handshake.md and
 * protocols/framing.md alone: every frame here is built and parsed by hand.
 *
 * Only the node under test comes from src/ (createPawNode).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Connection, IdentifyResult, Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PawNode } from '../../src/api/index.ts'
import { createPawNode } from '../../src/node/index.ts'

const CHAIN_ID = 'paw-interop'
const PROTOCOL = '/paw/handshake/1'
const READ_TIMEOUT_MS = 5_000

type PlainNode = Libp2p<{
  identify: ReturnType<ReturnType<typeof identify>>
  ping: ReturnType<ReturnType<typeof ping>>
}>

// --- frames by hand: framing.md "Wire layout", handshake.md "Handshake payload" ----------

interface RawFrame {
  type: string
  payload: Uint8Array
}

/** `[u32 BE L][u16 BE T][type][payload]`, L = 2 + T + payload length. */
function frame(type: string, payload: Uint8Array): Uint8Array {
  const typeBytes = new TextEncoder().encode(type)
  const bytes = new Uint8Array(6 + typeBytes.length + payload.length)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, 2 + typeBytes.length + payload.length)
  view.setUint16(4, typeBytes.length)
  bytes.set(typeBytes, 6)
  bytes.set(payload, 6 + typeBytes.length)
  return bytes
}

/** 32 bytes: UTF-8, right-padded with 0x00. */
function chainIdField(chainId: string): Uint8Array {
  const field = new Uint8Array(32)
  field.set(new TextEncoder().encode(chainId))
  return field
}

/** `[u8 version][32 B chain ID][32 B node ID]`. */
function handshakePayload(version: number, chainId: string, nodeId: Uint8Array): Uint8Array {
  const payload = new Uint8Array(65)
  payload[0] = version
  payload.set(chainIdField(chainId), 1)
  payload.set(nodeId, 33)
  return payload
}

/**
 * Reads exactly one frame from the stream, whatever the chunking: bytes are appended to
 * an accumulator until 4 + L of them are there.
 */
function readFrame(stream: Stream, timeoutMs = READ_TIMEOUT_MS): Promise<RawFrame> {
  const { promise, resolve, reject } = Promise.withResolvers<RawFrame>()
  let buffered = new Uint8Array(0)
  const cleanup = (): void => {
    clearTimeout(timer)
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('remoteCloseWrite', onEnd)
    stream.removeEventListener('close', onEnd)
  }
  const onMessage = (event: { data: Uint8Array | { subarray(): Uint8Array } }): void => {
    const chunk = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    const joined = new Uint8Array(buffered.length + chunk.length)
    joined.set(buffered)
    joined.set(chunk, buffered.length)
    buffered = joined
    if (buffered.length < 4) return
    const view = new DataView(buffered.buffer, buffered.byteOffset, buffered.byteLength)
    const length = view.getUint32(0)
    if (buffered.length < 4 + length) return
    const typeLength = view.getUint16(4)
    cleanup()
    if (length < 3 || typeLength === 0 || typeLength > length - 2) {
      reject(new Error(`malformed frame header: L=${length} T=${typeLength}`))
      return
    }
    resolve({
      type: new TextDecoder().decode(buffered.subarray(6, 6 + typeLength)),
      payload: buffered.slice(6 + typeLength, 4 + length),
    })
  }
  const onEnd = (): void => {
    cleanup()
    reject(new Error(`stream ended after ${buffered.length} bytes, before a whole frame`))
  }
  const timer = setTimeout(() => {
    cleanup()
    reject(new Error(`no whole frame within ${timeoutMs} ms (${buffered.length} bytes buffered)`))
  }, timeoutMs)
  stream.addEventListener('message', onMessage)
  stream.addEventListener('remoteCloseWrite', onEnd)
  stream.addEventListener('close', onEnd)
  return promise
}

/**
 * Opens /paw/handshake/1 on the connection, sends `payload` as a `handshake` frame (cut
 * at the `cuts` offsets, one send per piece), and reads the answer.
 */
async function exchange(connection: Connection, payload: Uint8Array, cuts: number[] = []): Promise<RawFrame> {
  const stream = await connection.newStream(PROTOCOL, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) })
  const answer = readFrame(stream)
  const bytes = frame('handshake', payload)
  let start = 0
  for (const end of [...cuts, bytes.length]) {
    stream.send(bytes.subarray(start, end))
    start = end
    // Let each piece leave as its own yamux data frame.
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  try {
    return await answer
  } finally {
    await stream.close({ signal: AbortSignal.timeout(2_000) }).catch((error: Error) => stream.abort(error))
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function withTimeout<T>(what: string, promise: Promise<T>, timeoutMs = READ_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function tcpAddress(node: PawNode): Multiaddr {
  const address = node
    .getMultiaddrs()
    .find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (address === undefined) throw new Error('the paw node has no TCP address')
  return address
}

describe('a plain js-libp2p node against a paw-node', () => {
  let paw: PawNode
  let plain: PlainNode
  let plainKey: PrivateKey
  let pawPeerId: PeerId

  beforeEach(async () => {
    paw = await createPawNode({
      chainId: CHAIN_ID,
      listenHost: '127.0.0.1',
      tcpPort: 0,
      wsPort: 0,
      logLevel: 'error',
    })
    await paw.start()
    pawPeerId = paw.peerId
    plainKey = await generateKeyPair('Ed25519')
    plain = await createLibp2p({
      privateKey: plainKey,
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
    })
  })

  afterEach(async () => {
    await Promise.allSettled([plain?.stop(), paw?.stop()])
  })

  it('connects, identifies, pings and completes /paw/handshake/1', async () => {
    // identify runs by itself when the connection opens (libp2p's default); a second,
    // explicit identify() would be refused by the remote's one-stream limit.
    const { promise: identifiedEvent, resolve: onIdentify } = Promise.withResolvers<IdentifyResult>()
    plain.addEventListener('peer:identify', (event) => {
      if (event.detail.peerId.equals(pawPeerId)) onIdentify(event.detail)
    })
    const connection = await plain.dial(tcpAddress(paw))
    expect(connection.remotePeer.equals(pawPeerId)).toBe(true)

    const identified = await withTimeout('identify', identifiedEvent)
    expect(identified.agentVersion).toMatch(/^paw-node\/\d+\.\d+\.\d+/)
    expect(identified.protocols).toContain(PROTOCOL)
    const stored = await plain.peerStore.get(pawPeerId)
    expect(new TextDecoder().decode(stored.metadata.get('AgentVersion'))).toBe(identified.agentVersion)

    const rtt = await plain.services.ping.ping(pawPeerId)
    expect(rtt).toBeGreaterThanOrEqual(0)

    const answer = await exchange(connection, handshakePayload(0x01, CHAIN_ID, plainKey.publicKey.raw))
    expect(answer.type).toBe('handshake')
    expect(answer.payload.length).toBe(65)
    expect(answer.payload[0]).toBe(0x01)
    expect(Buffer.from(answer.payload.subarray(1, 33))).toEqual(Buffer.from(chainIdField(CHAIN_ID)))
    expect(Buffer.from(answer.payload.subarray(33, 65))).toEqual(Buffer.from(paw.peerId.publicKey?.raw ?? []))

    const plainId = plain.peerId.toString()
    await waitFor(
      'the paw node to list the plain node as connected',
      () => paw.peer(plainId)?.state === 'connected',
    )
    expect(paw.peer(plainId)?.chainId).toBe(CHAIN_ID)
    expect(paw.peer(plainId)?.direction).toBe('inbound')
    expect(connection.status).toBe('open')
  })

  it('completes the handshake when the frame arrives in pieces split inside its fields', async () => {
    const connection = await plain.dial(tcpAddress(paw))
    // Inside L, inside T, inside the type, inside the chain ID, inside the node ID.
    const cuts = [1, 5, 9, 30, 60]
    const answer = await exchange(connection, handshakePayload(0x01, CHAIN_ID, plainKey.publicKey.raw), cuts)
    expect(answer.type).toBe('handshake')
    const plainId = plain.peerId.toString()
    await waitFor(
      'the paw node to list the plain node as connected',
      () => paw.peer(plainId)?.state === 'connected',
    )
  })

  /** Sends a bad handshake; expects a `reject` with `code`, then the paw node closing the connection. */
  async function expectRejected(payload: Uint8Array, code: number): Promise<void> {
    const connection = await plain.dial(tcpAddress(paw))
    const answer = await exchange(connection, payload)
    expect(answer.type).toBe('reject')
    expect(answer.payload.length).toBeGreaterThanOrEqual(1)
    expect(answer.payload[0]).toBe(code)
    // The reason is UTF-8 of at most 256 bytes (handshake.md "Reject").
    expect(answer.payload.length - 1).toBeLessThanOrEqual(256)
    new TextDecoder('utf-8', { fatal: true }).decode(answer.payload.subarray(1))
    await waitFor('the paw node to close the connection', () => plain.getConnections(pawPeerId).length === 0)
    expect(paw.peer(plain.peerId.toString())?.state).not.toBe('connected')
  }

  it('gets reject 0x02 for another chain ID, then the connection is closed', async () => {
    await expectRejected(handshakePayload(0x01, 'paw-other-chain', plainKey.publicKey.raw), 0x02)
  })

  it('gets reject 0x05 when the node ID is not its own key', async () => {
    const other = await generateKeyPair('Ed25519')
    await expectRejected(handshakePayload(0x01, CHAIN_ID, other.publicKey.raw), 0x05)
  })

  it('gets reject 0x01 for version 0x02', async () => {
    await expectRejected(handshakePayload(0x02, CHAIN_ID, plainKey.publicKey.raw), 0x01)
  })
})
