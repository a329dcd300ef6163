import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RangeScheduler, SyncExhaustedError } from '../../src/sync/range-scheduler.ts'

const heights = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i)

describe('RangeScheduler', () => {
  it('splits the heights into chunks, lowest first, one per idle peer', () => {
    const s = new RangeScheduler<number>({ from: 1, to: 25, chunkSize: 10, maxAttempts: 3 })
    expect(s.next('a')).toEqual({ start: 1, count: 10 })
    expect(s.next('a')).toBeUndefined()
    expect(s.next('b')).toEqual({ start: 11, count: 10 })
    expect(s.next('c')).toEqual({ start: 21, count: 5 })
    expect(s.next('d')).toBeUndefined()
    expect(s.busyPeers.sort()).toEqual(['a', 'b', 'c'])
  })

  it('hands results back in height order only', () => {
    const s = new RangeScheduler<number>({ from: 1, to: 20, chunkSize: 10, maxAttempts: 3 })
    s.next('a')
    s.next('b')
    s.completed('b', heights(11, 10))
    expect(s.takeReady()).toEqual([])
    s.completed('a', heights(1, 10))
    expect(s.takeReady()).toEqual(heights(1, 20))
    expect(s.done).toBe(true)
  })

  it('queues the rest of a trimmed answer again, without counting an attempt', () => {
    const s = new RangeScheduler<number>({ from: 0, to: 9, chunkSize: 10, maxAttempts: 1 })
    s.next('a')
    s.completed('a', heights(0, 4))
    expect(s.next('a')).toEqual({ start: 4, count: 6 })
    s.completed('a', heights(4, 6))
    expect(s.takeReady()).toEqual(heights(0, 10))
  })

  it('gives a failed range to another peer, never back to the one that failed it, and stops after the budget', () => {
    const s = new RangeScheduler<number>({ from: 1, to: 5, chunkSize: 5, maxAttempts: 2 })
    s.next('a')
    s.failed('a')
    expect(s.next('a')).toBeUndefined()
    expect(s.next('b')).toEqual({ start: 1, count: 5 })
    s.completed('b', []) // nothing for heights it should have: a failure too
    expect(s.exhausted).toBeInstanceOf(SyncExhaustedError)
    expect(() => s.next('c')).toThrow(SyncExhaustedError)
  })

  it('extends to a higher target', () => {
    const s = new RangeScheduler<number>({ from: 1, to: 3, chunkSize: 2, maxAttempts: 2 })
    s.extendTo(6)
    expect(s.target).toBe(6)
    const got: Array<{ start: number; count: number } | undefined> = []
    for (const p of ['a', 'b', 'c', 'd']) got.push(s.next(p))
    expect(got).toEqual([
      { start: 1, count: 2 },
      { start: 3, count: 1 },
      { start: 4, count: 2 },
      { start: 6, count: 1 },
    ])
  })

  it('delivers every height exactly once, in order, whatever peers trim and fail', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(
          fc.record({
            peer: fc.integer({ min: 0, max: 4 }),
            outcome: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          {
            maxLength: 400,
          },
        ),
        (to, chunkSize, steps) => {
          const s = new RangeScheduler<number>({ from: 1, to, chunkSize, maxAttempts: 1_000 })
          const delivered: number[] = []
          const run = (peer: string, outcome: number) => {
            const range = s.next(peer)
            if (range === undefined) return
            if (outcome < 0.2) s.failed(peer)
            else s.completed(peer, heights(range.start, Math.max(1, Math.ceil(range.count * outcome))))
            delivered.push(...s.takeReady())
          }
          for (const { peer, outcome } of steps) run(`p${peer}`, outcome)
          // Then honest peers finish the job.
          for (let guard = 0; !s.done && guard < 10_000; guard++) run(`honest${guard % 3}`, 1)
          expect(s.done).toBe(true)
          expect(delivered).toEqual(heights(1, to))
        },
      ),
      { numRuns: 1_000 },
    )
  })
})
