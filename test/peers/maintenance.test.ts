/**
 * The maintenance pass (src/peers/maintenance.ts): what one pass does, that it resolves
 * when its work has settled, that stop() ends the loop, and that the address book is
 * saved at most every ADDRESS_BOOK_SAVE_MS and a failed save is only logged.
 */
import type { PeerId } from '@libp2p/interface'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { BackgroundWork } from '../../src/peers/background-work.ts'
import { ADDRESS_BOOK_SAVE_MS, Maintenance } from '../../src/peers/maintenance.ts'
import { FORGET_AFTER_MS, type PeerRecord } from '../../src/peers/peer-record.ts'
import { PeerRegistry } from '../../src/peers/peer-registry.ts'
import { keptLogger, newPeerIds } from './peer-fakes.ts'

let ids: PeerId[]
beforeAll(async () => {
  ids = await newPeerIds(2)
})
afterEach(() => {
  vi.useRealTimers()
})

function harness(init: { save?: () => Promise<void>; intervalMs?: number } = {}) {
  const { log, lines } = keptLogger()
  const registry = new PeerRegistry({ log })
  const work = new BackgroundWork()
  const checked: PeerRecord[] = []
  const pruned: number[] = []
  const passes: AbortSignal[] = []
  const dial = Promise.withResolvers<void>()
  let saves = 0
  const maintenance = new Maintenance({
    settings: { maintenanceIntervalMs: init.intervalMs ?? 60_000 },
    registry,
    keepAlive: {
      check: (record) => {
        checked.push(record)
        return undefined
      },
    },
    outbound: {
      dial: (_now, options) => {
        if (options?.signal !== undefined) passes.push(options.signal)
        return [dial.promise]
      },
    },
    gate: { prune: (now) => pruned.push(now ?? 0) },
    work,
    addressBook: {
      save: async () => {
        saves++
        await init.save?.()
      },
    },
    log,
  })
  return { maintenance, registry, work, checked, pruned, passes, dial, lines, saves: () => saves }
}

describe('Maintenance', () => {
  it('forgets stale records, checks the rest, prunes, saves the book and dials; resolves when all settled', async () => {
    const { maintenance, registry, work, checked, pruned, dial, saves } = harness()
    const stale = registry.record(ids[0] as PeerId)
    stale.changedAt = Date.now() - FORGET_AFTER_MS - 1
    const kept = registry.record(ids[1] as PeerId)
    let done = false
    const pass = maintenance.run().then(() => {
      done = true
    })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(registry.records.size).toBe(1)
    expect(checked).toEqual([kept])
    expect(pruned).toHaveLength(1)
    expect(saves()).toBe(1)
    expect(work.size).toBe(1)
    expect(done).toBe(false)
    dial.resolve()
    await pass
    expect(work.size).toBe(0)
  })

  it('saves the address book at most every ADDRESS_BOOK_SAVE_MS, and only logs a failed save', async () => {
    vi.useFakeTimers()
    const { maintenance, dial, lines, saves } = harness({
      save: async () => {
        throw new Error('disk full')
      },
    })
    dial.resolve()
    await maintenance.run()
    await maintenance.run()
    expect(saves()).toBe(1)
    expect(lines.find((line) => line.msg === 'address book not saved')).toMatchObject({ error: 'disk full' })
    vi.advanceTimersByTime(ADDRESS_BOOK_SAVE_MS)
    await maintenance.run()
    expect(saves()).toBe(2)
  })

  it('does nothing while stopping; rejects an aborted call; hands its signal to the dials', async () => {
    const { maintenance, work, checked, passes, dial } = harness()
    dial.resolve()
    work.end()
    await maintenance.run()
    expect(checked).toEqual([])
    work.begin()
    const signal = AbortSignal.abort(new Error('no'))
    await expect(maintenance.run({ signal })).rejects.toThrow('no')
    const live = new AbortController().signal
    await maintenance.run({ signal: live })
    expect(passes).toEqual([live])
  })

  it('runs a pass at start and every interval until stop()', async () => {
    vi.useFakeTimers()
    const { maintenance, pruned, dial } = harness({ intervalMs: 1_000 })
    dial.resolve()
    maintenance.start()
    expect(pruned).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(pruned).toHaveLength(3)
    maintenance.stop()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(pruned).toHaveLength(3)
  })
})
