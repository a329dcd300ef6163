import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_PARKED, MAX_PARKED_PER_SENDER, WaitingRoom } from '../../src/gossip/waiting-room.ts'

/** The reference chain's keys (src/chain/mempool/pool-port.ts): sender:nonce. */
const key = (sender: number, nonce: number) => `${sender}:${nonce}`
const bytes = (n: number) => Uint8Array.of(n)

afterEach(() => {
  vi.useRealTimers()
})

describe('WaitingRoom', () => {
  it('hands back what waits for what an admitted transaction provides, and only it', () => {
    const expired: string[] = []
    const room = new WaitingRoom<string>({ onExpire: (tag) => expired.push(tag) })
    expect(room.park(key(1, 4), 'sender-1', 'n5', bytes(5))).toBe(true)
    expect(room.park(key(1, 4), 'sender-1', 'again', bytes(6))).toBe(false)
    expect(room.takeWaitingFor(key(1, 3))).toEqual([])
    expect(room.takeWaitingFor(key(2, 4))).toEqual([])
    expect(room.takeWaitingFor(key(1, 4))).toEqual([{ data: bytes(5), tag: 'n5' }])
    expect(room.takeWaitingFor(key(1, 4))).toEqual([])
    expect(room.size).toBe(0)
    room.clear()
    expect(expired).toEqual([])
  })

  it('expires what waits too long, and bounds each group', () => {
    vi.useFakeTimers()
    const expired: string[] = []
    const room = new WaitingRoom<string>({ onExpire: (tag) => expired.push(tag), parkMs: 1_000 })
    for (let i = 0; i < MAX_PARKED_PER_SENDER; i++) {
      expect(room.park(key(1, 10 + i), 'sender-1', `t${i}`, bytes(i))).toBe(true)
    }
    expect(room.park(key(1, 100), 'sender-1', 'over', bytes(0))).toBe(false)
    expect(room.park(key(2, 1), 'sender-2', 'other', bytes(0))).toBe(true)
    vi.advanceTimersByTime(1_001)
    expect(expired).toHaveLength(MAX_PARKED_PER_SENDER + 1)
    expect(room.size).toBe(0)
  })

  it('frees a group’s room as its transactions leave', () => {
    const room = new WaitingRoom<number>({ onExpire: () => {} })
    for (let i = 0; i < MAX_PARKED_PER_SENDER; i++) room.park(key(1, i), 'g', i, bytes(i))
    expect(room.park(key(1, 99), 'g', 99, bytes(99))).toBe(false)
    room.takeWaitingFor(key(1, 0))
    expect(room.park(key(1, 99), 'g', 99, bytes(99))).toBe(true)
    room.clear()
  })

  it('bounds the room as a whole', () => {
    const room = new WaitingRoom<number>({ onExpire: () => {} })
    for (let i = 0; i < MAX_PARKED; i++) expect(room.park(`k${i}`, `g${i}`, i, bytes(0))).toBe(true)
    expect(room.park('one more', 'fresh group', -1, bytes(0))).toBe(false)
    expect(room.size).toBe(MAX_PARKED)
    room.clear()
    expect(room.size).toBe(0)
  })
})
