import { describe, expect, it } from 'vitest'
import {
  type Ban,
  BanList,
  type BanListDocument,
  DEFAULT_BAN_MS,
  formatDuration,
  type IpBan,
  MAX_BAN_MS,
  parseDuration,
} from '../../src/peers/ban-list.ts'
import { type JsonStore, MemoryJsonStore } from '../../src/peers/json-store.ts'

const HOUR = 60 * 60_000

/** Who a ban names: the peer of a peer ban, the range of an IP ban. */
const whoOf = (ban: Ban | IpBan | undefined): string | undefined =>
  ban === undefined ? undefined : 'peerId' in ban ? ban.peerId : ban.ip

function clock(start = 1_000_000) {
  const state = { now: start }
  return { state, now: () => state.now }
}

describe('BanList', () => {
  it("an aborted call changes nothing and rejects with the signal's reason", async () => {
    const store = new MemoryJsonStore<BanListDocument>()
    const bans = await BanList.open({ store })
    const signal = AbortSignal.abort(new Error('gave up'))
    await expect(
      bans.ban('p', { durationMs: HOUR, reason: 'x', source: 'operator', signal }),
    ).rejects.toThrow('gave up')
    expect(bans.isBanned('p')).toBeUndefined()
    await bans.ban('q', { durationMs: HOUR, reason: 'x', source: 'operator' })
    await expect(bans.unban('q', { signal })).rejects.toThrow('gave up')
    expect(bans.isBanned('q')).toBeDefined()
    await expect(bans.save({ signal })).rejects.toThrow('gave up')
    await expect(BanList.open({ store }, { signal })).rejects.toThrow('gave up')
  })

  it('bans, unbans and lets a ban expire', async () => {
    const { state, now } = clock()
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>(), now })
    expect(bans.isBanned('p')).toBeUndefined()
    const ban = await bans.ban('p', { durationMs: HOUR, reason: 'spam', source: 'operator' })
    expect(ban).toEqual({
      peerId: 'p',
      ip: undefined,
      reason: 'spam',
      createdAt: state.now,
      until: state.now + HOUR,
      source: 'operator',
    })
    expect(bans.isBanned('p')).toEqual(ban)
    expect(await bans.unban('p')).toBe(true)
    expect(await bans.unban('p')).toBe(false)
    expect(bans.isBanned('p')).toBeUndefined()

    await bans.ban('q', { durationMs: HOUR, reason: 'low score', source: 'reputation' })
    state.now += HOUR - 1
    expect(bans.isBanned('q')).toBeDefined()
    state.now += 1
    expect(bans.isBanned('q')).toBeUndefined()
    expect(bans.list()).toEqual([])
    // An expired ban is no ban: nothing to lift.
    expect(await bans.unban('q')).toBe(false)
  })

  it('keeps a longer ban and extends a shorter one', async () => {
    const { state, now } = clock()
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>(), now })
    const long = await bans.ban('p', {
      durationMs: DEFAULT_BAN_MS,
      reason: 'operator says so',
      source: 'operator',
    })
    const kept = await bans.ban('p', { durationMs: HOUR, reason: 'low score', source: 'reputation' })
    expect(kept).toEqual(long)
    state.now += 1_000
    const extended = await bans.ban('p', {
      durationMs: 2 * DEFAULT_BAN_MS,
      reason: 'again',
      source: 'reputation',
    })
    expect(extended.until).toBe(state.now + 2 * DEFAULT_BAN_MS)
    expect(extended.reason).toBe('again')
    expect(bans.isBanned('p')).toEqual(extended)
    expect(bans.list()).toHaveLength(1)
  })

  it('refuses durations out of range and invalid IPs', async () => {
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>() })
    await expect(bans.ban('p', { durationMs: 0, reason: '', source: 'operator' })).rejects.toThrow(RangeError)
    await expect(
      bans.ban('p', { durationMs: MAX_BAN_MS + 1, reason: '', source: 'operator' }),
    ).rejects.toThrow(RangeError)
    await expect(
      bans.ban('p', { durationMs: HOUR, reason: '', source: 'operator', ip: '01.2.3.4' }),
    ).rejects.toThrow(TypeError)
    expect(bans.list()).toEqual([])
  })

  it('bans IPs carried by bans, compared normalised', async () => {
    const { state, now } = clock()
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>(), now })
    await bans.ban('p', { durationMs: HOUR, reason: 'r', source: 'operator', ip: '::FFFF:203.0.113.7' })
    await bans.ban('q', { durationMs: 2 * HOUR, reason: 'r', source: 'operator', ip: '2001:DB8:0:0:0:0:0:1' })
    await bans.ban('r', { durationMs: HOUR, reason: 'r', source: 'operator' })
    expect(bans.isBanned('p')?.ip).toBe('203.0.113.7')
    expect(whoOf(bans.isIpBanned('203.0.113.7'))).toBe('p')
    expect(whoOf(bans.isIpBanned('::ffff:cb00:7107'))).toBe('p')
    expect(whoOf(bans.isIpBanned('2001:db8::1'))).toBe('q')
    expect(bans.isIpBanned('2001:db8::2')).toBeUndefined()
    expect(bans.isIpBanned('not an ip')).toBeUndefined()
    // A ban kept as it is still learns the IP.
    await bans.ban('r', { durationMs: 1, reason: 'r', source: 'reputation', ip: '198.51.100.1' })
    expect(whoOf(bans.isIpBanned('198.51.100.1'))).toBe('r')
    state.now += HOUR
    expect(bans.isIpBanned('203.0.113.7')).toBeUndefined()
    expect(whoOf(bans.isIpBanned('2001:db8::1'))).toBe('q')
  })

  it('survives a restart, dropping expired and invalid entries', async () => {
    const { state, now } = clock()
    const store = new MemoryJsonStore<BanListDocument>()
    const bans = await BanList.open({ store, now })
    await bans.ban('a', { durationMs: 3 * HOUR, reason: 'a', source: 'operator', ip: '192.0.2.1' })
    await bans.ban('b', { durationMs: HOUR, reason: 'b', source: 'reputation' })
    await bans.ban('c', { durationMs: 2 * HOUR, reason: 'c', source: 'operator' })
    expect(bans.list().map((ban) => ban.peerId)).toEqual(['b', 'c', 'a'])

    const restarted = await BanList.open({ store, now })
    expect(restarted.list()).toEqual(bans.list())
    expect(restarted.ignoredOnLoad).toBe(0)
    expect(whoOf(restarted.isIpBanned('192.0.2.1'))).toBe('a')

    state.now += HOUR
    const later = await BanList.open({ store, now })
    expect(later.list().map((ban) => ban.peerId)).toEqual(['c', 'a'])
    expect(later.ignoredOnLoad).toBe(0)
  })

  it('skips invalid entries on load and counts them', async () => {
    const { state, now } = clock()
    const valid = {
      peerId: 'ok',
      ip: null,
      reason: 'r',
      createdAt: state.now,
      until: state.now + HOUR,
      source: 'operator',
    }
    const store = new MemoryJsonStore<unknown>()
    await store.save({
      version: 1,
      bans: [
        valid,
        { ...valid, peerId: 'ip', ip: '2001:0db8::0001' },
        null,
        { ...valid, peerId: '' },
        { ...valid, peerId: 'x', ip: 'nope' },
        { ...valid, peerId: 'x', source: 'someone' },
        { ...valid, peerId: 'x', until: state.now - 1 },
        { ...valid, peerId: 'x', until: valid.createdAt + MAX_BAN_MS + 1 },
        { ...valid, peerId: 'x', createdAt: 'yesterday' },
      ],
    })
    const bans = await BanList.open({ store: store as JsonStore<BanListDocument>, now })
    expect(bans.ignoredOnLoad).toBe(7)
    expect(bans.list().map((ban) => ban.peerId)).toEqual(['ip', 'ok'])
    expect(whoOf(bans.isIpBanned('2001:db8::1'))).toBe('ip')
  })

  it('refuses a document of another version rather than overwrite it', async () => {
    const store = new MemoryJsonStore<unknown>()
    await store.save({ version: 3, bans: [] })
    await expect(BanList.open({ store: store as JsonStore<BanListDocument> })).rejects.toThrow(
      /not a version 1 or 2 document/,
    )
    // Version 2 is version 1 with `ipBans`: without them it is not one.
    await store.save({ version: 2, bans: [] })
    await expect(BanList.open({ store: store as JsonStore<BanListDocument> })).rejects.toThrow(
      /not a version 1 or 2/,
    )
  })

  it('serialises saves, each writing the latest state', async () => {
    const written: string[][] = []
    let inFlight = 0
    const store: JsonStore<BanListDocument> = {
      load: async () => undefined,
      save: async (document) => {
        inFlight += 1
        expect(inFlight).toBe(1)
        await new Promise((resolve) => setTimeout(resolve, 1))
        written.push(document.bans.map((ban) => ban.peerId))
        inFlight -= 1
      },
    }
    const bans = await BanList.open({ store })
    await Promise.all([
      bans.ban('a', { durationMs: HOUR, reason: '', source: 'operator' }),
      bans.ban('b', { durationMs: HOUR, reason: '', source: 'operator' }),
      bans.unban('a'),
    ])
    expect(written.at(-1)).toEqual(['b'])
  })

  it('keeps saving after a failed save', async () => {
    let fail = true
    const inner = new MemoryJsonStore<BanListDocument>()
    const store: JsonStore<BanListDocument> = {
      load: () => inner.load(),
      save: async (document) => {
        if (fail) throw new Error('disk full')
        await inner.save(document)
      },
    }
    const bans = await BanList.open({ store })
    await expect(bans.ban('a', { durationMs: HOUR, reason: '', source: 'operator' })).rejects.toThrow(
      'disk full',
    )
    fail = false
    await bans.ban('b', { durationMs: HOUR, reason: '', source: 'operator' })
    expect((await inner.load())?.bans.map((ban) => ban.peerId)).toEqual(['a', 'b'])
  })

  it('prunes expired bans', async () => {
    const { state, now } = clock()
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>(), now })
    await bans.ban('a', { durationMs: HOUR, reason: '', source: 'operator' })
    await bans.ban('b', { durationMs: 2 * HOUR, reason: '', source: 'operator' })
    expect(bans.prune()).toBe(0)
    state.now += HOUR
    expect(bans.prune()).toBe(1)
    expect(bans.list().map((ban) => ban.peerId)).toEqual(['b'])
  })
})

