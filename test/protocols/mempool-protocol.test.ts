/**
 * /paw/mempool/1 stream rules (protocols/mempool.md "Stream rules") between real nodes on
 * loopback, and against a raw libp2p peer that speaks the protocol by hand: TRANSACTION_REQUEST
 * answers and their matching, fetching from an inventory, rate limits, the handshake gate
 * and malformed frames.
 */
import type { Stream } from '@libp2p/interface'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import type { ReceivedTransaction } from '../../src/api/index.ts'
import { encodeTransaction } from '../../src/chain/encoding.ts'
import { txHash } from '../../src/chain/hashing.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { CONNECTION_CREDIT } from '../../src/peers/reputation.ts'
import { MEMPOOL_PROTOCOL } from '../../src/protocols/mempool/mempool-protocol.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import { FrameType } from '../../src/wire/constants.ts'
import {
  decodeGetTransactions,
  decodeTransactions,
  encodeGetTransactions,
  encodeMempoolHashes,
  encodeTransactions,
} from '../../src/wire/mempool.ts'
import { startChainNode, testChainParams } from '../support/chain-nodes.ts'
import { fastAccounts, fastTransfer, handshakeRaw, RawFrames, warnings } from '../support/mempool-peers.ts'
import { tcpAddress, testLogger, trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()
/** The chain's transaction size on the wire (the reference chain's). */
const TX_BYTES = REFERENCE_SHAPE.transactionBytes
const accounts = fastAccounts(8)
const params = testChainParams(accounts)
const [alice, bob, carol] = accounts as [
  (typeof accounts)[0],
  (typeof accounts)[0],
  (typeof accounts)[0],
  ...typeof accounts,
]
/** A hash no one holds. */
const NOBODY = toHex(sha256(new TextEncoder().encode('not a pending transaction')))

function idOf(tx: Transaction): string {
  return toHex(txHash(tx))
}

/** A full node whose log lines are kept, with `transactions` pending. */
async function fullNode(transactions: Transaction[] = []) {
  const lines: string[] = []
  const started = await startChainNode(nodes.node, params, { logger: testLogger(lines) })
  for (const tx of transactions) await started.node.submitTransaction(tx)
  return { ...started, lines }
}

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return isPawError(error) ? error.wireCode : -1
  }
}

/**
 * The reputation the node holds of `peerId`, less the credit its completed handshake earned
 * (004 §6.3), so 0 until charged.
 */
function scoreOf(node: { peer(id: string): { score?: number } | undefined }, peerId: string): number {
  return (node.peer(peerId)?.score ?? CONNECTION_CREDIT) - CONNECTION_CREDIT
}

/** Makes the raw peer answer every get_transactions on /paw/mempool/1 with `answer(hashes)`. */
async function serveWith(
  peer: Awaited<ReturnType<typeof nodes.raw>>,
  answer: (hashes: Uint8Array[]) => Uint8Array,
): Promise<void> {
  await peer.libp2p.handle(MEMPOOL_PROTOCOL, (stream: Stream) => {
    const frames = new RawFrames(stream)
    void (async () => {
      for (;;) {
        const frame = await frames.next(10_000).catch(() => undefined)
        if (frame === undefined) return
        if (frame.type === FrameType.GetTransactions) {
          frames.send(FrameType.Transactions, answer(decodeGetTransactions(frame.payload)))
        }
      }
    })()
  })
}

describe('TRANSACTION_REQUEST between nodes', () => {
  it('answers found transactions in request order, then the hashes not found', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n, { fee: 3_000n })
    const t2 = fastTransfer(params, bob, carol.address, 0n, { fee: 2_000n })
    const t3 = fastTransfer(params, carol, alice.address, 0n, { fee: 1_000n })
    const a = await fullNode([t1, t2, t3])
    const light = await startChainNode(nodes.node, params, { type: 'light' })
    await light.node.connectToPeer(tcpAddress(a.node))
    const aId = a.node.peerId.toString()
    const other = toHex(sha256(new TextEncoder().encode('another missing one')))

    const result = await light.node.requestTransactions(aId, [idOf(t3), NOBODY, idOf(t1), other])
    expect(result.found.map(idOf)).toEqual([idOf(t3), idOf(t1)])
    expect(result.notFound).toEqual([NOBODY, other])
    expect(encodeTransaction(result.found[0] as Transaction)).toEqual(encodeTransaction(t3))

    const none = await light.node.requestTransactions(aId, [NOBODY])
    expect(none).toEqual({ found: [], notFound: [NOBODY] })
  })

  it('refuses bad arguments and unconnected peers before sending anything', async () => {
    const a = await fullNode()
    const b = await fullNode()
    await b.node.connectToPeer(tcpAddress(a.node))
    const aId = a.node.peerId.toString()
    const many = Array.from({ length: 257 }, (_, i) => toHex(sha256(new Uint8Array([i >> 8, i & 0xff]))))
    await expect(b.node.requestTransactions(aId, many)).rejects.toThrow(RangeError)
    await expect(b.node.requestTransactions(aId, [])).rejects.toThrow(RangeError)
    await expect(b.node.requestTransactions(aId, ['xyz'])).rejects.toThrow(TypeError)
    await expect(b.node.requestTransactions(aId, [NOBODY, NOBODY])).rejects.toThrow(TypeError)
    const stranger = (await nodes.node()).peerId.toString()
    expect(await codeOf(b.node.requestTransactions(stranger, [NOBODY]))).toBe(ErrorCode.NetworkError)
  })
})

