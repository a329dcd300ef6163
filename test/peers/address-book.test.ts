/**
 * The address book (src/peers/address-book.ts): bounds per group and overall, eviction of
 * terrible entries only, refusals, selection across groups, the peer-list sample, and
 * persistence through a JsonStore.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AddressBook } from '../../src/peers/address-book.ts'
import type { AddressBookDocument } from '../../src/peers/address-book-document.ts'
import {
  type AddressAnnouncement,
  type AddressEntry,
  addressBackoffMs,
  addressQuality,
  isTerrible,
} from '../../src/peers/address-entry.ts'
import { MemoryJsonStore } from '../../src/peers/json-store.ts'
import { netgroup } from '../../src/peers/netgroup.ts'
import { seededRandom } from '../support/seeded-random.ts'

const SELF = '12D3KooWSelf'
const CHAIN = 'paw-mainnet'
const T0 = 1_700_000_000_000
const SECOND = 1_000
const DAY = 24 * 60 * 60 * SECOND

const peer = (n: number): string => `12D3KooWPeer${n}`

function book(init: { maxEntries?: number; maxPerGroup?: number; now?: () => number } = {}): AddressBook {
  return new AddressBook({ self: SELF, chainId: CHAIN, now: () => T0, ...init })
}

function announce(n: number, ip: string, extra: Partial<AddressAnnouncement> = {}): AddressAnnouncement {
  return { peerId: peer(n), ip, port: 26656, source: 'exchange', ...extra }
}

describe('AddressBook.add', () => {
  it('adds a new address with fresh statistics', () => {
    const addresses = book()
    expect(addresses.add(announce(1, '203.0.113.7', { source: 'seed' }))).toBe('added')
    expect(addresses.size).toBe(1)
    expect(addresses.get(peer(1))).toEqual({
      peerId: peer(1),
      ip: '203.0.113.7',
      port: 26656,
      chainId: undefined,
      source: 'seed',
      firstSeen: T0,
      lastSeen: T0,
      lastAttempt: undefined,
      lastSuccess: undefined,
      failures: 0,
      rttMs: undefined,
      connectedMs: 0,
      wrongChain: false,
    } satisfies AddressEntry)
    expect(addresses.groups()).toEqual(new Map([['ipv4:203.0', 1]]))
  })

  it('the same address again refreshes lastSeen and keeps the source', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7', { source: 'seed' }), T0)
    expect(addresses.add(announce(1, '203.0.113.7', { chainId: CHAIN }), T0 + 5_000)).toBe('updated')
    const entry = addresses.get(peer(1))
    expect(entry?.lastSeen).toBe(T0 + 5_000)
    expect(entry?.firstSeen).toBe(T0)
    expect(entry?.source).toBe('seed')
    expect(entry?.chainId).toBe(CHAIN)
    expect(addresses.size).toBe(1)
  })

  it.each<[string, AddressAnnouncement]>([
    ['our own peer ID', { peerId: SELF, ip: '203.0.113.7', port: 26656, source: 'inbound' }],
    ['port 0', announce(1, '203.0.113.7', { port: 0 })],
    ['port 65536', announce(1, '203.0.113.7', { port: 65_536 })],
    ['a fractional port', announce(1, '203.0.113.7', { port: 26656.5 })],
    ['a NaN port', announce(1, '203.0.113.7', { port: Number.NaN })],
    ['a DNS name', announce(1, 'seed.example.org')],
    ['an IP with a leading zero', announce(1, '203.0.113.07')],
    ['an IPv6 zone', announce(1, 'fe80::1%eth0')],
    ['another chain', announce(1, '203.0.113.7', { chainId: 'paw-testnet' })],
    ['an empty peer ID', { peerId: '', ip: '203.0.113.7', port: 1, source: 'exchange' }],
    ['a peer ID that is not one', { peerId: '12D3/../x', ip: '203.0.113.7', port: 1, source: 'exchange' }],
  ])('refuses %s', (_name, address) => {
    const addresses = book()
    expect(addresses.add(address)).toBe('refused')
    expect(addresses.size).toBe(0)
  })

  it('accepts ports 1 and 65535, IPv6, and a matching chain ID', () => {
    const addresses = book()
    expect(addresses.add(announce(1, '203.0.113.7', { port: 1 }))).toBe('added')
    expect(addresses.add(announce(2, '2001:db8::1', { port: 65_535, chainId: CHAIN }))).toBe('added')
    expect(addresses.get(peer(2))?.chainId).toBe(CHAIN)
    expect(addresses.groups()).toEqual(
      new Map([
        ['ipv4:203.0', 1],
        ['ipv6:2001:0db8', 1],
      ]),
    )
  })

  it('a newer announcement moves the peer to its new address, with fresh statistics', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7'), T0)
    addresses.failed(peer(1), T0 + 1)
    addresses.rtt(peer(1), 80)
    expect(addresses.add(announce(1, '198.51.100.9', { port: 4001, source: 'inbound' }), T0 + 10)).toBe(
      'updated',
    )
    const entry = addresses.get(peer(1))
    expect(entry).toMatchObject({ ip: '198.51.100.9', port: 4001, failures: 0, lastSeen: T0 + 10 })
    expect(entry?.lastAttempt).toBeUndefined()
    expect(entry?.rttMs).toBeUndefined()
    expect(entry?.firstSeen).toBe(T0)
    expect(addresses.groups()).toEqual(new Map([['ipv4:198.51', 1]]))
  })

  it('hearsay does not move an address that worked the last time, but does once it fails', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7', { source: 'seed' }), T0)
    addresses.succeeded(peer(1), T0 + 1)
    expect(addresses.add(announce(1, '198.51.100.9', { source: 'exchange' }), T0 + 2)).toBe('refused')
    expect(addresses.get(peer(1))?.ip).toBe('203.0.113.7')
    // The peer itself (or the operator) may move it.
    expect(addresses.add(announce(1, '198.51.100.9', { source: 'manual' }), T0 + 3)).toBe('updated')
    expect(addresses.get(peer(1))?.ip).toBe('198.51.100.9')
    addresses.succeeded(peer(1), T0 + 4)
    addresses.failed(peer(1), T0 + 5)
    expect(addresses.add(announce(1, '192.0.2.1', { source: 'exchange' }), T0 + 6)).toBe('updated')
    expect(addresses.get(peer(1))?.ip).toBe('192.0.2.1')
  })

  it('1,000 addresses from one /16 occupy only that group’s share; other groups still get in', () => {
    const addresses = book()
    const outcomes = new Map<string, number>()
    for (let i = 0; i < 1_000; i++) {
      const outcome = addresses.add(announce(i, `203.0.${i >> 8}.${i & 0xff}`))
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }
    expect(addresses.groups().get('ipv4:203.0')).toBe(64)
    expect(outcomes).toEqual(
      new Map([
        ['added', 64],
        ['dropped-group-full', 936],
      ]),
    )
    for (let i = 0; i < 100; i++) {
      expect(addresses.add(announce(10_000 + i, `198.${i}.0.1`))).toBe('added')
    }
    expect(addresses.size).toBe(164)
    expect(Math.max(...addresses.groups().values())).toBe(64)
  })

  it('a full group takes a new address only in place of a terrible one', () => {
    const addresses = book({ maxPerGroup: 3 })
    for (let i = 0; i < 3; i++) addresses.add(announce(i, `203.0.0.${i + 1}`), T0)
    for (let i = 0; i < 3; i++) addresses.succeeded(peer(i), T0)
    // Peer 1 then fails three times: failing, but it worked less than a week ago.
    for (let f = 0; f < 3; f++) addresses.failed(peer(1), T0 + f * 1_000)
    expect(addresses.add(announce(10, '203.0.9.9'), T0 + DAY)).toBe('dropped-group-full')
    expect(addresses.add(announce(10, '203.0.9.9'), T0 + 8 * DAY)).toBe('replaced')
    expect(addresses.get(peer(1))).toBeUndefined()
    expect(addresses.get(peer(10))?.ip).toBe('203.0.9.9')
    expect(addresses.groups().get('ipv4:203.0')).toBe(3)
  })

  it('three failures and never a success is terrible at once (after the dial’s minute)', () => {
    const addresses = book({ maxPerGroup: 1 })
    addresses.add(announce(0, '203.0.0.1'), T0)
    for (let f = 0; f < 3; f++) addresses.failed(peer(0), T0)
    expect(addresses.add(announce(1, '203.0.0.2'), T0 + 61 * SECOND)).toBe('replaced')
  })

  it('an entry unseen for 30 days is terrible and is replaced', () => {
    const addresses = book({ maxPerGroup: 2 })
    addresses.add(announce(0, '203.0.0.1'), T0)
    addresses.add(announce(1, '203.0.0.2'), T0 + 10 * DAY)
    expect(addresses.add(announce(2, '203.0.0.3'), T0 + 29 * DAY)).toBe('dropped-group-full')
    expect(addresses.add(announce(2, '203.0.0.3'), T0 + 31 * DAY)).toBe('replaced')
    expect(addresses.get(peer(0))).toBeUndefined()
    expect(addresses.get(peer(1))).toBeDefined()
  })

  it('the worst entry goes first: never reached, then most failures, then oldest', () => {
    const addresses = book({ maxPerGroup: 3 })
    addresses.add(announce(0, '203.0.0.1'), T0)
    addresses.add(announce(1, '203.0.0.2'), T0 + 1)
    addresses.add(announce(2, '203.0.0.3'), T0 + 2)
    addresses.succeeded(peer(0), T0 - 40 * DAY)
    // At `later` all three are unseen for over 30 days, so terrible. Peers 1 and 2 were never
    // reached; peer 1 has more failures, so it goes first, then peer 2; peer 0 worked once.
    for (let f = 0; f < 4; f++) addresses.failed(peer(1), T0)
    const later = T0 + 31 * DAY
    expect(addresses.add(announce(3, '203.0.0.4'), later)).toBe('replaced')
    expect(addresses.get(peer(1))).toBeUndefined()
    expect(addresses.add(announce(4, '203.0.0.5'), later)).toBe('replaced')
    expect(addresses.get(peer(2))).toBeUndefined()
    expect(addresses.get(peer(0))).toBeDefined()
  })

  it('never judges an entry within a minute of dialling it', () => {
    const addresses = book({ maxPerGroup: 1 })
    addresses.add(announce(0, '203.0.0.1'), T0)
    addresses.attempted(peer(0), T0 + 31 * DAY)
    expect(addresses.add(announce(1, '203.0.0.2'), T0 + 31 * DAY + 30 * SECOND)).toBe('dropped-group-full')
    expect(addresses.add(announce(1, '203.0.0.2'), T0 + 31 * DAY + 61 * SECOND)).toBe('replaced')
  })

  it('a full book evicts the worst entry of the largest group', () => {
    const addresses = book({ maxEntries: 4, maxPerGroup: 3 })
    addresses.add(announce(0, '203.0.0.1'), T0)
    addresses.add(announce(1, '203.0.0.2'), T0 + 1)
    addresses.add(announce(2, '203.0.0.3'), T0 + 2)
    addresses.add(announce(3, '198.51.0.1'), T0)
    addresses.succeeded(peer(0), T0)
    expect(addresses.add(announce(4, '192.0.2.1'), T0 + 10)).toBe('replaced')
    // Peer 1: never reached, seen before peer 2.
    expect(addresses.get(peer(1))).toBeUndefined()
    expect(addresses.size).toBe(4)
    expect(addresses.groups()).toEqual(
      new Map([
        ['ipv4:203.0', 2],
        ['ipv4:198.51', 1],
        ['ipv4:192.0', 1],
      ]),
    )
  })

  it('a full book drops a newcomer from a group as large as any, unless it can replace a terrible entry', () => {
    const addresses = book({ maxEntries: 4, maxPerGroup: 3 })
    addresses.add(announce(0, '203.0.0.1'), T0)
    addresses.add(announce(1, '203.0.0.2'), T0)
    addresses.add(announce(2, '198.51.0.1'), T0)
    addresses.add(announce(3, '198.51.0.2'), T0)
    expect(addresses.add(announce(4, '203.0.0.3'), T0 + DAY)).toBe('dropped-book-full')
    expect(addresses.size).toBe(4)
    for (let f = 0; f < 3; f++) addresses.failed(peer(1), T0)
    expect(addresses.add(announce(4, '203.0.0.3'), T0 + 8 * DAY)).toBe('replaced')
    expect(addresses.get(peer(1))).toBeUndefined()
    expect(addresses.get(peer(4))).toBeDefined()
  })

  it('moving into a full group follows the same rule', () => {
    const addresses = book({ maxPerGroup: 1 })
    addresses.add(announce(0, '203.0.0.1'), T0)
    addresses.add(announce(1, '198.51.0.1', { source: 'seed' }), T0)
    expect(addresses.add(announce(1, '203.0.0.2', { source: 'inbound' }), T0 + DAY)).toBe(
      'dropped-group-full',
    )
    expect(addresses.get(peer(1))?.ip).toBe('198.51.0.1')
    expect(addresses.add(announce(1, '203.0.0.2', { source: 'inbound' }), T0 + 31 * DAY)).toBe('replaced')
    expect(addresses.get(peer(0))).toBeUndefined()
    expect(addresses.groups()).toEqual(new Map([['ipv4:203.0', 1]]))
  })

  it('rejects nonsensical bounds', () => {
    expect(() => book({ maxEntries: 0 })).toThrow(RangeError)
    expect(() => book({ maxPerGroup: 1.5 })).toThrow(RangeError)
  })
})

describe('AddressBook outcomes', () => {
  it('records attempts, failures, successes, RTT and connected time', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7'), T0)
    addresses.attempted(peer(1), T0 + 1)
    addresses.failed(peer(1), T0 + 2)
    addresses.failed(peer(1), T0 + 3)
    expect(addresses.get(peer(1))).toMatchObject({ lastAttempt: T0 + 3, failures: 2 })
    addresses.succeeded(peer(1), T0 + 10, { rttMs: 100 })
    expect(addresses.get(peer(1))).toMatchObject({
      lastSuccess: T0 + 10,
      lastSeen: T0 + 10,
      failures: 0,
      rttMs: 100,
      chainId: CHAIN,
    })
    addresses.rtt(peer(1), 200)
    expect(addresses.get(peer(1))?.rttMs).toBeCloseTo(120)
    addresses.rtt(peer(1), Number.NaN)
    addresses.rtt(peer(1), -5)
    expect(addresses.get(peer(1))?.rttMs).toBeCloseTo(120)
    addresses.connectedFor(peer(1), 60_000)
    addresses.connectedFor(peer(1), 30_000)
    addresses.connectedFor(peer(1), Number.POSITIVE_INFINITY)
    expect(addresses.get(peer(1))?.connectedMs).toBe(90_000)
  })

  it('ignores outcomes for unknown peers', () => {
    const addresses = book()
    addresses.attempted(peer(9))
    addresses.failed(peer(9))
    addresses.succeeded(peer(9))
    addresses.rtt(peer(9), 1)
    addresses.connectedFor(peer(9), 1)
    addresses.markWrongChain(peer(9))
    expect(addresses.size).toBe(0)
  })

  it('remove forgets the entry and an emptied group', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7'))
    expect(addresses.remove(peer(1))).toBe(true)
    expect(addresses.remove(peer(1))).toBe(false)
    expect(addresses.size).toBe(0)
    expect(addresses.groups().size).toBe(0)
    expect(addresses.entries()).toEqual([])
  })

  it('get and entries return copies', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7'))
    const entry = addresses.get(peer(1)) as AddressEntry
    entry.failures = 99
    ;(addresses.entries()[0] as AddressEntry).port = 1
    expect(addresses.get(peer(1))).toMatchObject({ failures: 0, port: 26656 })
  })

  it('a wrong-chain mark is terrible, and a completed handshake lifts it', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7'), T0)
    addresses.markWrongChain(peer(1))
    expect(isTerrible(addresses.get(peer(1)) as AddressEntry, T0)).toBe(true)
    expect(addresses.select(5, { now: T0 })).toEqual([])
    // Hearsay does not lift it.
    expect(addresses.add(announce(1, '203.0.113.7'), T0 + 1)).toBe('updated')
    expect(addresses.get(peer(1))?.wrongChain).toBe(true)
    addresses.succeeded(peer(1), T0 + 2)
    expect(addresses.get(peer(1))?.wrongChain).toBe(false)
  })
})

describe('AddressBook.select', () => {
  it('backs off min(2^failures s, 600 s) after the last attempt', () => {
    expect([0, 1, 3, 9, 10, 40].map(addressBackoffMs)).toEqual([
      1_000, 2_000, 8_000, 512_000, 600_000, 600_000,
    ])
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7'), T0)
    addresses.failed(peer(1), T0)
    addresses.failed(peer(1), T0)
    addresses.failed(peer(1), T0)
    expect(addresses.select(1, { now: T0 + 7_999 })).toEqual([])
    expect(addresses.select(1, { now: T0 + 8_000 }).map((entry) => entry.peerId)).toEqual([peer(1)])
  })

  it('skips excluded and wrong-chain entries', () => {
    const addresses = book()
    addresses.add(announce(1, '203.0.113.7'))
    addresses.add(announce(2, '198.51.100.7'))
    addresses.add(announce(3, '192.0.2.7'))
    addresses.markWrongChain(peer(3))
    const picked = addresses.select(10, { exclude: new Set([peer(1)]), now: T0 })
    expect(picked.map((entry) => entry.peerId)).toEqual([peer(2)])
  })

  it('takes at most two per group, counting the outbound peers there already', () => {
    const addresses = book()
    for (let i = 0; i < 10; i++) addresses.add(announce(i, `203.0.0.${i + 1}`))
    for (let i = 10; i < 20; i++) addresses.add(announce(i, `198.51.0.${i + 1}`))
    for (let i = 20; i < 30; i++) addresses.add(announce(i, `2001:db8::${i}`))
    const picked = addresses.select(10, {
      now: T0,
      random: seededRandom(1),
      outboundGroups: new Map([
        ['ipv4:203.0', 1],
        ['ipv6:2001:0db8', 2],
      ]),
    })
    const groups = picked.map((entry) => netgroup(entry.ip)).sort()
    expect(groups).toEqual(['ipv4:198.51', 'ipv4:198.51', 'ipv4:203.0'])
  })

  it('honours maxOutboundPerGroup and count', () => {
    const addresses = book()
    for (let i = 0; i < 10; i++) addresses.add(announce(i, `203.${i}.0.1`))
    for (let i = 10; i < 20; i++) addresses.add(announce(i, `203.0.1.${i}`))
    expect(addresses.select(3, { now: T0, random: seededRandom(2) })).toHaveLength(3)
    const picked = addresses.select(100, { now: T0, random: seededRandom(2), maxOutboundPerGroup: 1 })
    expect(picked).toHaveLength(10)
    expect(new Set(picked.map((entry) => netgroup(entry.ip))).size).toBe(10)
    expect(addresses.select(0, { now: T0 })).toEqual([])
  })

  it('is deterministic under an injected random', () => {
    const addresses = book()
    for (let i = 0; i < 200; i++) addresses.add(announce(i, `10.${i % 17}.${i}.1`))
    const first = addresses.select(8, { now: T0, random: seededRandom(42) })
    const second = addresses.select(8, { now: T0, random: seededRandom(42) })
    expect(first).toEqual(second)
    expect(first).toHaveLength(8)
  })

  it('picks a group uniformly, not by how many entries it holds', () => {
    const addresses = book()
    for (let i = 0; i < 60; i++) addresses.add(announce(i, `203.0.0.${i + 1}`))
    addresses.add(announce(100, '198.51.100.1'))
    const random = seededRandom(7)
    let lone = 0
    const runs = 2_000
    for (let run = 0; run < runs; run++) {
      const [picked] = addresses.select(1, { now: T0, random })
      if (picked?.peerId === peer(100)) lone++
    }
    expect(lone / runs).toBeGreaterThan(0.45)
    expect(lone / runs).toBeLessThan(0.55)
  })

  it('within a group, prefers reachable, stable, fast entries', () => {
    const addresses = book()
    addresses.add(announce(0, '203.0.0.1'))
    addresses.add(announce(1, '203.0.0.2'))
    addresses.succeeded(peer(1), T0 - DAY, { rttMs: 40 })
    addresses.connectedFor(peer(1), DAY)
    const random = seededRandom(9)
    let good = 0
    const runs = 2_000
    for (let run = 0; run < runs; run++) {
      const [picked] = addresses.select(1, { now: T0, random })
      if (picked?.peerId === peer(1)) good++
    }
    // Weights 1 and 4 × 3 × 2 = 24: 96%.
    expect(good / runs).toBeGreaterThan(0.93)
  })

  it('quality: reachable > unknown, stable > not, fast > slow, failures lower it', () => {
    const base: AddressEntry = {
      peerId: peer(1),
      ip: '203.0.0.1',
      port: 1,
      chainId: undefined,
      source: 'exchange',
      firstSeen: T0,
      lastSeen: T0,
      lastAttempt: undefined,
      lastSuccess: undefined,
      failures: 0,
      rttMs: undefined,
      connectedMs: 0,
      wrongChain: false,
    }
    const quality = (changes: Partial<AddressEntry>): number => addressQuality({ ...base, ...changes })
    expect(quality({ lastSuccess: T0 })).toBeGreaterThan(quality({}))
    expect(quality({ connectedMs: DAY })).toBeGreaterThan(quality({ connectedMs: 60_000 }))
    expect(quality({ rttMs: 20 })).toBeGreaterThan(quality({ rttMs: 500 }))
    expect(quality({ failures: 2 })).toBeLessThan(quality({ failures: 1 }))
    expect(quality({ failures: 1_000, rttMs: 1e9 })).toBeGreaterThan(0)
  })

  it('never returns excluded, wrong-chain or backing-off entries, nor over 2 per group with the outbound ones', () => {
    const addressArbitrary = fc.record({
      a: fc.integer({ min: 1, max: 5 }),
      b: fc.integer({ min: 0, max: 1 }),
      d: fc.integer({ min: 0, max: 255 }),
      succeededAgo: fc.option(fc.integer({ min: 0, max: 30 * DAY })),
      failures: fc.integer({ min: 0, max: 12 }),
      failedAgo: fc.integer({ min: 0, max: 700_000 }),
      attemptedAgo: fc.option(fc.integer({ min: 0, max: 700_000 })),
      wrongChain: fc.boolean(),
      excluded: fc.boolean(),
    })
    fc.assert(
      fc.property(
        fc.array(addressArbitrary, { maxLength: 150, size: 'max' }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1 }), fc.nat(3)), {
          maxLength: 10,
        }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer(),
        (addresses, outboundList, count, seed) => {
          const now = T0
          const subject = book()
          const exclude = new Set<string>()
          addresses.forEach((address, i) => {
            const id = peer(i)
            subject.add(announce(i, `${address.a}.${address.b}.${i >> 8}.${address.d}`), now - DAY)
            if (address.succeededAgo !== null) subject.succeeded(id, now - address.succeededAgo)
            for (let f = 0; f < address.failures; f++) subject.failed(id, now - address.failedAgo)
            if (address.attemptedAgo !== null) subject.attempted(id, now - address.attemptedAgo)
            if (address.wrongChain) subject.markWrongChain(id)
            if (address.excluded) exclude.add(id)
          })
          const outboundGroups = new Map<string, number>()
          for (const [a, b, n] of outboundList) outboundGroups.set(`ipv4:${a}.${b}`, n)
          const picked = subject.select(count, { exclude, outboundGroups, now, random: seededRandom(seed) })
          expect(picked.length).toBeLessThanOrEqual(count)
          expect(new Set(picked.map((entry) => entry.peerId)).size).toBe(picked.length)
          const perGroup = new Map<string, number>()
          for (const entry of picked) {
            expect(exclude.has(entry.peerId)).toBe(false)
            expect(entry.wrongChain).toBe(false)
            const stored = subject.get(entry.peerId) as AddressEntry
            expect(stored.wrongChain).toBe(false)
            if (stored.lastAttempt !== undefined) {
              const backoff = Math.min(2 ** stored.failures * 1_000, 600_000)
              expect(stored.lastAttempt + backoff).toBeLessThanOrEqual(now)
            }
            const group = netgroup(entry.ip)
            perGroup.set(group, (perGroup.get(group) ?? 0) + 1)
          }
          for (const [group, n] of perGroup) {
            expect(n + (outboundGroups.get(group) ?? 0)).toBeLessThanOrEqual(2)
          }
        },
      ),
    )
  })
})

describe('AddressBook.forPeerList', () => {
  it('shares entries that worked or were heard of in the last 3 hours, not excluded, not terrible', () => {
    const addresses = book()
    const now = T0 + 10 * DAY
    addresses.add(announce(1, '203.0.0.1'), now - 4 * 60 * 60_000) // stale hearsay
    addresses.add(announce(2, '203.0.0.2'), now - 2 * 60 * 60_000) // recent hearsay
    addresses.add(announce(3, '198.51.0.1'), T0) // worked, long ago
    addresses.succeeded(peer(3), T0)
    addresses.add(announce(4, '198.51.0.2'), now) // recent but excluded
    addresses.add(announce(5, '192.0.2.1'), now) // recent but wrong chain
    addresses.markWrongChain(peer(5))
    addresses.add(announce(6, '192.0.2.2'), now) // recent but failing
    for (let f = 0; f < 3; f++) addresses.failed(peer(6), now - 2 * 60_000)
    const shared = addresses.forPeerList(new Set([peer(4)]), 1_000, seededRandom(1), now)
    expect(shared.map((entry) => entry.peerId).sort()).toEqual([peer(2), peer(3)])
    expect(shared.find((entry) => entry.peerId === peer(3))).toEqual({
      peerId: peer(3),
      ip: '198.51.0.1',
      port: 26656,
    })
  })

  it('samples at most max, without repeats, reproducibly', () => {
    const addresses = book()
    for (let i = 0; i < 3_000; i++) addresses.add(announce(i, `10.${i % 200}.${i >> 8}.${i & 0xff}`))
    const shared = addresses.forPeerList(new Set(), undefined, seededRandom(3), T0)
    expect(shared).toHaveLength(1_000)
    expect(new Set(shared.map((entry) => entry.peerId)).size).toBe(1_000)
    expect(addresses.forPeerList(new Set(), 10, seededRandom(3), T0)).toEqual(
      addresses.forPeerList(new Set(), 10, seededRandom(3), T0),
    )
    expect(addresses.forPeerList(new Set(), 0, seededRandom(3), T0)).toEqual([])
  })

  it('is a uniform sample: every entry is equally likely', () => {
    const addresses = book()
    for (let i = 0; i < 10; i++) addresses.add(announce(i, `10.${i}.0.1`))
    const counts = new Array<number>(10).fill(0)
    const random = seededRandom(5)
    for (let run = 0; run < 5_000; run++) {
      for (const entry of addresses.forPeerList(new Set(), 3, random, T0)) {
        const index = Number(entry.peerId.slice(peer(0).length - 1))
        counts[index] = (counts[index] as number) + 1
      }
    }
    for (const count of counts) expect(count / 5_000).toBeCloseTo(0.3, 1)
  })
})

describe('AddressBook persistence', () => {
  it('round-trips through a store', async () => {
    const store = new MemoryJsonStore<AddressBookDocument>()
    const addresses = await AddressBook.open({ self: SELF, chainId: CHAIN, store, now: () => T0 })
    expect(addresses.size).toBe(0)
    expect(addresses.loadReport).toEqual({ loaded: 0, ignoredEntries: 0, ignoredDocument: undefined })
    addresses.add(announce(1, '203.0.113.7', { source: 'seed' }), T0)
    addresses.add(announce(2, '2001:db8::1', { chainId: CHAIN }), T0 + 1)
    addresses.add(announce(3, '198.51.100.1'), T0 + 2)
    addresses.succeeded(peer(1), T0 + 3, { rttMs: 42 })
    addresses.connectedFor(peer(1), 5_000)
    addresses.failed(peer(2), T0 + 4)
    addresses.markWrongChain(peer(3))
    await addresses.save()

    const reopened = await AddressBook.open({ self: SELF, chainId: CHAIN, store, now: () => T0 })
    expect(reopened.loadReport).toEqual({ loaded: 3, ignoredEntries: 0, ignoredDocument: undefined })
    expect(reopened.entries()).toEqual(addresses.entries())
    expect(reopened.groups()).toEqual(addresses.groups())
    expect(reopened.toDocument()).toEqual(addresses.toDocument())
    expect((await store.load())?.version).toBe(1)
  })

  it('ignores the document of another chain (the home switched chains)', async () => {
    const store = new MemoryJsonStore<AddressBookDocument>()
    const testnet = new AddressBook({ self: SELF, chainId: 'paw-testnet', store })
    testnet.add(announce(1, '203.0.113.7'))
    await testnet.save()
    const mainnet = await AddressBook.open({ self: SELF, chainId: CHAIN, store })
    expect(mainnet.size).toBe(0)
    expect(mainnet.loadReport).toEqual({ loaded: 0, ignoredEntries: 0, ignoredDocument: 'other-chain' })
  })

  it('ignores documents of another version or shape', async () => {
    for (const [document, reason] of [
      [{ version: 2, chainId: CHAIN, entries: [] }, 'unknown-version'],
      [{ version: 1, chainId: CHAIN }, 'malformed'],
      [[], 'malformed'],
      ['text', 'malformed'],
      [null, 'malformed'],
    ] as const) {
      const store = new MemoryJsonStore<unknown>()
      await store.save(document)
      const addresses = await AddressBook.open({
        self: SELF,
        chainId: CHAIN,
        store: store as MemoryJsonStore<AddressBookDocument>,
      })
      expect(addresses.loadReport.ignoredDocument).toBe(reason)
      expect(addresses.size).toBe(0)
    }
  })

  it('skips entries that fail validation, and counts them', async () => {
    const good = {
      peerId: peer(1),
      ip: '203.0.113.7',
      port: 26656,
      source: 'exchange',
      firstSeen: T0,
      lastSeen: T0,
      failures: 0,
      connectedMs: 0,
    }
    const entries: unknown[] = [
      good,
      { ...good }, // duplicate
      { ...good, peerId: SELF },
      { ...good, peerId: peer(2), ip: 'example.org' },
      { ...good, peerId: peer(3), port: 0 },
      { ...good, peerId: peer(4), source: 'gossip' },
      { ...good, peerId: peer(5), failures: -1 },
      { ...good, peerId: peer(6), lastSuccess: 'yesterday' },
      { ...good, peerId: peer(7), chainId: 'paw-testnet' },
      { ...good, peerId: peer(8), rttMs: null },
      { ...good, peerId: peer(9), connectedMs: Number.NaN },
      { ...good, peerId: peer(10), wrongChain: 'yes' },
      { ...good, peerId: 42 },
      'not an entry',
      null,
      { ...good, peerId: peer(11), chainId: CHAIN, lastAttempt: T0, lastSuccess: T0, rttMs: 5 },
    ]
    const store = new MemoryJsonStore<unknown>()
    await store.save({ version: 1, chainId: CHAIN, entries })
    const addresses = await AddressBook.open({
      self: SELF,
      chainId: CHAIN,
      store: store as MemoryJsonStore<AddressBookDocument>,
    })
    expect(addresses.loadReport).toEqual({ loaded: 2, ignoredEntries: 14, ignoredDocument: undefined })
    expect(addresses.get(peer(11))).toMatchObject({ chainId: CHAIN, lastSuccess: T0, rttMs: 5 })
  })

  it('loads no more than the bounds allow, without evicting', async () => {
    const store = new MemoryJsonStore<AddressBookDocument>()
    const big = new AddressBook({ self: SELF, chainId: CHAIN, store })
    for (let i = 0; i < 10; i++) big.add(announce(i, `203.0.0.${i + 1}`))
    for (let i = 10; i < 20; i++) big.add(announce(i, `10.${i}.0.1`))
    await big.save()
    const small = await AddressBook.open({ self: SELF, chainId: CHAIN, store, maxEntries: 8, maxPerGroup: 3 })
    expect(small.size).toBe(8)
    expect(small.groups().get('ipv4:203.0')).toBe(3)
    expect(small.loadReport).toEqual({ loaded: 8, ignoredEntries: 12, ignoredDocument: undefined })
  })

  it('save without a store throws', async () => {
    await expect(book().save()).rejects.toThrow(/no store/)
  })

  it('open fails when the store cannot be read', async () => {
    const store = {
      load: async () => {
        throw new Error('disk on fire')
      },
      save: async () => {},
    }
    await expect(AddressBook.open({ self: SELF, chainId: CHAIN, store })).rejects.toThrow('disk on fire')
  })
})

describe('local networks', () => {
  it('does not cap outbound per group on loopback: a devnet on 127.0.0.1 can reach min_outbound', () => {
    const book = new AddressBook({ self: 'self', chainId: 'paw-test' })
    for (let i = 0; i < 6; i++)
      book.add({ peerId: `peer${i}`, ip: '127.0.0.1', port: 30_000 + i, source: 'bootstrap' })
    expect(book.select(6, { outboundGroups: new Map([['ipv4:127.0', 3]]) })).toHaveLength(6)
    for (let i = 0; i < 6; i++)
      book.add({ peerId: `far${i}`, ip: `203.0.113.${i + 1}`, port: 26656, source: 'bootstrap' })
    const far = book.select(12, { exclude: new Set(Array.from({ length: 6 }, (_, i) => `peer${i}`)) })
    expect(far).toHaveLength(2)
  })
})
