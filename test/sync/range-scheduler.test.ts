import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Range, RangeScheduler, SyncExhaustedError } from '../../src/sync/range-scheduler.ts'

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
    const a = s.next('a')
    const b = s.next('b')
    if (a === undefined || b === undefined) throw new Error('no work')
    s.completed('b', b, heights(11, 10))
    expect(s.takeReady()).toEqual([])
    s.completed('a', a, heights(1, 10))
    expect(s.takeReady()).toEqual(heights(1, 20))
    expect(s.done).toBe(true)
  })

  it('queues the rest of a trimmed answer again, without counting an attempt', () => {
    const s = new RangeScheduler<number>({ from: 0, to: 9, chunkSize: 10, maxAttempts: 1 })
    s.completed('a', s.next('a') as Range, heights(0, 4))
    const rest = s.next('a')
    expect(rest).toEqual({ start: 4, count: 6 })
    s.completed('a', rest as Range, heights(4, 6))
    expect(s.takeReady()).toEqual(heights(0, 10))
  })

  it('gives a failed range to another peer, never back to the one that failed it, and stops after the budget', () => {
    const s = new RangeScheduler<number>({ from: 1, to: 5, chunkSize: 5, maxAttempts: 2 })
    s.failed('a', s.next('a') as Range)
    expect(s.next('a')).toBeUndefined()
    const b = s.next('b')
    expect(b).toEqual({ start: 1, count: 5 })
    s.completed('b', b as Range, []) // nothing for heights it should have: a failure too
    expect(s.exhausted).toBeInstanceOf(SyncExhaustedError)
    expect(() => s.next('c')).toThrow(SyncExhaustedError)
  })

  it('gives a peer up to perPeer chunks at once, each reported back by its own range', () => {
    const s = new RangeScheduler<number>({ from: 1, to: 40, chunkSize: 10, maxAttempts: 3, perPeer: 2 })
    const first = s.next('a') as Range
    const second = s.next('a') as Range
    expect([first, second]).toEqual([
      { start: 1, count: 10 },
      { start: 11, count: 10 },
    ])
    expect(s.next('a')).toBeUndefined()
    s.completed('a', second, heights(11, 10))
    expect(() => s.completed('a', second, heights(11, 10))).toThrow(RangeError)
    expect(s.next('a')).toEqual({ start: 21, count: 10 })
    s.failed('a', first, { blame: false })
    expect(s.busyPeers).toEqual(['a'])
    expect(s.next('b')).toEqual({ start: 1, count: 10 })
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
          { maxLength: 400, size: 'max' },
        ),
        fc.integer({ min: 1, max: 3 }),
        (to, chunkSize, steps, perPeer) => {
          const s = new RangeScheduler<number>({ from: 1, to, chunkSize, maxAttempts: 1_000, perPeer })
          const delivered: number[] = []
          // Ranges in flight per peer, answered in any order.
          const held = new Map<string, Range[]>()
          const answer = (peer: string, range: Range, outcome: number) => {
            if (outcome < 0.2) s.failed(peer, range, { blame: outcome < 0.1 })
            else s.completed(peer, range, heights(range.start, Math.max(1, Math.ceil(range.count * outcome))))
            delivered.push(...s.takeReady())
          }
          const run = (peer: string, outcome: number) => {
            const mine = held.get(peer) ?? []
            const range = s.next(peer)
            if (range !== undefined) mine.push(range)
            held.set(peer, mine)
            // Answer one of this peer's ranges, picked by the outcome (not always the oldest).
            if (mine.length === 0 || (range !== undefined && outcome > 0.6)) return
            const [picked] = mine.splice(Math.floor(outcome * mine.length) % mine.length, 1) as [Range]
            answer(peer, picked, outcome)
          }
          for (const { peer, outcome } of steps) run(`p${peer}`, outcome)
          // The flaky peers answer what they hold; then honest peers finish the job.
          for (const [peer, ranges] of held) for (const range of ranges.splice(0)) answer(peer, range, 1)
          for (let guard = 0; !s.done && guard < 10_000; guard++) {
            const peer = `honest${guard % 3}`
            const range = s.next(peer)
            if (range !== undefined) answer(peer, range, 1)
          }
          expect(s.done).toBe(true)
          expect(delivered).toEqual(heights(1, to))
        },
      ),
      { numRuns: 1_000 },
    )
  })
})