describe('answers that do not match the request (0x0A)', () => {
  const t1 = fastTransfer(params, alice, bob.address, 0n, { fee: 3_000n })
  const t2 = fastTransfer(params, bob, carol.address, 0n, { fee: 2_000n })
  const unrequested = fastTransfer(params, carol, alice.address, 0n)

  it.each([
    [
      'a transaction that was not requested',
      () => ({ transactions: [encodeTransaction(unrequested)], notFound: [fromHex(idOf(t2))] }),
    ],
    [
      'the found transactions out of request order',
      () => ({ transactions: [encodeTransaction(t2), encodeTransaction(t1)], notFound: [] }),
    ],
    [
      'the not-found hashes out of request order',
      () => ({ transactions: [], notFound: [fromHex(idOf(t2)), fromHex(idOf(t1))] }),
    ],
    ['a requested hash left out', () => ({ transactions: [encodeTransaction(t1)], notFound: [] })],
  ])('%s: UnexpectedMessageError and a penalty', async (_name, answer) => {
    const a = await fullNode()
    const peer = await nodes.raw()
    await serveWith(peer, () => encodeTransactions(answer(), TX_BYTES))
    await handshakeRaw(peer, a.node)
    const peerId = peer.libp2p.peerId.toString()
    expect(scoreOf(a.node, peerId)).toBeCloseTo(0, 3)

    const request = a.node.requestTransactions(peerId, [idOf(t1), idOf(t2)])
    await expect(request).rejects.toMatchObject({ wireCode: ErrorCode.UnexpectedMessage })
    expect(scoreOf(a.node, peerId)).toBeLessThanOrEqual(-9)
    expect(warnings(a.lines, '0x0a')).toHaveLength(1)
    // Nothing of the answer was used.
    expect(a.full?.mempool.size).toBe(0)
  })

  it('a malformed answer: InvalidMessageFormatError (0x05) and a penalty', async () => {
    const a = await fullNode()
    const peer = await nodes.raw()
    await serveWith(peer, () => new Uint8Array([0, 0, 0, 0]))
    await handshakeRaw(peer, a.node)
    const peerId = peer.libp2p.peerId.toString()
    expect(await codeOf(a.node.requestTransactions(peerId, [NOBODY]))).toBe(ErrorCode.InvalidMessageFormat)
    expect(scoreOf(a.node, peerId)).toBeLessThanOrEqual(-4)
    expect(warnings(a.lines, '0x05')).toHaveLength(1)
  })
})

