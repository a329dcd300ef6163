/**
 * /paw/handshake/1 between real nodes on loopback (issue "The PAW node on libp2p").
 */
import { describe, expect, it } from 'vitest'
import type { PawNode, PeerStateEvent } from '../../src/api/index.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { encodeFrame, type Frame } from '../../src/wire/frame.ts'
import { decodeReject, encodeHandshake } from '../../src/wire/handshake.ts'
import { TEST_CHAIN, tcpAddress, trackedNodes, waitFor, wsAddress } from '../support/nodes.ts'

const { node, raw } = trackedNodes()

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return isPawError(error) ? error.wireCode : -1
  }
}

describe.each([
  ['TCP', tcpAddress],
  ['WebSockets', wsAddress],
])('handshake over %s', (_name, addressOf) => {
  it('2 nodes: both sides connected, with the peer chain ID and direction', async () => {
    const [a, b] = [await node(), await node()]
    const states: string[] = []
    b.addEventListener('peer:state', (event: CustomEvent<PeerStateEvent>) => states.push(event.detail.state))
    const info = await b.connectToPeer(addressOf(a))
    expect(info).toMatchObject({ peerId: a.peerId.toString(), state: 'connected', direction: 'outbound' })
    expect(info.chainId).toBe(TEST_CHAIN)
    await waitFor('A to list B as connected', () => a.peer(b.peerId.toString())?.state === 'connected')
    expect(a.peer(b.peerId.toString())?.direction).toBe('inbound')
    expect(states).toEqual(['connecting', 'handshaking', 'connected'])
    expect(a.stats()).toMatchObject({ inbound: 1, outbound: 0, totalConnections: 1 })
    expect(b.stats()).toMatchObject({ inbound: 0, outbound: 1, successfulDials: 1 })
  })

  it('5 nodes in a full mesh', async () => {
    const mesh = await Promise.all([node(), node(), node(), node(), node()])
    for (let i = 0; i < mesh.length; i++) {
      for (let j = i + 1; j < mesh.length; j++) {
        await (mesh[i] as PawNode).connectToPeer(addressOf(mesh[j] as PawNode))
      }
    }
    for (const member of mesh) {
      await waitFor(
        '4 connected peers each',
        () => member.peers().filter((p) => p.state === 'connected').length === 4,
      )
      const { inbound, outbound } = member.stats()
      expect(inbound + outbound).toBe(4)
    }
  })
})

