/**
 * Optimistic protocol selection of /paw/handshake/1 (protocols/handshake.md "Optimistic
 * protocol selection"), seen from a raw libp2p listener (TCP, Noise, yamux, no PAW code)
 * that records, for each inbound stream, what arrived before it wrote its first byte.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection, Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { HANDSHAKE_PROTOCOL } from '../../src/protocols/handshake/constants.ts'
import { proposalWith } from '../../src/protocols/handshake/optimistic-select.ts'
import { encodeFrame } from '../../src/wire/frame.ts'
import { encodeHandshake } from '../../src/wire/handshake.ts'
import { startRawPeer, TEST_CHAIN, trackedNodes, waitFor } from '../support/nodes.ts'

const { node, raw } = trackedNodes()

/** A raw libp2p listener on 127.0.0.1 that notes each inbound stream's bytes before its first write. */
interface Listener {
  libp2p: Libp2p
  privateKey: PrivateKey
  address: Multiaddr
  /** Per inbound stream: the bytes received before the listener sent anything on it. */
  beforeFirstWrite: Uint8Array[]
}

const started: Libp2p[] = []
afterEach(async () => {
  await Promise.allSettled(started.splice(0).map((libp2p) => libp2p.stop()))
})

function join(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** Watches `stream` from its creation: records what arrived until its first send. */
function watch(stream: Stream, into: Uint8Array[]): void {
  const received: Uint8Array[] = []
  let recorded = false
  stream.addEventListener('message', (event) => {
    if (!recorded) received.push(event.data instanceof Uint8Array ? event.data : event.data.subarray())
  })
  const send = stream.send.bind(stream)
  stream.send = (data) => {
    if (!recorded) {
      recorded = true
      into.push(join(received))
    }
    return send(data)
  }
}

async function startListener(speaksHandshake: boolean, chainId = TEST_CHAIN): Promise<Listener> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
  started.push(libp2p)
  const beforeFirstWrite: Uint8Array[] = []
  libp2p.addEventListener('connection:open', (event) => {
    const muxer = (event.detail as Connection & { muxer: EventTarget }).muxer
    muxer.addEventListener('stream', (streamEvent) =>
      watch((streamEvent as CustomEvent<Stream>).detail, beforeFirstWrite),
    )
  })
  if (speaksHandshake) {
    const answer = encodeFrame(
      'handshake',
      encodeHandshake({ version: 1, chainId, nodeId: privateKey.publicKey.raw }),
    )
    await libp2p.handle(HANDSHAKE_PROTOCOL, (stream) => {
      stream.addEventListener('message', () => {
        if (stream.writeStatus === 'writable') {
          stream.send(answer)
          void stream.close().catch(() => {})
        }
      })
    })
  }
  await libp2p.start()
  const address = libp2p.getMultiaddrs()[0]
  if (address === undefined) throw new Error('the listener has no address')
  return { libp2p, privateKey, address, beforeFirstWrite }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack).indexOf(Buffer.from(needle))
}

describe('optimistic selection of /paw/handshake/1', () => {
  it("a PAW dialer's handshake frame arrives with the proposal, before the listener answers; the handshake completes", async () => {
    const listener = await startListener(true)
    const dialer = await node()
    const info = await dialer.connectToPeer(listener.address)
    expect(info).toMatchObject({ state: 'connected', chainId: TEST_CHAIN })
    const frame = encodeFrame(
      'handshake',
      encodeHandshake({
        version: 1,
        chainId: TEST_CHAIN,
        nodeId: dialer.peerId.publicKey?.raw ?? new Uint8Array(),
      }),
    )
    const handshakeStream = listener.beforeFirstWrite.find((bytes) => indexOf(bytes, frame) >= 0)
    // Everything the dialer sends on the stream, in one flight: header, proposal, frame.
    expect(handshakeStream).toEqual(proposalWith(HANDSHAKE_PROTOCOL, frame))
  })

  it('a dialer negotiating fully sends its frame only after the answer (the check above can fail)', async () => {
    const listener = await startListener(true)
    const peer = await raw()
    const connection = await peer.connect(listener.address)
    const stream = await connection.newStream(HANDSHAKE_PROTOCOL)
    const frame = encodeFrame(
      'handshake',
      encodeHandshake({ version: 1, chainId: TEST_CHAIN, nodeId: peer.privateKey.publicKey.raw }),
    )
    stream.send(frame)
    await waitFor('the listener to see the stream', () => listener.beforeFirstWrite.length > 0)
    expect(listener.beforeFirstWrite.some((bytes) => indexOf(bytes, frame) >= 0)).toBe(false)
    const proposal = proposalWith(HANDSHAKE_PROTOCOL, new Uint8Array())
    expect(listener.beforeFirstWrite.some((bytes) => indexOf(bytes, proposal) === 0)).toBe(true)
  })

  it('a listener that does not speak /paw/handshake/1 answers na: a clean refusal, no protocol run on the frame', async () => {
    const listener = await startListener(false)
    const dialer = await node()
    const error = await dialer.connectToPeer(listener.address).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(isPawError(error) && error.wireCode).toBe(ErrorCode.NetworkError)
    expect((error as Error).message).toMatch(/does not speak \/paw\/handshake\/1/)
    await waitFor(
      'the connection to close',
      () => dialer.libp2p.getConnections(listener.libp2p.peerId).length === 0,
    )
    expect(dialer.peer(listener.libp2p.peerId.toString())?.state).not.toBe('connected')
  })

  it('a listener of another chain: its handshake answer is checked as before (0x02)', async () => {
    const listener = await startListener(true, 'paw-elsewhere')
    const dialer = await node()
    const error = await dialer.connectToPeer(listener.address).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(isPawError(error) && error.wireCode).toBe(ErrorCode.ChainIdMismatch)
  })

  it('a PAW listener answers a raw dialer whose proposal and frame come in one write', async () => {
    const listener = await node()
    const peer = await startRawPeer()
    started.push(peer.libp2p)
    const address = listener.getMultiaddrs().find((m) => !m.toString().includes('/ws'))
    if (address === undefined) throw new Error('no TCP address')
    const connection = await peer.connect(address)
    const muxer = (connection as Connection & { muxer: { createStream(): Promise<Stream> } }).muxer
    const stream = await muxer.createStream()
    const received: Uint8Array[] = []
    stream.addEventListener('message', (event) => {
      received.push(event.data instanceof Uint8Array ? event.data : event.data.subarray())
    })
    const frame = encodeFrame(
      'handshake',
      encodeHandshake({ version: 1, chainId: TEST_CHAIN, nodeId: peer.privateKey.publicKey.raw }),
    )
    stream.send(proposalWith(HANDSHAKE_PROTOCOL, frame))
    await waitFor('the listener to list the raw peer as connected', () => {
      return listener.peer(peer.libp2p.peerId.toString())?.state === 'connected'
    })
    const answer = encodeFrame(
      'handshake',
      encodeHandshake({
        version: 1,
        chainId: TEST_CHAIN,
        nodeId: listener.peerId.publicKey?.raw ?? new Uint8Array(),
      }),
    )
    await waitFor('the answer', () => indexOf(join(received), answer) >= 0)
    // The multistream answer (header and protocol echo) comes first, then the handshake.
    expect(join(received)).toEqual(proposalWith(HANDSHAKE_PROTOCOL, answer))
  })
})
