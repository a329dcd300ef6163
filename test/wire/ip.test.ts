import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ipFamily } from '../../src/wire/ip.ts'

describe('ipFamily', () => {
  it.each([
    ['0.0.0.0', 4],
    ['255.255.255.255', 4],
    ['35.184.142.101', 4],
    ['::', 6],
    ['::1', 6],
    ['2001:db8::1', 6],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', 6],
    ['fe80::', 6],
    ['::ffff:192.0.2.1', 6],
    ['64:ff9b::192.0.2.33', 6],
    ['1:2:3:4:5:6:7::', 6],
    ['1:2:3:4:5:6:1.2.3.4', 6],
  ])('%s is IPv%d', (text, family) => {
    expect(ipFamily(text)).toBe(family)
  })

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'localhost',
    ':::',
    '1::2::3',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    'fe80::1%eth0',
    '::ffff:1.2.3',
    '1:2:3:4:5:6:7:1.2.3.4',
    'g::1',
    '1.2.3.4::',
    '1:2:1.2.3.4::',
    '1.2.3.4:1:2:3:4:5:6',
  ])('%j is not an IP', (text) => {
    expect(ipFamily(text)).toBeUndefined()
  })

  it('accepts every address fast-check generates (1,000 runs each)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(ipFamily(ip)).toBe(4)
      }),
      { numRuns: 1000 },
    )
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        expect(ipFamily(ip)).toBe(6)
      }),
      { numRuns: 1000 },
    )
  })
})
