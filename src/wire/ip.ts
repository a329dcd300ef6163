/**
 * Strict parsing of IP address text, as peers send it in `/paw/peers/1` entries.
 * Browser-safe (node:net's isIP is not). Accepts IPv4 dotted decimal without leading
 * zeros (which some stacks read as octal) and IPv6 text per RFC 4291 §2.2 (with `::`
 * and an embedded IPv4 tail); rejects zone IDs, which mean nothing off the sender's host.
 */

export type IpFamily = 4 | 6

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/

export function isIPv4(text: string): boolean {
  const parts = text.split('.')
  if (parts.length !== 4) return false
  return parts.every((part) => IPV4_PART.test(part) && Number(part) <= 255)
}

export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false
  const halves = text.split('::')
  if (halves.length > 2) return false
  const groupsOf = (half: string): string[] => (half === '' ? [] : half.split(':'))
  const head = groupsOf(halves[0] as string)
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : []
  const all = [...head, ...tail]
  let groupCount = all.length
  // An IPv4 tail (::ffff:1.2.3.4) stands for the last two groups; only the text's very last
  // group may be one, so "1.2.3.4::" is refused.
  const endsWithDoubleColon = halves.length === 2 && tail.length === 0
  const last = all[all.length - 1]
  if (last?.includes('.') && !endsWithDoubleColon) {
    if (!isIPv4(last)) return false
    all.pop()
    groupCount += 1
  }
  if (!all.every((group) => IPV6_GROUP.test(group))) return false
  return halves.length === 2 ? groupCount <= 7 : groupCount === 8
}

/** 4 or 6 for valid IP text, undefined otherwise. */
export function ipFamily(text: string): IpFamily | undefined {
  if (isIPv4(text)) return 4
  if (isIPv6(text)) return 6
  return undefined
}
