/**
 * IP addresses and subnets as bans name them (Bitcoin Core's `setban <ip|subnet>`): one text
 * per address however it was written, and CIDR matching. The matching is @chainsafe/netmask's
 * IpNet, the one libp2p's own connection manager uses for its allow and deny lists, so a
 * subnet here means what it means there. Browser-safe.
 */
import { IpNet, ipToString } from '@chainsafe/netmask'
import { ipFamily } from '../wire/ip.ts'

/** The accepted forms, for messages. */
export const IP_FORMS = 'an IP (10.1.2.3, 2001:db8::1) or a subnet in CIDR form (10.1.0.0/16, 2001:db8::/32)'

const PREFIX = /^(0|[1-9][0-9]{0,2})$/

/** An IP address (a /32 or /128) or a subnet, in its one text form. */
export interface Subnet {
  /** `10.1.2.3` for one address, `10.1.0.0/16` (host bits cleared) for a subnet; IPv6 in RFC 5952 form. */
  readonly text: string
  contains(ip: string): boolean
}

/**
 * `10.1.2.3`, `10.1.2.3/16` (read as `10.1.0.0/16`), `2001:db8::/32`, or an IPv4-mapped
 * IPv6 address or subnet (read as its IPv4); undefined for anything else.
 */
export function parseSubnet(text: string): Subnet | undefined {
  const [ipText = '', prefixText, ...rest] = text.trim().split('/')
  if (rest.length > 0 || (prefixText !== undefined && !PREFIX.test(prefixText))) return undefined
  const family = ipFamily(ipText)
  if (family === undefined) return undefined
  const ip = normalizeIp(ipText) as string
  let prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText)
  if (prefix > (family === 4 ? 32 : 128)) return undefined
  if (family === 6 && ipFamily(ip) === 4) {
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8: peers seen over IPv6 sockets are matched as IPv4.
    if (prefix < 96) return undefined
    prefix -= 96
  }
  const net = new IpNet(ip, prefix)
  const bits = ipFamily(ip) === 4 ? 32 : 128
  const network = normalizeIp(ipToString(net.network)) as string
  return {
    text: prefix === bits ? network : `${network}/${prefix}`,
    contains: (other) => {
      const normalized = normalizeIp(other)
      return normalized !== undefined && net.contains(normalized)
    },
  }
}

/**
 * The one text of an IP address, so a ban matches however the address was written:
 * IPv4 as is (ip.ts already refuses leading zeros), IPv4-mapped IPv6 as its IPv4, other
 * IPv6 in RFC 5952 form (lower case, no leading zeros, the longest run of zero groups as `::`).
 * Undefined for text that is not an IP address.
 */
export function normalizeIp(text: string): string | undefined {
  const family = ipFamily(text)
  if (family === 4) return text
  if (family === undefined) return undefined
  const groups = ipv6Groups(text)
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = [groups[6] as number, groups[7] as number]
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
  }
  // The longest run of two or more zero groups (the first, on a tie) becomes `::`.
  let bestStart = -1
  let bestLength = 1
  for (let start = 0; start < 8; ) {
    let end = start
    while (end < 8 && groups[end] === 0) end += 1
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start]
    start = end === start ? start + 1 : end
  }
  const hex = groups.map((group) => group.toString(16))
  if (bestStart === -1) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/** The eight 16-bit groups of IPv6 text that isIPv6 accepted. */
function ipv6Groups(text: string): number[] {
  const toGroups = (half: string): number[] => {
    if (half === '') return []
    return half.split(':').flatMap((part) => {
      if (!part.includes('.')) return [Number.parseInt(part, 16)]
      const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number]
      return [(a << 8) | b, (c << 8) | d]
    })
  }
  const [head = '', tail] = text.split('::')
  const headGroups = toGroups(head)
  if (tail === undefined) return headGroups
  const tailGroups = toGroups(tail)
  return [
    ...headGroups,
    ...new Array<number>(8 - headGroups.length - tailGroups.length).fill(0),
    ...tailGroups,
  ]
}
