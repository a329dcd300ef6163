/**
 * `host:port` text, as admin.listen, `--admin-listen`, `--node` and the admin.addr file
 * spell a TCP endpoint: an IPv4 address, a host name, or an IPv6 address in brackets
 * (`[::1]:26658`). Browser-safe (no node:net).
 */
import { ipFamily } from '../wire/ip.ts'

export interface HostPort {
  /** IP address (IPv6 without brackets) or host name. */
  host: string
  /** 0 means "any free port" when listening. */
  port: number
}

const HOST_PORT = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/
const HOST_NAME =
  /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** @throws TypeError saying what is wrong with `text` */
export function parseHostPort(text: string): HostPort {
  const match = HOST_PORT.exec(text)
  if (match === null) {
    throw new TypeError(
      `expected host:port (e.g. 127.0.0.1:26658 or [::1]:26658), got ${JSON.stringify(text)}`,
    )
  }
  const [, rawHost, portText] = match as unknown as [string, string, string]
  const bracketed = rawHost.startsWith('[')
  const host = bracketed ? rawHost.slice(1, -1) : rawHost
  if (bracketed ? ipFamily(host) !== 6 : ipFamily(host) === undefined && !HOST_NAME.test(host)) {
    throw new TypeError(`${JSON.stringify(rawHost)} is not an IP address or host name`)
  }
  const port = Number(portText)
  if (port > 65535) throw new TypeError(`port ${port} is above 65535`)
  return { host, port }
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatHostPort({ host, port }: HostPort): string {
  return ipFamily(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase()
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true
  const v4 = lower.startsWith('::ffff:') ? lower.slice(7) : lower
  if (ipFamily(v4) === 4) return v4.startsWith('127.')
  return ipFamily(lower) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(lower)
}

/** The address a client dials for a listener bound to `host`: the wildcard means this machine. */
export function dialableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::' || /^(0{1,4}:){7}0{1,4}$/.test(host)) return '::1'
  return host
}
