/**
 * Between multiaddrs and the address book's ip:port entries. Browser-safe.
 */
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { ipFamily } from '../wire/ip.ts'

/** The IP and TCP port of a /ip4|ip6/…/tcp/… multiaddr, or undefined for anything else (DNS, WebSockets only…). */
export function tcpEndpoint(address: Multiaddr): { ip: string; port: number } | undefined {
  let ip: string | undefined
  let port: number | undefined
  for (const component of address.getComponents()) {
    if ((component.name === 'ip4' || component.name === 'ip6') && ip === undefined) ip = component.value
    else if (component.name === 'tcp' && port === undefined) port = Number(component.value)
    else if (component.name === 'ws' || component.name === 'wss' || component.name === 'p2p-circuit')
      return undefined
  }
  if (ip === undefined || port === undefined || !(port >= 1 && port <= 65535)) return undefined
  return { ip, port }
}

/** The IP of any /ip4|ip6 multiaddr. */
export function ipOf(address: Multiaddr): string | undefined {
  return address.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
}

/** Whether an IP is unusable as a dial target (a wildcard listen address). */
function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::'
}

/**
 * Where a connected peer can be dialled: the IP we see it at (its remote address) and the
 * TCP port it listens on (from identify's listen addresses, one on that IP first). Like
 * Bitcoin Core's addr, the IP is what we observed, not what the peer claims.
 */
export function dialBackAddress(
  remoteAddr: Multiaddr,
  listenAddrs: readonly Multiaddr[],
  direction: 'inbound' | 'outbound',
): { ip: string; port: number } | undefined {
  const seen = tcpEndpoint(remoteAddr)
  // An outbound connection's remote address is the listener we dialled.
  if (direction === 'outbound') return seen
  const ip = seen?.ip ?? ipOf(remoteAddr)
  if (ip === undefined) return undefined
  const listeners = listenAddrs.map(tcpEndpoint).filter((e) => e !== undefined && !isUnspecified(e.ip))
  const port = (listeners.find((e) => e?.ip === ip) ?? listeners[0])?.port
  return port === undefined ? undefined : { ip, port }
}

/** The multiaddr to dial an address book entry at. */
export function entryAddress(entry: { peerId: string; ip: string; port: number }): Multiaddr {
  const family = ipFamily(entry.ip) === 6 ? 'ip6' : 'ip4'
  return multiaddr(`/${family}/${entry.ip}/tcp/${entry.port}/p2p/${entry.peerId}`)
}
