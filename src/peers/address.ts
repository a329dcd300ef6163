/**
 * Peer addresses as operators write them: a multiaddr (`/ip4/1.2.3.4/tcp/26656/p2p/12D3…`),
 * CometBFT's `id@host:port` (`12D3…@1.2.3.4:26656`), or a bare `host:port` as 004 §2.2
 * lists its seeds (no peer ID: the identity is learned from the Noise handshake), where
 * host may be an IPv4 or bracketed IPv6 address or a DNS name.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { ipFamily } from '../wire/ip.ts'

export class AddressError extends Error {
  override readonly name = 'AddressError'
  readonly code = 'ERR_INVALID_ADDRESS'
}

const ID_AT_HOST_PORT = /^(?:([A-Za-z0-9]+)@)?(\[[^\]]+\]|[^:@/]+):(\d{1,5})$/

export function parsePeerAddress(text: string): Multiaddr {
  return checkPeerId(parseAddress(text), text)
}

/** The peer ID text of an address's /p2p/ component, if it has one. */
export function peerIdOf(address: Multiaddr): string | undefined {
  return address.getComponents().find((component) => component.name === 'p2p')?.value
}

/** multiaddr does not check /p2p/ values; a bad one must fail here, naming the address. */
function checkPeerId(address: Multiaddr, text: string): Multiaddr {
  const id = peerIdOf(address)
  if (id === undefined) return address
  try {
    peerIdFromString(id)
  } catch {
    throw new AddressError(`not a valid peer ID in ${JSON.stringify(text)}: ${JSON.stringify(id)}`)
  }
  return address
}

function parseAddress(text: string): Multiaddr {
  const trimmed = text.trim()
  if (trimmed.startsWith('/')) {
    try {
      return multiaddr(trimmed)
    } catch (error) {
      throw new AddressError(`not a valid multiaddr: ${JSON.stringify(text)} (${(error as Error).message})`)
    }
  }
  const match = ID_AT_HOST_PORT.exec(trimmed)
  if (match === null) {
    throw new AddressError(`expected a multiaddr, id@host:port or host:port, got ${JSON.stringify(text)}`)
  }
  const [, id, rawHost, portText] = match as unknown as [string, string | undefined, string, string]
  const port = Number(portText)
  if (port < 1 || port > 65535) throw new AddressError(`port out of range in ${JSON.stringify(text)}`)
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost
  const family = ipFamily(host)
  const hostPart = family === 4 ? `/ip4/${host}` : family === 6 ? `/ip6/${host}` : `/dns/${host}`
  try {
    return multiaddr(`${hostPart}/tcp/${port}${id === undefined ? '' : `/p2p/${id}`}`)
  } catch (error) {
    throw new AddressError(`invalid peer address ${JSON.stringify(text)}: ${(error as Error).message}`)
  }
}
