/**
 * Dials waiting for their connection's handshake (src/peers/handshake-waiters.ts): settled
 * by the outcome, bounded by a timeout, cut short by the caller's signal or by stop.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PeerInfo } from '../../src/api/index.ts'
import { ErrorCode, HandshakeTimeoutError, NetworkError, PeerLimitReachedError } from '../../src/errors.ts'
import { HandshakeWaiters } from '../../src/peers/handshake-waiters.ts'

const info = { peerId: 'p', state: 'connected' } as PeerInfo

afterEach(() => {
  vi.useRealTimers()
})

describe('HandshakeWaiters', () => {
  it('resolves every dial waiting on the connection with the peer', async () => {
    const waiters = new HandshakeWaiters()
    const first = waiters.wait('c1', 1_000)
    const second = waiters.wait('c1', 1_000)
    const other = waiters.wait('c2', 1_000)
    waiters.settle('c1', { info })
    await expect(first).resolves.toBe(info)
    await expect(second).resolves.toBe(info)
    expect(waiters.size).toBe(1)
    waiters.settle('c2', { error: new PeerLimitReachedError() })
    await expect(other).rejects.toMatchObject({ wireCode: ErrorCode.PeerLimitReached })
    expect(waiters.size).toBe(0)
  })

  it('gives up after the timeout with 0x03, leaving other dials on the connection waiting', async () => {
    vi.useFakeTimers()
    const waiters = new HandshakeWaiters()
    const short = waiters.wait('c1', 100)
    const long = waiters.wait('c1', 1_000)
    const outcome = expect(short).rejects.toBeInstanceOf(HandshakeTimeoutError)
    await vi.advanceTimersByTimeAsync(100)
    await outcome
    expect(waiters.size).toBe(1)
    waiters.settle('c1', { info })
    await expect(long).resolves.toBe(info)
  })

  it("rejects with the signal's reason when the caller aborts", async () => {
    const waiters = new HandshakeWaiters()
    const controller = new AbortController()
    const waiting = waiters.wait('c1', 60_000, { signal: controller.signal })
    const reason = new Error('caller gave up')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    expect(waiters.size).toBe(0)
    await expect(waiters.wait('c1', 60_000, { signal: controller.signal })).rejects.toBe(reason)
  })

  it('rejects every waiting dial when the node stops', async () => {
    const waiters = new HandshakeWaiters()
    const waiting = [waiters.wait('c1', 60_000), waiters.wait('c2', 60_000)]
    waiters.rejectAll(new NetworkError('node is shutting down'))
    for (const wait of waiting) await expect(wait).rejects.toThrow('node is shutting down')
    expect(waiters.size).toBe(0)
  })
})
