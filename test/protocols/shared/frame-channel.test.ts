/**
 * FrameChannel over real libp2p streams: two plain libp2p nodes (TCP, Noise, yamux) on
 * loopback and a test protocol. Framing of 004 §1.1, the timeouts of 004 §3.1 and the
 * per-peer counters of 004 §7.1.
 */
import type { Libp2p, Stream } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCode,
  InvalidMessageFormatError,
  MessageTooLargeError,
  ResourceLimitExceededError,
  UnexpectedMessageError,
} from '../../../src/errors.ts'
import { PeerTraffic } from '../../../src/peers/traffic.ts'
import { PeerFault } from '../../../src/protocols/shared/faults.ts'
import {
  FrameChannel,
  type FrameChannelInit,
  READ_AHEAD_BYTES,
} from '../../../src/protocols/shared/frame-channel.ts'
import { MemoryBudget } from '../../../src/protocols/shared/memory-budget.ts'
import { MAX_FRAME_LENGTH } from '../../../src/wire/constants.ts'
import { encodeFrame, type Frame } from '../../../src/wire/frame.ts'
import { frameLength, frameLimits } from '../../../src/wire/frame-limits.ts'

const PROTOCOL = '/paw/test-channel/1'
const MiB = 1024 * 1024

let listener: Libp2p
let dialer: Libp2p
/** What the listener does with each inbound stream of the test protocol (set per test). */
let onInbound: (stream: Stream) => void = () => {}
const opened: Stream[] = []

async function plainNode(listen: string[]): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
  await node.start()
  return node
}

beforeAll(async () => {
  listener = await plainNode(['/ip4/127.0.0.1/tcp/0'])
  dialer = await plainNode([])
  await listener.handle(PROTOCOL, (stream) => {
    opened.push(stream)
    onInbound(stream)
  })
})

afterAll(async () => {
  await Promise.allSettled([dialer?.stop(), listener?.stop()])
})

afterEach(() => {
  for (const stream of opened.splice(0)) stream.abort(new Error('test over'))
  onInbound = () => {}
})

/** A new stream from the dialer and the listener's end of it. */
async function streamPair(): Promise<{ local: Stream; remote: Stream }> {
  const { promise, resolve } = Promise.withResolvers<Stream>()
  onInbound = resolve
  const address = listener.getMultiaddrs()[0]
  if (address === undefined) throw new Error('listener has no address')
  const local = await dialer.dialProtocol(address, PROTOCOL)
  opened.push(local)
  // The listener's handler runs once the first bytes arrive.
  const remote = await within(promise, 5_000, 'the inbound stream')
  return { local, remote }
}

function channel(stream: Stream, init: Partial<FrameChannelInit> = {}): FrameChannel {
  return new FrameChannel(stream, { writeTimeoutMs: 5_000, ...init })
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** read() that must yield a frame. */
async function readFrame(ch: FrameChannel): Promise<{ type: string; payload: Uint8Array }> {
  const item = await within(ch.read(), 10_000, 'frame')
  if (item === undefined) throw new Error('stream ended, expected a frame')
  if (item instanceof Error) throw item
  return { type: item.type, payload: Uint8Array.from((item as Frame).payload.subarray()) }
}

/** How read() settled: the error it threw or the value it returned (with when). */
async function settle(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown; at: number }> {
  try {
    return { value: await promise, at: Date.now() }
  } catch (error) {
    return { error, at: Date.now() }
  }
}

async function waitUntil(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(10)
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function u32(n: number): Uint8Array {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, n)
  return bytes
}

function patterned(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i += 4096) bytes[i] = (i / 4096 + seed) & 0xff
  bytes[length - 1] = seed
  return bytes
}