describe('IP and subnet bans', () => {
  it('bans a range by its one text, matches every address inside, and lifts it by any text of it', async () => {
    const { state, now } = clock()
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>(), now })
    const ban = await bans.banIp('10.1.2.3/16', { durationMs: HOUR, reason: 'scan', source: 'operator' })
    expect(ban).toEqual({
      ip: '10.1.0.0/16',
      reason: 'scan',
      createdAt: state.now,
      until: state.now + HOUR,
      source: 'operator',
    })
    expect(whoOf(bans.isIpBanned('10.1.255.9'))).toBe('10.1.0.0/16')
    expect(whoOf(bans.isIpBanned('::ffff:10.1.0.1'))).toBe('10.1.0.0/16')
    expect(bans.isIpBanned('10.2.0.1')).toBeUndefined()
    await bans.banIp('2001:DB8::1', { durationMs: 2 * HOUR, reason: 'one', source: 'operator' })
    await bans.banIp('2001:db8:ff::/48', { durationMs: HOUR, reason: 'range', source: 'operator' })
    expect(whoOf(bans.isIpBanned('2001:db8::1'))).toBe('2001:db8::1')
    expect(bans.isIpBanned('2001:db8::2')).toBeUndefined()
    expect(whoOf(bans.isIpBanned('2001:db8:ff:1::7'))).toBe('2001:db8:ff::/48')
    expect(bans.ipBans().map((b) => b.ip)).toEqual(['10.1.0.0/16', '2001:db8:ff::/48', '2001:db8::1'])
    // Peer bans are another list.
    expect(bans.list()).toEqual([])

    // By the range, not by an address inside it.
    expect(await bans.unbanIp('10.1.2.3')).toBe(false)
    expect(await bans.unbanIp('10.1.99.99/16')).toBe(true)
    expect(bans.isIpBanned('10.1.2.3')).toBeUndefined()
    state.now += HOUR
    expect(bans.ipBans().map((b) => b.ip)).toEqual(['2001:db8::1'])
  })

  it('keeps the longer of two bans of one range, and the longest of those matching an address', async () => {
    const { now } = clock()
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>(), now })
    const long = await bans.banIp('192.0.2.0/24', {
      durationMs: 2 * HOUR,
      reason: 'long',
      source: 'operator',
    })
    expect(
      await bans.banIp('192.0.2.0/24', { durationMs: HOUR, reason: 'short', source: 'reputation' }),
    ).toBe(long)
    await bans.banIp('192.0.2.7', { durationMs: 3 * HOUR, reason: 'host', source: 'operator' })
    await bans.ban('p', { durationMs: HOUR, reason: 'peer', source: 'operator', ip: '192.0.2.7' })
    expect(bans.isIpBanned('192.0.2.7')?.reason).toBe('host')
    expect(bans.isIpBanned('192.0.2.8')?.reason).toBe('long')
  })

  it('refuses what is neither an IP nor a subnet, naming the forms, and durations out of bounds', async () => {
    const bans = await BanList.open({ store: new MemoryJsonStore<BanListDocument>() })
    for (const text of [
      '',
      'host.example',
      '10.1.2.3/33',
      '10.1.2.3/',
      '10.1.2.3/08',
      '::1/129',
      '10.0.0.1/8/1',
    ]) {
      await expect(bans.banIp(text, { durationMs: HOUR, reason: 'r', source: 'operator' })).rejects.toThrow(
        /not an IP or subnet: .*10\.1\.0\.0\/16/,
      )
    }
    await expect(bans.banIp('10.0.0.1', { durationMs: 0, reason: 'r', source: 'operator' })).rejects.toThrow(
      RangeError,
    )
    expect(bans.ipBans()).toEqual([])
  })

  it('saves version 1 until there is an IP ban, then version 2 with ipBans; both load', async () => {
    const { state, now } = clock()
    const store = new MemoryJsonStore<BanListDocument>()
    const bans = await BanList.open({ store, now })
    await bans.ban('p', { durationMs: HOUR, reason: 'peer', source: 'operator' })
    // A node that never banned an address keeps a file older nodes read.
    expect(await store.load()).toMatchObject({ version: 1, bans: [{ peerId: 'p' }] })
    expect(await store.load()).not.toHaveProperty('ipBans')
    await bans.banIp('127.0.0.0/8', { durationMs: 2 * HOUR, reason: 'range', source: 'operator' })
    expect(await store.load()).toEqual({
      version: 2,
      bans: [expect.objectContaining({ peerId: 'p' })],
      ipBans: [
        {
          ip: '127.0.0.0/8',
          reason: 'range',
          createdAt: state.now,
          until: state.now + 2 * HOUR,
          source: 'operator',
        },
      ],
    })
    const restarted = await BanList.open({ store, now })
    expect(restarted.ipBans()).toEqual(bans.ipBans())
    expect(whoOf(restarted.isIpBanned('127.0.0.1'))).toBe('127.0.0.0/8')
    expect(restarted.ignoredOnLoad).toBe(0)
    await restarted.unbanIp('127.0.0.0/8')
    expect(await store.load()).toMatchObject({ version: 1 })
  })

  it('skips invalid IP bans on load and counts them', async () => {
    const { state, now } = clock()
    const valid = {
      ip: '10.0.0.0/8',
      reason: 'r',
      createdAt: state.now,
      until: state.now + HOUR,
      source: 'operator',
    }
    const store = new MemoryJsonStore<unknown>()
    await store.save({
      version: 2,
      bans: [],
      ipBans: [
        valid,
        { ...valid, ip: '10.0.0.1/33' },
        { ...valid, ip: 7 },
        { ...valid, ip: '10.9.9.9', source: 'x' },
        null,
      ],
    })
    const bans = await BanList.open({ store: store as JsonStore<BanListDocument>, now })
    expect(bans.ignoredOnLoad).toBe(4)
    expect(bans.ipBans().map((b) => b.ip)).toEqual(['10.0.0.0/8'])
  })
})

