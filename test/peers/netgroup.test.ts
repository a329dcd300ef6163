/**
 * Network groups (src/peers/netgroup.ts): IPv4 /16, IPv6 /32, IPv4-mapped IPv6 as IPv4.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isLocalNetgroup, netgroup } from '../../src/peers/netgroup.ts'

describe('netgroup', () => {
  it.each([
    ['203.0.113.7', 'ipv4:203.0'],
    ['203.0.200.1', 'ipv4:203.0'],
    ['203.1.113.7', 'ipv4:203.1'],
    ['127.0.0.1', 'ipv4:127.0'],
    ['10.1.2.3', 'ipv4:10.1'],
    ['192.168.0.1', 'ipv4:192.168'],
    ['0.0.0.0', 'ipv4:0.0'],
    ['255.255.255.255', 'ipv4:255.255'],
  ])('IPv4 %s → %s', (ip, group) => {
    expect(netgroup(ip)).toBe(group)
  })

  it.each([
    ['2001:db8::1', 'ipv6:2001:0db8'],
    ['2001:DB8:0:0:0:0:0:1', 'ipv6:2001:0db8'],
    ['2001:0db8:ffff:1::', 'ipv6:2001:0db8'],
    ['2001:db9::1', 'ipv6:2001:0db9'],
    ['::1', 'ipv6:0000:0000'],
    ['::', 'ipv6:0000:0000'],
    ['fe80::1', 'ipv6:fe80:0000'],
    ['a:b:c:d:e:f:1:2', 'ipv6:000a:000b'],
    ['2001:db8::1.2.3.4', 'ipv6:2001:0db8'],
  ])('IPv6 %s → %s', (ip, group) => {
    expect(netgroup(ip)).toBe(group)
  })

  it.each([
    ['::ffff:1.2.3.4', 'ipv4:1.2'],
    ['::FFFF:203.0.113.7', 'ipv4:203.0'],
    ['::ffff:cb00:7107', 'ipv4:203.0'],
    ['0:0:0:0:0:ffff:7f00:1', 'ipv4:127.0'],
  ])('IPv4-mapped %s → %s (as the IPv4 address)', (ip, group) => {
    expect(netgroup(ip)).toBe(group)
  })

  it.each([
    '',
    'localhost',
    'example.org',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4:80',
    '2001:db8::1::2',
    'fe80::1%eth0',
    '[::1]',
    ' 1.2.3.4',
    '1:2:3:4:5:6:7:8:9',
  ])('refuses %j with a TypeError', (text) => {
    expect(() => netgroup(text)).toThrow(TypeError)
  })

  it('every IPv4 address and its mapped IPv6 spellings share a group', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number]
        const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
        const group = netgroup(ip)
        expect(group).toBe(`ipv4:${a}.${b}`)
        expect(netgroup(`::ffff:${ip}`)).toBe(group)
        expect(netgroup(`::ffff:${hex}`)).toBe(group)
      }),
    )
  })

  it('every spelling of an IPv6 address gives one group: its first 32 bits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        fc.pre(!(groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff))
        const full = groups.map((group) => group.toString(16).padStart(4, '0')).join(':')
        const short = groups.map((group) => group.toString(16).toUpperCase()).join(':')
        const expected = `ipv6:${full.slice(0, 9)}`
        expect(netgroup(full)).toBe(expected)
        expect(netgroup(short)).toBe(expected)
      }),
    )
  })

  it('compressed IPv6 text groups as its expansion', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        fc.pre(!ip.includes('.'))
        const group = netgroup(ip)
        // fc.ipV6 may write an IPv4-mapped address in hex, which groups as IPv4.
        expect(group).toMatch(/^(ipv6:[0-9a-f]{4}:[0-9a-f]{4}|ipv4:\d{1,3}\.\d{1,3})$/)
        expect(netgroup(ip.toUpperCase())).toBe(group)
      }),
    )
  })
})

describe('isLocalNetgroup', () => {
  it('is true for loopback and private groups only', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.1',
      '192.168.1.1',
      '::1',
      'fd00::1',
      'fe80::1',
    ]) {
      expect(isLocalNetgroup(netgroup(ip)), ip).toBe(true)
    }
    for (const ip of [
      '8.8.8.8',
      '172.15.0.1',
      '172.32.0.1',
      '192.169.0.1',
      '2001:db8::1',
      '::ffff:8.8.8.8',
    ]) {
      expect(isLocalNetgroup(netgroup(ip)), ip).toBe(false)
    }
  })
})
