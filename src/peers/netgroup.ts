/**
 * Network groups for the address book (as Bitcoin Core's addrman buckets addresses): the
 * part of an IP address one operator can cheaply get many of. An attacker renting hosts
 * usually gets them from one provider's block, so capping entries and outbound peers per
 * group, rather than per address, bounds how much of our view one party can fill.
 *
 * IPv4 groups by /16, IPv6 by /32 (an RIR's smallest usual allocation to a provider), and
 * an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as the IPv4 address it is, so one host
 * cannot count twice by writing its address two ways. Loopback and private addresses are
 * grouped the same way: they are no special threat, and a test network on 127.0.0.1 must
 * still work. Browser-safe.
 */
import { isIPv4, isIPv6 } from '../wire/ip.ts'

/**
 * The network group of IP text: `ipv4:A.B` or `ipv6:xxxx:xxxx` (lower-case, zero-padded,
 * so every spelling of one address gives one group).
 * @throws TypeError if the text is not an IP address (src/wire/ip.ts's strict parsing)
 */
export function netgroup(ip: string): string {
  if (isIPv4(ip)) return ipv4Group(ip)
  if (!isIPv6(ip)) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`)
  const groups = ipv6Groups(ip)
  if (isIPv4Mapped(groups)) {
    // The /16 of the embedded IPv4 address is its first 16 bits: group 6.
    const high = groups[6] as number
    return `ipv4:${high >> 8}.${high & 0xff}`
  }
  return `ipv6:${hex4(groups[0] as number)}:${hex4(groups[1] as number)}`
}

/**
 * Whether a group is loopback or private (127/8, 10/8, 172.16/12, 192.168/16, ::1, fc00::/7,
 * fe80::/10): one operator's own machine or LAN, where every peer shares a group by
 * definition. The outbound diversity cap does not apply there (a local devnet would
 * otherwise never reach min_outbound); the address book's per-group cap still does.
 */
export function isLocalNetgroup(group: string): boolean {
  if (group.startsWith('ipv4:')) {
    const [a, b] = group.slice(5).split('.').map(Number) as [number, number]
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  }
  const first = Number.parseInt(group.slice(5, 9), 16)
  return group === 'ipv6:0000:0000' || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80
}

function ipv4Group(ip: string): string {
  const [a, b] = ip.split('.')
  return `ipv4:${Number(a)}.${Number(b)}`
}

/** ::ffff:0:0/96 */
function isIPv4Mapped(groups: readonly number[]): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff
}

function hex4(group: number): string {
  return group.toString(16).padStart(4, '0')
}

/**
 * The eight 16-bit groups of IPv6 text that isIPv6 accepted: `::` expanded, an IPv4 tail
 * turned into the last two groups.
 */
function ipv6Groups(ip: string): number[] {
  const halves = ip.split('::')
  const parse = (half: string | undefined): number[] => {
    if (half === undefined || half === '') return []
    const groups: number[] = []
    for (const part of half.split(':')) {
      if (part.includes('.')) {
        const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number]
        groups.push((a << 8) | b, (c << 8) | d)
      } else {
        groups.push(Number.parseInt(part, 16))
      }
    }
    return groups
  }
  const head = parse(halves[0])
  const tail = parse(halves[1])
  const zeros = new Array<number>(8 - head.length - tail.length).fill(0)
  return [...head, ...zeros, ...tail]
}