describe('parseDuration', () => {
  it('reads units and plain milliseconds', () => {
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('10m')).toBe(600_000)
    expect(parseDuration('2h')).toBe(2 * HOUR)
    expect(parseDuration('7d')).toBe(7 * 24 * HOUR)
    expect(parseDuration('1w')).toBe(7 * 24 * HOUR)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('1500')).toBe(1500)
    expect(parseDuration(' 1d 3h ')).toBe(27 * HOUR)
    expect(parseDuration('1h30m')).toBe(1.5 * HOUR)
  })

  it.each(['', ' ', 'h', '1.5h', '-1h', '1 h', '1y', '1H', '10 000', 'ten', '1h x', '99999999999999999999'])(
    'refuses %j with a TypeError naming the accepted forms',
    (text) => {
      expect(() => parseDuration(text)).toThrow(TypeError)
      expect(() => parseDuration(text)).toThrow(/duration/)
    },
  )
})

describe('formatDuration', () => {
  it('prints the largest unit and the next one down', () => {
    expect(formatDuration(2 * HOUR)).toBe('2h')
    expect(formatDuration(27 * HOUR)).toBe('1d 3h')
    expect(formatDuration(45_000)).toBe('45s')
    expect(formatDuration(0)).toBe('0s')
    expect(formatDuration(999)).toBe('999ms')
    expect(formatDuration(DEFAULT_BAN_MS)).toBe('1d')
    expect(formatDuration(MAX_BAN_MS)).toBe('52w 1d')
    expect(formatDuration(24 * HOUR + 5 * 60_000)).toBe('1d')
    expect(formatDuration(90 * 60_000 + 59_999)).toBe('1h 30m')
  })

  it('parses back to at most the original', () => {
    for (const ms of [0, 1, 999, 1_000, 61_001, HOUR, 27 * HOUR + 1, MAX_BAN_MS]) {
      const parsed = parseDuration(formatDuration(ms))
      expect(parsed).toBeLessThanOrEqual(ms)
    }
    expect(() => formatDuration(-1)).toThrow(RangeError)
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError)
  })
})
