/**
 * The peer manager's running state (src/peers/background-work.ts): the shutdown signal and
 * the background work stop() waits for.
 */
import { describe, expect, it } from 'vitest'
import { BackgroundWork } from '../../src/peers/background-work.ts'

describe('BackgroundWork', () => {
  it('runs until end(), which aborts its signal; begin() starts afresh', () => {
    const work = new BackgroundWork()
    expect(work.stopping).toBe(false)
    const first = work.signal
    work.end(new Error('bye'))
    expect(work.stopping).toBe(true)
    expect(first.aborted).toBe(true)
    expect((first.reason as Error).message).toBe('bye')
    work.begin()
    expect(work.stopping).toBe(false)
    expect(work.signal.aborted).toBe(false)
  })

  it('waits for tracked work, failed or not, and forgets it once settled', async () => {
    const work = new BackgroundWork()
    const ok = Promise.withResolvers<number>()
    const bad = Promise.withResolvers<number>()
    expect(work.track(ok.promise)).toBe(ok.promise)
    work.track(bad.promise).catch(() => undefined)
    expect(work.size).toBe(2)
    let settled = false
    const waiting = work.settled().then(() => {
      settled = true
    })
    ok.resolve(1)
    await ok.promise
    expect(settled).toBe(false)
    bad.reject(new Error('failed'))
    await waiting
    expect(settled).toBe(true)
    expect(work.size).toBe(0)
  })
})
