import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EVICTION_PROTECTION,
  type EvictionCandidate,
  type EvictionProtectionName,
  protectedPeers,
  selectEvictionCandidate,
} from '../../src/peers/eviction.ts'

const NOW = 10_000_000

function candidate(peerId: string, overrides: Partial<EvictionCandidate> = {}): EvictionCandidate {
  return {
    peerId,
    netgroup: `ipv4:10.${peerId.length}`,
    connectedAt: NOW - 1_000,
    rttMs: undefined,
    lastBlockAt: undefined,
    lastTransactionAt: undefined,
    score: 0,
    persistent: false,
    ...overrides,
  }
}

/** Turns every category off but `only`, to test one at a time. */
function only(
  name: EvictionProtectionName,
  amount?: number,
): Partial<Record<EvictionProtectionName, number>> {
  const off = { netgroups: 0, lowestRtt: 0, recentBlocks: 0, recentTransactions: 0, longestConnected: 0 }
  return { ...off, [name]: amount ?? EVICTION_PROTECTION[name].amount }
}

function idsWith(map: Map<string, string>, reason: string): string[] {
  return [...map].filter(([, why]) => why === reason).map(([id]) => id)
}

describe('protectedPeers', () => {
  it('never evicts persistent peers', () => {
    const peers = [candidate('a', { persistent: true, score: -1_000 }), candidate('b', { persistent: true })]
    expect(selectEvictionCandidate(peers)).toBeUndefined()
    expect(protectedPeers(peers)).toEqual(
      new Map([
        ['a', 'persistent'],
        ['b', 'persistent'],
      ]),
    )
    const withOther = [...peers, candidate('c', { score: 100 })]
    expect(selectEvictionCandidate(withOther, { protect: only('lowestRtt') })).toBe('c')
  })

  it('protects the best-scored peer of each of 4 distinct netgroups', () => {
    const peers = ['a', 'b', 'c', 'd', 'e'].flatMap((group, g) => [
      candidate(`${group}1`, { netgroup: group, score: 10 * g + 1 }),
      candidate(`${group}2`, { netgroup: group, score: 10 * g + 2 }),
    ])
    const result = protectedPeers(peers, { protect: only('netgroups') })
    // The best overall per group, groups taken best first: e, d, c, b.
    expect(idsWith(result, 'netgroups').sort()).toEqual(['b2', 'c2', 'd2', 'e2'])
    expect(result.size).toBe(4)
  })

  it('protects the 8 lowest RTTs, only among measured peers', () => {
    const peers = Array.from({ length: 12 }, (_, i) => candidate(`r${i}`, { rttMs: 100 - i }))
    peers.push(candidate('unmeasured'))
    const result = protectedPeers(peers, { protect: only('lowestRtt') })
    expect(idsWith(result, 'lowestRtt').sort()).toEqual(['r10', 'r11', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'])
    const few = protectedPeers([candidate('x', { rttMs: 5 }), candidate('y')], { protect: only('lowestRtt') })
    expect([...few.keys()]).toEqual(['x'])
  })

  it('protects the 4 most recent block senders and the 4 most recent transaction senders', () => {
    const blocks = Array.from({ length: 6 }, (_, i) => candidate(`b${i}`, { lastBlockAt: NOW - i }))
    const transactions = Array.from({ length: 6 }, (_, i) =>
      candidate(`t${i}`, { lastTransactionAt: NOW - i }),
    )
    const peers = [...blocks, ...transactions, candidate('idle')]
    const result = protectedPeers(peers, {
      protect: { ...only('recentBlocks'), recentTransactions: EVICTION_PROTECTION.recentTransactions.amount },
    })
    expect(idsWith(result, 'recentBlocks').sort()).toEqual(['b0', 'b1', 'b2', 'b3'])
    expect(idsWith(result, 'recentTransactions').sort()).toEqual(['t0', 't1', 't2', 't3'])
    expect(result.has('idle')).toBe(false)
  })

  it('protects the longest-connected half of what remains', () => {
    const peers = Array.from({ length: 7 }, (_, i) => candidate(`c${i}`, { connectedAt: NOW - 1_000 * i }))
    const result = protectedPeers(peers, { protect: only('longestConnected') })
    expect(idsWith(result, 'longestConnected').sort()).toEqual(['c4', 'c5', 'c6'])
    // One left: nothing to halve, so it can be evicted.
    expect(protectedPeers([candidate('lone')], { protect: only('longestConnected') }).size).toBe(0)
    expect(selectEvictionCandidate([candidate('lone')], { protect: only('longestConnected') })).toBe('lone')
    // With the defaults, a lone peer is its netgroup's best, so protected: the newcomer is refused.
    expect(selectEvictionCandidate([candidate('lone')])).toBeUndefined()
  })

  it('gives each peer the first category that protects it, each taken from what remains', () => {
    const star = candidate('star', { score: 50, rttMs: 1, lastBlockAt: NOW, connectedAt: 0 })
    const fast = Array.from({ length: 8 }, (_, i) =>
      candidate(`fast${i}`, { netgroup: 'same', rttMs: 10 + i }),
    )
    const result = protectedPeers([star, ...fast], { protect: { longestConnected: 0 } })
    expect(result.get('star')).toBe('netgroups')
    // star took no lowestRtt slot; 'same' had its best-scored (fast0, by age then id) taken for netgroups.
    expect(idsWith(result, 'netgroups').sort()).toEqual(['fast0', 'star'])
    expect(idsWith(result, 'lowestRtt')).toHaveLength(7)
  })

  it('refuses invalid overrides', () => {
    expect(() => protectedPeers([], { protect: { lowestRtt: -1 } })).toThrow(RangeError)
    expect(() => protectedPeers([], { protect: { netgroups: 1.5 } })).toThrow(RangeError)
    expect(() => protectedPeers([], { protect: { longestConnected: 2 } })).toThrow(RangeError)
  })
})

describe('selectEvictionCandidate', () => {
  it('returns undefined for no candidates', () => {
    expect(selectEvictionCandidate([])).toBeUndefined()
  })

  it('takes the largest netgroup, and in it the worst score, then the youngest', () => {
    const off = { protect: only('netgroups', 0) }
    const peers = [
      candidate('a1', { netgroup: 'a', score: -5 }),
      candidate('b1', { netgroup: 'b', score: 0, connectedAt: 1 }),
      candidate('b2', { netgroup: 'b', score: -1, connectedAt: 2 }),
      candidate('b3', { netgroup: 'b', score: -1, connectedAt: 3 }),
    ]
    expect(selectEvictionCandidate(peers, off)).toBe('b3')
    // Equal groups: the one holding the youngest connection.
    const tied = [
      candidate('x1', { netgroup: 'x', connectedAt: 5 }),
      candidate('x2', { netgroup: 'x', connectedAt: 6 }),
      candidate('y1', { netgroup: 'y', connectedAt: 1, score: -100 }),
      candidate('y2', { netgroup: 'y', connectedAt: 9 }),
    ]
    expect(selectEvictionCandidate(tied, off)).toBe('y1')
  })

  it('evicts from a crowded /16 of badly scored newcomers among 50 inbound peers', () => {
    const honest = Array.from({ length: 40 }, (_, i) =>
      candidate(`honest${i}`, {
        netgroup: `ipv4:198.${i}`,
        connectedAt: NOW - 3_600_000 + i * 1_000,
        rttMs: 40 + i,
        lastBlockAt: i % 3 === 0 ? NOW - i * 10_000 : undefined,
        lastTransactionAt: i % 2 === 0 ? NOW - i * 1_000 : undefined,
        score: 5 + (i % 7),
      }),
    )
    const crowd = Array.from({ length: 10 }, (_, i) =>
      candidate(`crowd${i}`, {
        netgroup: 'ipv4:203.0',
        connectedAt: NOW - 60_000 + i * 1_000,
        rttMs: 300 + i,
        score: -50 - i,
      }),
    )
    const victim = selectEvictionCandidate([...honest, ...crowd])
    expect(victim).toBe('crowd9')
    // Shuffled input, same choice.
    expect(selectEvictionCandidate([...crowd, ...honest].reverse())).toBe('crowd9')
  })
})

const NETGROUPS = ['ipv4:1.1', 'ipv4:1.2', 'ipv4:2.1', 'ipv6:2001:db8', 'ipv4:3.3', 'ipv4:4.4', 'ipv4:5.5']

const candidates = fc
  .array(
    fc.record({
      netgroup: fc.constantFrom(...NETGROUPS),
      connectedAt: fc.integer({ min: 0, max: 50 }),
      rttMs: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      lastBlockAt: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      lastTransactionAt: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      score: fc.integer({ min: -5, max: 5 }),
      persistent: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
    { maxLength: 60, size: 'max' },
  )
  .map((peers): EvictionCandidate[] => peers.map((peer, i) => ({ peerId: `p${i}`, ...peer })))

describe('eviction properties', () => {
  it('evicts an unprotected peer of a largest unprotected netgroup, or nobody only if all are protected', () => {
    fc.assert(
      fc.property(candidates, (peers) => {
        const protectedIds = protectedPeers(peers)
        const victim = selectEvictionCandidate(peers)
        const unprotected = peers.filter((peer) => !protectedIds.has(peer.peerId))
        expect(victim === undefined).toBe(unprotected.length === 0)
        for (const peer of peers)
          if (peer.persistent) expect(protectedIds.get(peer.peerId)).toBe('persistent')
        if (victim !== undefined) {
          const chosen = peers.find((peer) => peer.peerId === victim) as EvictionCandidate
          expect(chosen.persistent).toBe(false)
          expect(protectedIds.has(victim)).toBe(false)
          const counts = new Map<string, number>()
          for (const peer of unprotected) counts.set(peer.netgroup, (counts.get(peer.netgroup) ?? 0) + 1)
          expect(counts.get(chosen.netgroup)).toBe(Math.max(...counts.values()))
          const rivals = unprotected.filter((peer) => peer.netgroup === chosen.netgroup)
          expect(chosen.score).toBe(Math.min(...rivals.map((peer) => peer.score)))
        }
      }),
    )
  })

  it('protects each category within its bounds', () => {
    fc.assert(
      fc.property(candidates, (peers) => {
        const result = protectedPeers(peers)
        const byId = new Map(peers.map((peer) => [peer.peerId, peer]))
        const netgroupIds = idsWith(result, 'netgroups')
        expect(netgroupIds.length).toBeLessThanOrEqual(EVICTION_PROTECTION.netgroups.amount)
        expect(new Set(netgroupIds.map((id) => byId.get(id)?.netgroup)).size).toBe(netgroupIds.length)
        const nonPersistentGroups = new Set(
          peers.filter((peer) => !peer.persistent).map((peer) => peer.netgroup),
        )
        expect(netgroupIds.length).toBe(
          Math.min(EVICTION_PROTECTION.netgroups.amount, nonPersistentGroups.size),
        )
        const rtt = idsWith(result, 'lowestRtt')
        expect(rtt.length).toBeLessThanOrEqual(EVICTION_PROTECTION.lowestRtt.amount)
        for (const id of rtt) expect(byId.get(id)?.rttMs).toBeDefined()
        const blocks = idsWith(result, 'recentBlocks')
        expect(blocks.length).toBeLessThanOrEqual(EVICTION_PROTECTION.recentBlocks.amount)
        for (const id of blocks) expect(byId.get(id)?.lastBlockAt).toBeDefined()
        const transactions = idsWith(result, 'recentTransactions')
        expect(transactions.length).toBeLessThanOrEqual(EVICTION_PROTECTION.recentTransactions.amount)
        for (const id of transactions) expect(byId.get(id)?.lastTransactionAt).toBeDefined()
        const longest = idsWith(result, 'longestConnected').length
        const unprotected = peers.length - result.size
        expect(longest).toBe(
          Math.floor((longest + unprotected) * EVICTION_PROTECTION.longestConnected.amount),
        )
      }),
    )
  })
})
