/**
 * Peer addresses as operators write them: a multiaddr (`/ip4/1.2.3.4/tcp/26656/p2p/12D3…`),
 * CometBFT's `id@host:port`, or a bare `host:port` as 004 §2.2 lists its seeds (no peer ID:
 * the identity is learned from the Noise handshake), where host may be an IPv4 or bracketed
 * IPv6 address or a DNS name. The id of `id@host:port` is a libp2p peer ID (`12D3…@…`) or
 * the legacy hex node ID that `show-node-id` prints second (src/peers/node-id.ts), which a
 * CometBFT operator pastes: that address is dialled without a peer ID and the key checked.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { ipFamily } from '../wire/ip.ts'
import { NODE_ID_HEX } from './node-id.ts'

export class AddressError extends Error {
  override readonly name = 'AddressError'
  readonly code = 'ERR_INVALID_ADDRESS'
}

/** Where to dial, and the legacy node ID the peer's key must match when the address gave one. */
export interface PeerTarget {
  /** With /p2p/<peer id> when the address named a peer ID; without one for a hex node ID or host:port. */
  address: Multiaddr
  /** Lower-case hex, from `<hex>@host:port`. */
  nodeId?: string | undefined
}

/** What each error names, so an operator who pasted the wrong thing sees what would do. */
const ID_FORMS =
  'a peer ID (12D3KooW…, Qm…) or the 40 hex digits of the node ID that `show-node-id` prints second'
const FORMS = `a multiaddr (/ip4/1.2.3.4/tcp/26656/p2p/12D3KooW…), id@host:port (id: ${ID_FORMS}) or host:port`

const ID_AT_HOST_PORT = /^(?:([A-Za-z0-9]+)@)?(\[[^\]]+\]|[^:@/]+):(\d{1,5})$/

/** The dialable address of `text` (a hex node ID, having no multiaddr form, is left out: see parsePeerTarget). */
export function parsePeerAddress(text: string): Multiaddr {
  return parsePeerTarget(text).address
}

/** `text` as an address to dial and, for `<hex>@host:port`, the node ID to check. */
export function parsePeerTarget(text: string): PeerTarget {
  const trimmed = text.trim()
  if (trimmed.startsWith('/')) return { address: checkPeerId(parseMultiaddr(trimmed, text), text) }
  const match = ID_AT_HOST_PORT.exec(trimmed)
  if (match === null) throw new AddressError(`expected ${FORMS}, got ${JSON.stringify(text)}`)
  const [, id, rawHost, portText] = match as unknown as [string, string | undefined, string, string]
  const port = Number(portText)
  if (port < 1 || port > 65535) throw new AddressError(`port out of range in ${JSON.stringify(text)}`)
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost
  const family = ipFamily(host)
  const hostPart = family === 4 ? `/ip4/${host}` : family === 6 ? `/ip6/${host}` : `/dns/${host}`
  const nodeId = id !== undefined && NODE_ID_HEX.test(id) ? id.toLowerCase() : undefined
  if (id !== undefined && nodeId === undefined) checkIdText(id, text, `expected ${ID_FORMS}`)
  const p2p = id === undefined || nodeId !== undefined ? '' : `/p2p/${id}`
  let address: Multiaddr
  try {
    address = multiaddr(`${hostPart}/tcp/${port}${p2p}`)
  } catch (error) {
    throw new AddressError(`invalid peer address ${JSON.stringify(text)}: ${(error as Error).message}`)
  }
  return { address, nodeId }
}

/** The peer ID text of an address's /p2p/ component, if it has one. */
export function peerIdOf(address: Multiaddr): string | undefined {
  return address.getComponents().find((component) => component.name === 'p2p')?.value
}

function parseMultiaddr(trimmed: string, text: string): Multiaddr {
  try {
    return multiaddr(trimmed)
  } catch (error) {
    throw new AddressError(`not a valid multiaddr: ${JSON.stringify(text)} (${(error as Error).message})`)
  }
}

/** multiaddr does not check /p2p/ values; a bad one must fail here, naming the address and what would do. */
function checkPeerId(address: Multiaddr, text: string): Multiaddr {
  const id = peerIdOf(address)
  if (id === undefined) return address
  // /p2p/ is a libp2p peer ID by definition; the hex form has no multiaddr of its own.
  const expected = NODE_ID_HEX.test(id)
    ? `/p2p/ takes a peer ID (12D3KooW…); write a hex node ID as ${id}@host:port`
    : 'expected a peer ID (12D3KooW…, Qm…) after /p2p/'
  checkIdText(id, text, expected)
  return address
}

function checkIdText(id: string, text: string, expected: string): void {
  try {
    peerIdFromString(id)
  } catch {
    throw new AddressError(
      `not a valid peer ID in ${JSON.stringify(text)}: ${JSON.stringify(id)} (${expected})`,
    )
  }
}