describe('handshake refusals', () => {
  it('chain ID mismatch: reject 0x02, both sides disconnected, no redial for 24 h', async () => {
    const a = await node()
    const other = await node({ chainId: 'paw-other' })
    expect(await codeOf(other.connectToPeer(tcpAddress(a)))).toBe(ErrorCode.ChainIdMismatch)
    await waitFor('both sides to close', () => {
      return (
        a.libp2p.getConnections(other.peerId).length === 0 &&
        other.libp2p.getConnections(a.peerId).length === 0
      )
    })
    expect(a.peer(other.peerId.toString())?.lastError).toMatch(/^0x02 ChainIdMismatch/)
    expect(a.peer(other.peerId.toString())?.state).toBe('disconnected')
    expect(a.stats().rejectedInbound).toBe(1)
    // The address is not dialled again: refused before any dial is attempted.
    const dials = other.stats().successfulDials + other.stats().failedDials
    expect(await codeOf(other.connectToPeer(tcpAddress(a)))).toBe(ErrorCode.ChainIdMismatch)
    expect(other.stats().successfulDials + other.stats().failedDials).toBe(dials)
  })

  it('version mismatch: reject 0x01', async () => {
    const a = await node()
    const peer = await raw()
    const connection = await peer.connect(tcpAddress(a))
    const handshake = encodeHandshake({
      version: 2,
      chainId: TEST_CHAIN,
      nodeId: peer.privateKey.publicKey.raw,
    })
    const { frames } = await peer.exchange(connection, encodeFrame('handshake', handshake))
    expect(frames.map((f) => f.type)).toEqual(['reject'])
    expect(decodeReject((frames[0] as Frame).payload).code).toBe(ErrorCode.ProtocolVersionMismatch)
    await waitFor('the node to close the connection', () => peer.libp2p.getConnections(a.peerId).length === 0)
  })

  it('a node ID that is not the key the peer authenticated with: reject 0x05', async () => {
    const a = await node()
    const peer = await raw()
    const connection = await peer.connect(tcpAddress(a))
    const someoneElse = new Uint8Array(32).fill(7)
    const handshake = encodeHandshake({ version: 1, chainId: TEST_CHAIN, nodeId: someoneElse })
    const { frames } = await peer.exchange(connection, encodeFrame('handshake', handshake))
    expect(frames.map((f) => f.type)).toEqual(['reject'])
    const reject = decodeReject((frames[0] as Frame).payload)
    expect(reject.code).toBe(ErrorCode.InvalidMessageFormat)
    expect(reject.reason).toMatch(/node ID/)
    await waitFor('the node to close the connection', () => peer.libp2p.getConnections(a.peerId).length === 0)
    expect(a.peer(peer.libp2p.peerId.toString())?.state).not.toBe('connected')
  })

  it('a header claiming 11 MiB disconnects the peer at once', async () => {
    const a = await node()
    const peer = await raw()
    const connection = await peer.connect(tcpAddress(a))
    const header = new Uint8Array(6)
    new DataView(header.buffer).setUint32(0, 11 * 1024 * 1024)
    const started = Date.now()
    await peer.exchange(connection, header)
    await waitFor(
      'the node to close the connection',
      () => peer.libp2p.getConnections(a.peerId).length === 0,
      3_000,
    )
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(a.peer(peer.libp2p.peerId.toString())?.lastError).toMatch(/^0x04 MessageTooLarge/)
  })

  it('a peer that connects and never handshakes is closed after 10 s', async () => {
    const a = await node()
    const peer = await raw()
    const connection = await peer.connect(tcpAddress(a))
    const opened = connection.timeline.open
    await waitFor('the node to close the silent connection', () => connection.status !== 'open', 15_000)
    const after = Date.now() - opened
    expect(after).toBeGreaterThanOrEqual(9_900)
    expect(after).toBeLessThan(12_000)
    expect(a.peer(peer.libp2p.peerId.toString())?.lastError).toMatch(/^0x03 HandshakeTimeout/)
  }, 20_000)

  it('with max_inbound 5, of 8 dialers 5 stay: the rest are refused with 0x06 or evict a worse inbound peer', async () => {
    const a = await node({ limits: { maxInbound: 5 } })
    const dialers = await Promise.all(Array.from({ length: 8 }, () => node()))
    const codes = await Promise.all(dialers.map((dialer) => codeOf(dialer.connectToPeer(tcpAddress(a)))))
    expect(codes.every((code) => code === undefined || code === ErrorCode.PeerLimitReached)).toBe(true)
    // Inbound slots full: a newcomer may replace the inbound peer the eviction rules pick
    // (src/peers/eviction.ts), never add to them.
    await waitFor('5 inbound peers left', () => a.peers().filter((p) => p.state === 'connected').length === 5)
    await waitFor('3 dialers disconnected', () => {
      return dialers.filter((d) => d.libp2p.getConnections(a.peerId).length > 0).length === 5
    })
    expect(a.stats().inbound).toBe(5)
  })

  it('with max_inbound 1, the lone inbound peer is protected: a newcomer is refused with 0x06', async () => {
    const a = await node({ limits: { maxInbound: 1 } })
    const [first, second] = await Promise.all([node(), node()])
    if (first === undefined || second === undefined) throw new Error('no dialers')
    expect(await codeOf(first.connectToPeer(tcpAddress(a)))).toBeUndefined()
    expect(await codeOf(second.connectToPeer(tcpAddress(a)))).toBe(ErrorCode.PeerLimitReached)
    expect(a.stats()).toMatchObject({ inbound: 1, rejectedInbound: 1 })
    expect(a.peer(first.peerId.toString())?.state).toBe('connected')
  })
})
