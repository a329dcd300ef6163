/**
 * `/paw/peers/1` payloads (004 §2.1, DECISIONS.md "Peer exchange";
 * protocols/peers.md):
 *
 *   get_peers: [0x01]
 *   peers:     [u16 BE count ≤ 1000] then per peer
 *              [u8 idLen 1..128][PeerId string][u16 BE port][u8 ipLen 1..64][IP as text]
 *
 * A structural fault (count over 1000, lengths out of range, count and bytes that
 * disagree) rejects the whole message. An entry that is well-formed but unusable (port 0,
 * IP text that does not parse, an ID that is not the PeerId of an Ed25519 key) is skipped
 * alone and reported, so the caller can log it.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidMessageFormatError } from '../errors.ts'
import { type ByteInput, contiguous, utf8Encode } from './bytes.ts'
import {
  GET_PEERS_REQUEST_BYTE,
  MAX_PEER_ID_LENGTH,
  MAX_PEER_IP_LENGTH,
  MAX_PEERS_PER_RESPONSE,
} from './constants.ts'
import { ipFamily } from './ip.ts'

export interface PeerAddress {
  /** libp2p PeerId in its string form. */
  id: string
  /** 1..65535 */
  port: number
  /** IPv4 or IPv6 address text. */
  ip: string
}

export interface SkippedPeerEntry {
  /** Position of the entry in the response, from 0. */
  index: number
  reason: string
}

export interface PeerList {
  peers: PeerAddress[]
  skipped: SkippedPeerEntry[]
}

/**
 * PeerId strings are base58btc (`12D3KooW…`, `Qm…`) or multibase base32 CIDs (`bafz…`):
 * ASCII letters and digits only. Anything else cannot be a PeerId (and is not parsed).
 */
const PEER_ID_TEXT = /^[A-Za-z0-9]+$/

/**
 * Why `id` cannot name a PAW node, or undefined if it can: it must decode as a libp2p
 * PeerId, and that of an Ed25519 key, the only identity a PAW handshake accepts
 * (DECISIONS.md "Handshake"; protocols/peers.md "Entry skip").
 */
function peerIdProblem(id: string): string | undefined {
  if (!PEER_ID_TEXT.test(id)) return 'peer ID is not a PeerId string'
  let type: string
  try {
    type = peerIdFromString(id).type
  } catch {
    return 'peer ID does not decode as a PeerId'
  }
  return type === 'Ed25519' ? undefined : `peer ID is of a ${type} key, not Ed25519`
}

export function encodeGetPeers(): Uint8Array {
  return Uint8Array.of(GET_PEERS_REQUEST_BYTE)
}

/** @throws InvalidMessageFormatError unless the payload is exactly [0x01] */
export function decodeGetPeers(input: ByteInput): void {
  const payload = contiguous(input)
  if (payload.length !== 1 || payload[0] !== GET_PEERS_REQUEST_BYTE) {
    throw new InvalidMessageFormatError('get_peers payload must be the single byte 0x01')
  }
}

/** Why an entry cannot be used, or undefined if it can. */
function unusableReason(id: string, port: number, ip: string): string | undefined {
  if (port === 0) return 'port 0'
  if (ipFamily(ip) === undefined) return `unparsable IP ${JSON.stringify(ip)}`
  return peerIdProblem(id)
}

/**
 * Encodes a response. Refuses anything the decoder would reject or skip, so this node
 * never sends a list its peers would penalise.
 * @throws InvalidMessageFormatError
 */
export function encodePeerList(peers: readonly PeerAddress[]): Uint8Array {
  if (peers.length > MAX_PEERS_PER_RESPONSE) {
    throw new InvalidMessageFormatError(
      `peer list holds ${peers.length} peers, over ${MAX_PEERS_PER_RESPONSE}`,
    )
  }
  const entries = peers.map((peer, index) => {
    const id = utf8Encode(peer.id)
    const ip = utf8Encode(peer.ip)
    if (id.length < 1 || id.length > MAX_PEER_ID_LENGTH) {
      throw new InvalidMessageFormatError(`peer ${index}: ID must be 1..${MAX_PEER_ID_LENGTH} bytes`)
    }
    if (ip.length < 1 || ip.length > MAX_PEER_IP_LENGTH) {
      throw new InvalidMessageFormatError(`peer ${index}: IP must be 1..${MAX_PEER_IP_LENGTH} bytes`)
    }
    if (!Number.isInteger(peer.port) || peer.port < 1 || peer.port > 0xffff) {
      throw new InvalidMessageFormatError(`peer ${index}: port must be 1..65535, got ${peer.port}`)
    }
    const reason = unusableReason(peer.id, peer.port, peer.ip)
    if (reason !== undefined) throw new InvalidMessageFormatError(`peer ${index}: ${reason}`)
    return { id, ip, port: peer.port }
  })
  const size = entries.reduce((sum, e) => sum + 1 + e.id.length + 2 + 1 + e.ip.length, 2)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  view.setUint16(0, entries.length)
  let offset = 2
  for (const { id, ip, port } of entries) {
    out[offset++] = id.length
    out.set(id, offset)
    offset += id.length
    view.setUint16(offset, port)
    offset += 2
    out[offset++] = ip.length
    out.set(ip, offset)
    offset += ip.length
  }
  return out
}

/** Latin-1 view of bytes: every byte maps to one char, so non-ASCII simply fails the checks. */
function byteText(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return text
}

/** @throws InvalidMessageFormatError for any structural fault (the whole message is rejected) */
export function decodePeerList(input: ByteInput): PeerList {
  const payload = contiguous(input)
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const fail = (message: string): never => {
    throw new InvalidMessageFormatError(`peers: ${message}`)
  }
  if (payload.length < 2) fail('payload shorter than the 2-byte count')
  const count = view.getUint16(0)
  if (count > MAX_PEERS_PER_RESPONSE) fail(`count ${count} is over ${MAX_PEERS_PER_RESPONSE}`)

  const peers: PeerAddress[] = []
  const skipped: SkippedPeerEntry[] = []
  let offset = 2
  const need = (bytes: number, index: number, what: string): void => {
    if (offset + bytes > payload.length) fail(`entry ${index} truncated in its ${what} (count ${count})`)
  }
  for (let index = 0; index < count; index++) {
    need(1, index, 'ID length')
    const idLength = payload[offset++] as number
    if (idLength < 1 || idLength > MAX_PEER_ID_LENGTH) {
      fail(`entry ${index}: ID length ${idLength} is outside 1..${MAX_PEER_ID_LENGTH}`)
    }
    need(idLength, index, 'ID')
    const id = byteText(payload.subarray(offset, offset + idLength))
    offset += idLength
    need(3, index, 'port and IP length')
    const port = view.getUint16(offset)
    offset += 2
    const ipLength = payload[offset++] as number
    if (ipLength < 1 || ipLength > MAX_PEER_IP_LENGTH) {
      fail(`entry ${index}: IP length ${ipLength} is outside 1..${MAX_PEER_IP_LENGTH}`)
    }
    need(ipLength, index, 'IP')
    const ip = byteText(payload.subarray(offset, offset + ipLength))
    offset += ipLength

    const reason = unusableReason(id, port, ip)
    if (reason === undefined) peers.push({ id, port, ip })
    else skipped.push({ index, reason })
  }
  if (offset !== payload.length) {
    fail(`${payload.length - offset} bytes after the ${count} entries the count announced`)
  }
  return { peers, skipped }
}
