/**
 * The legacy PAW node ID (000/004 logs, `paw-node show-node-id`'s second line): the hex of
 * the first 20 bytes of the raw Ed25519 public key. It names a key as CometBFT's node ID
 * does, so `<hex>@host:port` is accepted wherever `<peer id>@host:port` is; but 20 of 32
 * bytes cannot be turned back into a peer ID, so such an address is dialled without one and
 * the key Noise authenticated is checked against the hex afterwards. Browser-safe.
 */
import type { PeerId } from '@libp2p/interface'
import { ErrorCode, PawError } from '../errors.ts'
import { toHex } from '../wire/bytes.ts'

/** 20 bytes: 40 hex digits, either case. */
export const NODE_ID_HEX = /^[0-9a-fA-F]{40}$/

const NODE_ID_BYTES = 20

/** The legacy node ID of a raw Ed25519 public key (lower case). */
export function nodeIdOfKey(raw: Uint8Array): string {
  return toHex(raw.subarray(0, NODE_ID_BYTES))
}

/** The legacy node ID of a peer, or undefined if its ID does not carry an Ed25519 key. */
export function nodeIdOfPeer(peerId: PeerId): string | undefined {
  return peerId.type === 'Ed25519' ? nodeIdOfKey(peerId.publicKey.raw) : undefined
}

/**
 * A dial reached a peer whose key is not the one the address's hex node ID names: the
 * connection is closed and the dial fails, as a dial to `/p2p/<id>` fails in Noise when
 * another key answers.
 */
export class NodeIdMismatchError extends PawError {
  readonly expected: string
  readonly peerId: string

  constructor(address: string, expected: string, peerId: PeerId) {
    const actual = nodeIdOfPeer(peerId)
    super(
      ErrorCode.NetworkError,
      `${address} is not node ${expected}: it answered with ${peerId.toString()}${actual === undefined ? '' : ` (node ID ${actual})`}`,
      undefined,
      { code: 'ERR_NODE_ID_MISMATCH', name: 'NodeIdMismatch' },
    )
    this.expected = expected
    this.peerId = peerId.toString()
  }
}

/** The error to close a connection with if `peerId` is not the node `expected` names, else undefined. */
export function checkNodeId(
  peerId: PeerId,
  expected: string,
  address: string,
): NodeIdMismatchError | undefined {
  return nodeIdOfPeer(peerId) === expected.toLowerCase()
    ? undefined
    : new NodeIdMismatchError(address, expected.toLowerCase(), peerId)
}