describe('serving a raw peer', () => {
  it('a request beyond the rate limit is not answered: the stream closes, 0x09 is logged, the score drops', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n)
    const a = await fullNode([t1])
    const peer = await nodes.raw()
    const connection = await handshakeRaw(peer, a.node)
    const peerId = peer.libp2p.peerId.toString()
    const frames = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    let answered = 0
    for (let i = 0; i < 100; i++) {
      frames.send(FrameType.GetTransactions, encodeGetTransactions([fromHex(idOf(t1))]))
      const frame = await frames.next()
      if (frame === undefined) break
      expect(frame.type).toBe(FrameType.Transactions)
      expect(decodeTransactions(frame.payload, TX_BYTES).transactions).toHaveLength(1)
      answered++
    }
    // The burst of mempoolRequests is 40 (src/peers/rate-limits.ts), refilled at 2/s.
    expect(answered).toBeGreaterThanOrEqual(40)
    expect(answered).toBeLessThan(50)
    expect(frames.ended).toBe(true)
    expect(scoreOf(a.node, peerId)).toBeLessThanOrEqual(-24)
    expect(warnings(a.lines, '0x09').length).toBeGreaterThanOrEqual(1)
  })

  it('a peer that has not completed the handshake is refused', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n)
    const a = await fullNode([t1])
    const peer = await nodes.raw()
    const connection = await peer.connect(tcpAddress(a.node))
    const stream = await connection.newStream(MEMPOOL_PROTOCOL)
    const frames = new RawFrames(stream)
    frames.send(FrameType.GetTransactions, encodeGetTransactions([fromHex(idOf(t1))]))
    expect(await frames.next()).toBeUndefined()
    expect(a.node.peer(peer.libp2p.peerId.toString())?.state).not.toBe('connected')
  })

  it('malformed frames are dropped with a warning and a penalty; reading goes on; a malformed request ends the stream', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n)
    const a = await fullNode([t1])
    const peer = await nodes.raw()
    const connection = await handshakeRaw(peer, a.node)
    const peerId = peer.libp2p.peerId.toString()
    const frames = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    // A frame whose type has upper case (L = 2 + 3 + 1): malformed header, skipped.
    frames.sendBytes(new Uint8Array([0, 0, 0, 6, 0, 3, 0x47, 0x45, 0x54, 0x01]))
    // A well-formed frame of a type /paw/mempool/1 does not define.
    frames.send('get_peers', new Uint8Array([1]))
    // Then a good request: still answered.
    frames.send(FrameType.GetTransactions, encodeGetTransactions([fromHex(idOf(t1))]))
    const answer = await frames.next()
    expect(answer?.type).toBe(FrameType.Transactions)
    expect(warnings(a.lines, '0x05')).toHaveLength(2)
    const afterTwo = scoreOf(a.node, peerId)
    expect(afterTwo).toBeLessThanOrEqual(-9)
    // A get_transactions of count 0: the whole message is rejected, not answered.
    frames.send(FrameType.GetTransactions, new Uint8Array([0, 0]))
    expect(await frames.next()).toBeUndefined()
    await waitFor('the third warning', () => warnings(a.lines, '0x05').length === 3)
    expect(scoreOf(a.node, peerId)).toBeLessThan(afterTwo - 4)
  })

  it('a transactions frame nobody asked for is 0x0A', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n)
    const a = await fullNode()
    const peer = await nodes.raw()
    const connection = await handshakeRaw(peer, a.node)
    const frames = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    frames.send(
      FrameType.Transactions,
      encodeTransactions({ transactions: [encodeTransaction(t1)], notFound: [] }, TX_BYTES),
    )
    expect(await frames.next()).toBeUndefined()
    expect(warnings(a.lines, '0x0a')).toHaveLength(1)
    expect(scoreOf(a.node, peer.libp2p.peerId.toString())).toBeLessThanOrEqual(-9)
    expect(a.full?.mempool.size).toBe(0)
  })
})

