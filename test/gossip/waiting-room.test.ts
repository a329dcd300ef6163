import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Transaction } from '../../src/chain/types.ts'
import { MAX_PARKED_PER_SENDER, TransactionWaitingRoom } from '../../src/gossip/waiting-room.ts'

function tx(sender: number, nonce: bigint): Transaction {
  return {
    from: new Uint8Array(32).fill(sender),
    to: new Uint8Array(32).fill(99),
    amount: 1n,
    fee: 1n,
    nonce,
    signature: new Uint8Array(64),
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('TransactionWaitingRoom', () => {
  it('hands back the successor of an admitted transaction, and only it', () => {
    const expired: string[] = []
    const room = new TransactionWaitingRoom<string>({ onExpire: (tag) => expired.push(tag) })
    expect(room.park(tx(1, 5n), 'n5')).toBe(true)
    expect(room.park(tx(1, 5n), 'again')).toBe(false)
    expect(room.takeNext(tx(1, 3n))).toEqual([])
    expect(room.takeNext(tx(2, 4n))).toEqual([])
    expect(room.takeNext(tx(1, 4n)).map((entry) => entry.tag)).toEqual(['n5'])
    expect(room.size).toBe(0)
    room.clear()
    expect(expired).toEqual([])
  })

  it('expires what waits too long, and bounds each sender', () => {
    vi.useFakeTimers()
    const expired: string[] = []
    const room = new TransactionWaitingRoom<string>({ onExpire: (tag) => expired.push(tag), parkMs: 1_000 })
    for (let i = 0; i < MAX_PARKED_PER_SENDER; i++)
      expect(room.park(tx(1, BigInt(10 + i)), `t${i}`)).toBe(true)
    expect(room.park(tx(1, 100n), 'over')).toBe(false)
    expect(room.park(tx(2, 1n), 'other')).toBe(true)
    vi.advanceTimersByTime(1_001)
    expect(expired).toHaveLength(MAX_PARKED_PER_SENDER + 1)
    expect(room.size).toBe(0)
  })
})
