/**
 * IPs and subnets as bans name them (src/peers/ip-subnet.ts): one text per address or range,
 * and CIDR matching through @chainsafe/netmask.
 */
import { describe, expect, it } from 'vitest'
import { normalizeIp, parseSubnet } from '../../src/peers/ip-subnet.ts'

describe('parseSubnet', () => {
  it('gives an address its own text and a subnet its network, host bits cleared', () => {
    expect(parseSubnet('10.1.2.3')?.text).toBe('10.1.2.3')
    expect(parseSubnet('10.1.2.3/32')?.text).toBe('10.1.2.3')
    expect(parseSubnet(' 10.1.2.3/16 ')?.text).toBe('10.1.0.0/16')
    expect(parseSubnet('0.0.0.0/0')?.text).toBe('0.0.0.0/0')
    expect(parseSubnet('2001:DB8:0:0::1')?.text).toBe('2001:db8::1')
    expect(parseSubnet('2001:db8:abcd::1/32')?.text).toBe('2001:db8::/32')
    expect(parseSubnet('::1/128')?.text).toBe('::1')
    // IPv4-mapped IPv6 is the IPv4 it maps: peers on IPv6 sockets are matched as IPv4.
    expect(parseSubnet('::ffff:10.1.2.3')?.text).toBe('10.1.2.3')
    expect(parseSubnet('::ffff:10.1.2.3/104')?.text).toBe('10.0.0.0/8')
  })

  it('matches the addresses inside, however they are written', () => {
    const v4 = parseSubnet('127.0.0.0/8')
    expect(v4?.contains('127.0.0.1')).toBe(true)
    expect(v4?.contains('127.255.255.255')).toBe(true)
    expect(v4?.contains('::ffff:127.0.0.1')).toBe(true)
    expect(v4?.contains('128.0.0.1')).toBe(false)
    expect(v4?.contains('::1')).toBe(false)
    expect(v4?.contains('not an ip')).toBe(false)
    const v6 = parseSubnet('2001:db8::/32')
    expect(v6?.contains('2001:DB8:ffff::9')).toBe(true)
    expect(v6?.contains('2001:db9::1')).toBe(false)
    expect(v6?.contains('10.0.0.1')).toBe(false)
    expect(parseSubnet('10.1.2.3')?.contains('10.1.2.3')).toBe(true)
    expect(parseSubnet('10.1.2.3')?.contains('10.1.2.4')).toBe(false)
  })

  it.each([
    '',
    'host.example',
    '10.1.2',
    '010.1.2.3',
    '10.1.2.3/',
    '10.1.2.3/33',
    '10.1.2.3/08',
    '10.1.2.3/-1',
    '10.1.2.3/255.255.0.0',
    '10.1.2.3/8/8',
    '::1/129',
    '::ffff:10.1.2.3/95',
    'fe80::1%eth0/64',
  ])('%j is neither an IP nor a subnet', (text) => {
    expect(parseSubnet(text)).toBeUndefined()
  })
})

describe('normalizeIp', () => {
  it('gives one text per address', () => {
    expect(normalizeIp('203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeIp('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeIp('2001:DB8:0000:0:0:0:0:1')).toBe('2001:db8::1')
    expect(normalizeIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1')
    expect(normalizeIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1')
    expect(normalizeIp('::')).toBe('::')
    expect(normalizeIp('::1')).toBe('::1')
    expect(normalizeIp('fe80::')).toBe('fe80::')
    expect(normalizeIp('::1.2.3.4')).toBe('::102:304')
    expect(normalizeIp('1.2.3')).toBeUndefined()
    expect(normalizeIp('fe80::1%eth0')).toBeUndefined()
  })
})