describe('fetching from a raw announcer', () => {
  it('fetches what it lacks in inventory order, admits it as mempool-sync, then closes', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n, { fee: 5_000n })
    const t2 = fastTransfer(params, bob, carol.address, 0n, { fee: 4_000n })
    const held = fastTransfer(params, carol, alice.address, 0n, { fee: 3_000n })
    const a = await fullNode([held])
    const received: ReceivedTransaction[] = []
    a.node.addEventListener('transaction', (event) => received.push(event.detail))
    const peer = await nodes.raw()
    const connection = await handshakeRaw(peer, a.node)
    const peerId = peer.libp2p.peerId.toString()
    const frames = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    frames.send(
      FrameType.MempoolHashes,
      encodeMempoolHashes([idOf(t1), idOf(held), NOBODY, idOf(t2)].map((id) => fromHex(id))),
    )
    const request = await frames.next()
    expect(request?.type).toBe(FrameType.GetTransactions)
    const hashes = decodeGetTransactions((request as NonNullable<typeof request>).payload).map(toHex)
    expect(hashes).toEqual([idOf(t1), NOBODY, idOf(t2)])
    frames.send(
      FrameType.Transactions,
      encodeTransactions(
        {
          transactions: [encodeTransaction(t1), encodeTransaction(t2)],
          notFound: [fromHex(NOBODY)],
        },
        TX_BYTES,
      ),
    )
    // Nothing more to fetch: the node closes its side.
    expect(await frames.next()).toBeUndefined()
    await waitFor('both admitted', () => a.full?.mempool.size === 3)
    expect(received.map((r) => [r.id, r.via, r.from])).toEqual([
      [idOf(t1), 'mempool-sync', peerId],
      [idOf(t2), 'mempool-sync', peerId],
    ])
    expect(scoreOf(a.node, peerId)).toBeCloseTo(0, 3)
  })

  it('a later nonce fetched before its predecessor (it pays more) is admitted once the predecessor arrives', async () => {
    const n0 = fastTransfer(params, alice, bob.address, 0n, { fee: 1_000n })
    const n1 = fastTransfer(params, alice, bob.address, 1n, { fee: 9_000n })
    const a = await fullNode()
    const received: string[] = []
    a.node.addEventListener('transaction', (event) => received.push(event.detail.id))
    const peer = await nodes.raw()
    const connection = await handshakeRaw(peer, a.node)
    const frames = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    // n1 first (fee order), 255 hashes the announcer no longer holds, then n0: two requests.
    const gone = Array.from({ length: 255 }, (_, i) => sha256(new Uint8Array([0xff, i])))
    frames.send(FrameType.MempoolHashes, encodeMempoolHashes([fromHex(idOf(n1)), ...gone, fromHex(idOf(n0))]))
    const first = await frames.next()
    expect(decodeGetTransactions((first as NonNullable<typeof first>).payload)).toHaveLength(256)
    frames.send(
      FrameType.Transactions,
      encodeTransactions({ transactions: [encodeTransaction(n1)], notFound: gone }, TX_BYTES),
    )
    const second = await frames.next()
    expect(decodeGetTransactions((second as NonNullable<typeof second>).payload).map(toHex)).toEqual([
      idOf(n0),
    ])
    frames.send(
      FrameType.Transactions,
      encodeTransactions({ transactions: [encodeTransaction(n0)], notFound: [] }, TX_BYTES),
    )
    expect(await frames.next()).toBeUndefined()
    await waitFor('both admitted', () => a.full?.mempool.size === 2)
    expect(received).toEqual([idOf(n0), idOf(n1)])
  })

  it('an answer with an unrequested transaction is 0x0A: nothing of it is admitted', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n)
    const other = fastTransfer(params, bob, carol.address, 0n)
    const a = await fullNode()
    const peer = await nodes.raw()
    const connection = await handshakeRaw(peer, a.node)
    const frames = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    frames.send(FrameType.MempoolHashes, encodeMempoolHashes([fromHex(idOf(t1))]))
    expect((await frames.next())?.type).toBe(FrameType.GetTransactions)
    frames.send(
      FrameType.Transactions,
      encodeTransactions({ transactions: [encodeTransaction(other)], notFound: [] }, TX_BYTES),
    )
    expect(await frames.next()).toBeUndefined()
    expect(warnings(a.lines, '0x0a')).toHaveLength(1)
    expect(scoreOf(a.node, peer.libp2p.peerId.toString())).toBeLessThanOrEqual(-9)
    expect(a.full?.mempool.size).toBe(0)
  })

  it('a second mempool_hashes on a connection is 0x0A and not used', async () => {
    const t1 = fastTransfer(params, alice, bob.address, 0n)
    const a = await fullNode([t1])
    const peer = await nodes.raw()
    const connection = await handshakeRaw(peer, a.node)
    const first = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    first.send(FrameType.MempoolHashes, encodeMempoolHashes([fromHex(idOf(t1))]))
    // The node holds t1: it needs nothing and closes at once.
    expect(await first.next()).toBeUndefined()
    const second = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    second.send(FrameType.MempoolHashes, encodeMempoolHashes([fromHex(NOBODY)]))
    expect(await second.next()).toBeUndefined()
    expect(warnings(a.lines, '0x0a')).toHaveLength(1)
    expect(scoreOf(a.node, peer.libp2p.peerId.toString())).toBeLessThanOrEqual(-9)
  })

  it('a light node closes an inventory at once and announces nothing', async () => {
    const lines: string[] = []
    const light = await startChainNode(nodes.node, params, { type: 'light', logger: testLogger(lines) })
    const peer = await nodes.raw()
    let opened = 0
    await peer.libp2p.handle(MEMPOOL_PROTOCOL, (stream: Stream) => {
      opened++
      stream.abort(new Error('unexpected'))
    })
    const connection = await handshakeRaw(peer, light.node)
    const frames = new RawFrames(await connection.newStream(MEMPOOL_PROTOCOL))
    frames.send(FrameType.MempoolHashes, encodeMempoolHashes([fromHex(NOBODY)]))
    expect(await frames.next()).toBeUndefined()
    expect(opened).toBe(0)
    expect(warnings(lines, '0x0a')).toHaveLength(0)
  })
})