describe('FrameChannel over a libp2p stream', () => {
  it('frames written on one side are read on the other, in order, both ways', async () => {
    const { local, remote } = await streamPair()
    const a = channel(local)
    // Three frames sent without waiting: more than a lock-step protocol may send ahead.
    const b = channel(remote, { readAheadBytes: MiB })
    await a.write('tx', Uint8Array.of(1, 2, 3))
    await a.write('block', new Uint8Array(0))
    await a.write('peers', patterned(100_000, 9))
    expect(await readFrame(b)).toEqual({ type: 'tx', payload: Uint8Array.of(1, 2, 3) })
    expect(await readFrame(b)).toEqual({ type: 'block', payload: new Uint8Array(0) })
    expect(await readFrame(b)).toEqual({ type: 'peers', payload: patterned(100_000, 9) })
    await b.write('answer', Uint8Array.of(42))
    expect(await readFrame(a)).toEqual({ type: 'answer', payload: Uint8Array.of(42) })
    // A clean close of one side is the end of the other's reads.
    await a.close()
    expect(await within(b.read(), 5_000, 'end of stream')).toBeUndefined()
  })

  it('a frame of L = 10 MiB (the limit) arrives whole', async () => {
    const { local, remote } = await streamPair()
    const a = channel(local, { writeTimeoutMs: 10_000 })
    const b = channel(remote)
    const type = 'block'
    const payload = patterned(MAX_FRAME_LENGTH - 2 - type.length, 7)
    const reading = readFrame(b)
    await a.write(type, payload)
    await a.write('after', Uint8Array.of(1))
    const big = await reading
    expect(big.type).toBe(type)
    expect(big.payload.length).toBe(payload.length)
    expect(Buffer.compare(big.payload, payload)).toBe(0)
    expect(await readFrame(b)).toEqual({ type: 'after', payload: Uint8Array.of(1) })
  }, 20_000)

  it('frames split across chunks anywhere, and several frames in one chunk', async () => {
    const { local, remote } = await streamPair()
    const b = channel(remote)
    const first = encodeFrame('tx', Uint8Array.of(10, 20, 30, 40))
    const second = encodeFrame('vote', Uint8Array.of(5))
    const third = encodeFrame('ping', Uint8Array.of(6, 7))
    // One byte per chunk for the first frame, with a pause so each is its own chunk.
    for (const byte of first) {
      local.send(Uint8Array.of(byte))
      await sleep(5)
    }
    // The second and third in one chunk, cut inside the third's header.
    const both = new Uint8Array([...second, ...third])
    local.send(both.subarray(0, second.length + 3))
    await sleep(20)
    local.send(both.subarray(second.length + 3))
    expect(await readFrame(b)).toEqual({ type: 'tx', payload: Uint8Array.of(10, 20, 30, 40) })
    expect(await readFrame(b)).toEqual({ type: 'vote', payload: Uint8Array.of(5) })
    expect(await readFrame(b)).toEqual({ type: 'ping', payload: Uint8Array.of(6, 7) })
  })

  it('a malformed frame is returned as InvalidMessageFormatError and reading goes on', async () => {
    const { local, remote } = await streamPair()
    const b = channel(remote)
    // L = 3, T = 1, type "A": upper case is outside [a-z0-9_./-].
    const badType = Uint8Array.of(0, 0, 0, 3, 0, 1, 0x41)
    // L = 10, T = 40: the type claims more than the frame holds.
    const badLength = Uint8Array.of(...u32(10), 0, 40, ...new Uint8Array(8))
    local.send(new Uint8Array([...badType, ...encodeFrame('tx', Uint8Array.of(1)), ...badLength]))
    local.send(encodeFrame('tx', Uint8Array.of(2)))
    const bad = await within(b.read(), 5_000, 'item')
    expect(bad).toBeInstanceOf(InvalidMessageFormatError)
    expect((bad as InvalidMessageFormatError).wireCode).toBe(ErrorCode.InvalidMessageFormat)
    expect(await readFrame(b)).toEqual({ type: 'tx', payload: Uint8Array.of(1) })
    expect(await within(b.read(), 5_000, 'item')).toBeInstanceOf(InvalidMessageFormatError)
    expect(await readFrame(b)).toEqual({ type: 'tx', payload: Uint8Array.of(2) })
    expect(remote.status).toBe('open')
  })

  it('an 11 MiB header: read() throws the peer fault (0x04) and the stream is aborted', async () => {
    const { local, remote } = await streamPair()
    const b = channel(remote)
    const reset = new Promise<void>((resolve) => local.addEventListener('close', () => resolve()))
    local.send(encodeFrame('tx', Uint8Array.of(1)))
    local.send(Uint8Array.of(...u32(11 * MiB), 0, 2, 0x74, 0x78))
    expect(await readFrame(b)).toEqual({ type: 'tx', payload: Uint8Array.of(1) })
    const outcome = await settle(within(b.read(), 5_000, 'read failure'))
    expect(outcome.error).toBeInstanceOf(PeerFault)
    const fault = outcome.error as PeerFault
    expect(fault.offence).toBe('messageTooLarge')
    expect(fault.error).toBeInstanceOf(MessageTooLargeError)
    expect((fault.error as MessageTooLargeError).length).toBe(11 * MiB)
    expect(remote.status).toBe('aborted')
    // The failure sticks: every later read throws it too.
    await expect(b.read()).rejects.toBe(fault)
    // The sender sees the reset.
    await within(reset, 5_000, 'reset at the sender')
    expect(local.status).toBe('reset')
  })

  it('write timeout: a reader that stops reading fails the write as its fault (0x0B slow reader) after writeTimeoutMs', async () => {
    const { local, remote } = await streamPair()
    // The reader stops granting window: yamux stops sending once the window is used up.
    remote.pause()
    const writeTimeoutMs = 300
    const a = channel(local, { writeTimeoutMs })
    const payload = new Uint8Array(MiB)
    let written = 0
    let stalledAt = 0
    let failure: unknown
    // Far more than yamux's window (256 KiB, at most 16 MiB) plus the read buffer.
    while (written < 40) {
      stalledAt = Date.now()
      try {
        await within(a.write('block', payload), 10_000, 'write to settle')
        written++
      } catch (error) {
        failure = error
        break
      }
    }
    const elapsed = Date.now() - stalledAt
    expect(failure, `${written} MiB written without a stall`).toBeDefined()
    expect(failure).toBeInstanceOf(PeerFault)
    expect((failure as PeerFault).offence).toBe('slowReader')
    expect((failure as PeerFault).error.wireCode).toBe(ErrorCode.ResourceLimitExceeded)
    expect((failure as Error).message).toMatch(/not read within the write timeout/)
    expect(elapsed).toBeGreaterThanOrEqual(writeTimeoutMs - 10)
    expect(elapsed).toBeLessThan(writeTimeoutMs + 1_500)
    expect(local.status).toBe('aborted')
    await expect(a.write('block', Uint8Array.of(1))).rejects.toThrow()
  })

  it('read idle: nothing from the remote for readIdleMs ends the stream', async () => {
    const { local, remote } = await streamPair()
    const b = channel(remote, { readIdleMs: 300 })
    const started = Date.now()
    // The remote sends nothing (and keeps its stream open).
    const outcome = await settle(within(b.read(), 3_000, 'idle read to end'))
    const elapsed = outcome.at - started
    if (outcome.error instanceof Error && outcome.error.message.startsWith('no idle read')) {
      expect.fail('read() still pending after 3 s: readIdleMs had no effect on the stream')
    }
    expect(outcome.value).toBeUndefined()
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(2_000)
    expect(remote.status).not.toBe('open')
    // The remote, which kept its end open, learns of it.
    await waitUntil('the remote to see its stream end', () => local.status !== 'open', 2_000)
  })

  it('read idle: frames arriving more often than readIdleMs keep the stream open', async () => {
    const { local, remote } = await streamPair()
    const a = channel(local)
    const b = channel(remote, { readIdleMs: 300 })
    for (let i = 0; i < 8; i++) {
      await a.write('tick', Uint8Array.of(i))
      expect(await readFrame(b)).toEqual({ type: 'tick', payload: Uint8Array.of(i) })
      await sleep(100)
    }
    expect(remote.status).toBe('open')
  })

  it('traffic counters add bytes and frames each way', async () => {
    const { local, remote } = await streamPair()
    const localTraffic = new PeerTraffic()
    const remoteTraffic = new PeerTraffic()
    const a = channel(local, { traffic: localTraffic })
    const b = channel(remote, { traffic: remoteTraffic, readAheadBytes: MiB })
    const before = remoteTraffic.lastActivity
    const frames = [
      encodeFrame('tx', Uint8Array.of(1, 2, 3)),
      encodeFrame('block', patterned(300_000, 1)),
      encodeFrame('vote', new Uint8Array(0)),
    ]
    await a.write('tx', Uint8Array.of(1, 2, 3))
    await a.write('block', patterned(300_000, 1))
    await a.write('vote', new Uint8Array(0))
    for (let i = 0; i < 3; i++) await readFrame(b)
    await b.write('ack', Uint8Array.of(9))
    await readFrame(a)
    const sentBytes = frames.reduce((sum, frame) => sum + frame.length, 0)
    const ackBytes = encodeFrame('ack', Uint8Array.of(9)).length
    expect(localTraffic).toMatchObject({ bytesSent: sentBytes, messagesSent: 3, bytesReceived: ackBytes })
    expect(localTraffic.messagesReceived).toBe(1)
    expect(remoteTraffic).toMatchObject({
      bytesReceived: sentBytes,
      messagesReceived: 3,
      bytesSent: ackBytes,
    })
    expect(remoteTraffic.messagesSent).toBe(1)
    expect(remoteTraffic.lastActivity).toBeGreaterThanOrEqual(before)
  })
})

describe('FrameChannel limits, read-ahead and memory budget (framing.md "Frame limits")', () => {
  const types = new Set(['ask', 'answer', 'big'])
  const asking = frameLimits(types, { ask: 8, big: 1_000 })

  it("a header over its type's limit is 0x04 before its body is buffered", async () => {
    const { local, remote } = await streamPair()
    const b = channel(remote, { limits: asking })
    // ask's limit is L = 2 + 3 + 8 = 13; this header claims L = 14 and sends no body.
    local.send(Uint8Array.of(...u32(14), 0, 3, 0x61, 0x73, 0x6b))
    const outcome = await settle(within(b.read(), 5_000, 'read failure'))
    const fault = outcome.error as PeerFault
    expect(fault).toBeInstanceOf(PeerFault)
    expect(fault.error).toBeInstanceOf(MessageTooLargeError)
    expect((fault.error as MessageTooLargeError).frameType).toBe('ask')
    expect(b.bufferedBytes).toBe(0)
    // Over the stream's ceiling (the largest L it accepts), L alone decides.
    const pair = await streamPair()
    const c = channel(pair.remote, { limits: asking })
    pair.local.send(u32(frameLength('big', 1_000) + 1))
    const early = await settle(within(c.read(), 5_000, 'read failure'))
    const tooLarge = (early.error as PeerFault).error as MessageTooLargeError
    expect(tooLarge.length).toBe(frameLength('big', 1_000) + 1)
    expect(tooLarge.frameType).toBeUndefined()
  })

  it('a defined type not accepted here is skipped unread as 0x0A; an undefined one as 0x05; reading goes on', async () => {
    const { local, remote } = await streamPair()
    const b = channel(remote, { limits: frameLimits(types, { ask: 8 }, { ceiling: 1_000_000 }) })
    local.send(encodeFrame('answer', new Uint8Array(500_000)))
    const skipped = await within(b.read(), 5_000, 'skipped frame')
    expect(skipped).toBeInstanceOf(UnexpectedMessageError)
    // Its body was discarded as it arrived, never held.
    expect(b.bufferedBytes).toBeLessThan(64 * 1024)
    local.send(encodeFrame('other', Uint8Array.of(1)))
    expect(await within(b.read(), 5_000, 'skipped frame')).toBeInstanceOf(InvalidMessageFormatError)
    local.send(encodeFrame('ask', Uint8Array.of(7)))
    expect(await readFrame(b)).toEqual({ type: 'ask', payload: Uint8Array.of(7) })
  })

  it("expectOne accepts one answer within its limits, then the stream's own again", async () => {
    const { local, remote } = await streamPair()
    const idle = frameLimits(types, {}, { ceiling: 1_000 })
    const a = channel(local, { limits: idle })
    const b = channel(remote)
    a.expectOne(frameLimits(types, { answer: 100 }, { ceiling: 1_000 }))
    await b.write('answer', new Uint8Array(100))
    expect((await readFrame(a)).payload.length).toBe(100)
    await b.write('answer', new Uint8Array(10))
    expect(await within(a.read(), 5_000, 'second answer')).toBeInstanceOf(UnexpectedMessageError)
  })

  it("bytes sent ahead of a frame not yet taken, beyond the allowance, are the peer's fault (0x0A)", async () => {
    const { local, remote } = await streamPair()
    const b = channel(remote)
    local.send(encodeFrame('ask', Uint8Array.of(1)))
    // While that frame waits unread, the peer pipelines more than READ_AHEAD_BYTES.
    local.send(encodeFrame('ask', new Uint8Array(READ_AHEAD_BYTES + 1024)))
    await waitUntil('the stream to be reset', () => remote.status !== 'open', 5_000)
    // What was decoded before the fault is still read; then the fault.
    expect(await readFrame(b)).toEqual({ type: 'ask', payload: Uint8Array.of(1) })
    const outcome = await settle(within(b.read(), 5_000, 'read failure'))
    expect((outcome.error as PeerFault).offence).toBe('unexpectedMessage')
    expect((outcome.error as PeerFault).message).toMatch(/lock-step/)
  })

  it('each frame is reserved for the peer from its header until the next is taken; a refusal fails the stream (0x0B)', async () => {
    const budget = new MemoryBudget({ nodeBytes: 1_000_000, peerBytes: 300_000 })
    const { local, remote } = await streamPair()
    const b = channel(remote, { budget: { budget, peerId: 'p', purpose: 'test' } })
    local.send(encodeFrame('big', new Uint8Array(200_000)))
    const first = await readFrame(b)
    expect(first.payload.length).toBe(200_000)
    expect(budget.usage('p')).toBe(200_000 + 4 + frameLength('big', 0))
    // Its header alone: 200,000 more would put the peer over 300,000 while the first is held.
    local.send(encodeFrame('big', new Uint8Array(200_000)))
    await waitUntil('the refusal to reset the stream', () => remote.status !== 'open', 5_000)
    const outcome = await settle(within(b.read(), 5_000, 'read failure'))
    expect(outcome.error).toBeInstanceOf(ResourceLimitExceededError)
    expect((outcome.error as ResourceLimitExceededError).scope).toBe('peer')
    await waitUntil('the reservations to be released', () => budget.usage('p') === 0, 5_000)
    expect(budget.stats().refused.peer).toBe(1)
  })
})
