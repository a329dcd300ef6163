/**
 * `/paw/handshake/1` payloads (004 §1.2, DECISIONS.md "Handshake";
 * protocols/handshake.md):
 *
 *   handshake: [u8 version][32 B chain ID, UTF-8 right-padded with 0x00][32 B node ID]
 *   reject:    [u8 error code][UTF-8 reason, 0..256 bytes]
 */
import {
  ChainIdMismatchError,
  type ErrorCodeValue,
  InvalidMessageFormatError,
  ProtocolVersionMismatchError,
} from '../errors.ts'
import { type ByteInput, contiguous, equalBytes, utf8DecodeStrict, utf8Encode } from './bytes.ts'
import {
  CHAIN_ID_LENGTH,
  HANDSHAKE_LENGTH,
  MAX_REJECT_REASON_BYTES,
  NODE_ID_LENGTH,
  PROTOCOL_VERSION,
} from './constants.ts'

export interface Handshake {
  /** Protocol version byte; 0x01 for this protocol. */
  version: number
  /** Chain ID as text (1..32 bytes of UTF-8, no NUL). */
  chainId: string
  /** The node's raw 32-byte Ed25519 public key. */
  nodeId: Uint8Array
}

export interface Reject {
  /** Wire error code (protocols/errors.md); codes this version does not know are kept as-is. */
  code: number
  reason: string
}

/**
 * The 32-byte chain ID field for `chainId`.
 * @throws InvalidMessageFormatError if it is empty, over 32 bytes of UTF-8, or contains NUL
 *   (a NUL would be indistinguishable from padding)
 */
export function encodeChainId(chainId: string): Uint8Array {
  const bytes = utf8Encode(chainId)
  if (bytes.length === 0 || bytes.length > CHAIN_ID_LENGTH) {
    throw new InvalidMessageFormatError(
      `chain ID must be 1..${CHAIN_ID_LENGTH} bytes of UTF-8, got ${bytes.length}`,
    )
  }
  if (bytes.includes(0)) throw new InvalidMessageFormatError('chain ID must not contain NUL')
  const field = new Uint8Array(CHAIN_ID_LENGTH)
  field.set(bytes)
  return field
}

/**
 * The chain ID in a 32-byte field.
 * @throws InvalidMessageFormatError if the field is all padding, has a non-zero byte after
 *   the padding starts, or is not UTF-8
 */
export function decodeChainId(field: Uint8Array): string {
  let end = field.indexOf(0)
  if (end === -1) end = field.length
  if (end === 0) throw new InvalidMessageFormatError('chain ID is empty')
  for (let i = end; i < field.length; i++) {
    if (field[i] !== 0) throw new InvalidMessageFormatError('chain ID padding is not all 0x00')
  }
  const chainId = utf8DecodeStrict(field.subarray(0, end))
  if (chainId === undefined) throw new InvalidMessageFormatError('chain ID is not valid UTF-8')
  return chainId
}

export function encodeHandshake(handshake: Handshake): Uint8Array {
  const { version, chainId, nodeId } = handshake
  if (!Number.isInteger(version) || version < 0 || version > 0xff) {
    throw new InvalidMessageFormatError(`protocol version must be a byte, got ${version}`)
  }
  if (nodeId.length !== NODE_ID_LENGTH) {
    throw new InvalidMessageFormatError(`node ID must be ${NODE_ID_LENGTH} bytes, got ${nodeId.length}`)
  }
  const out = new Uint8Array(HANDSHAKE_LENGTH)
  out[0] = version
  out.set(encodeChainId(chainId), 1)
  out.set(nodeId, 1 + CHAIN_ID_LENGTH)
  return out
}

/**
 * Parses a version-1 handshake payload; `checkHandshake` then compares its chain with the
 * local node's. The version byte is read first: another version may lay out its handshake
 * differently, so whatever follows it cannot be judged, and the answer is 0x01, not 0x05.
 * @throws ProtocolVersionMismatchError (0x01) or InvalidMessageFormatError (0x05)
 */
export function decodeHandshake(input: ByteInput): Handshake {
  const payload = contiguous(input)
  if (payload.length === 0) throw new InvalidMessageFormatError('handshake payload is empty')
  const version = payload[0] as number
  if (version !== PROTOCOL_VERSION) throw new ProtocolVersionMismatchError(PROTOCOL_VERSION, version)
  if (payload.length !== HANDSHAKE_LENGTH) {
    throw new InvalidMessageFormatError(`handshake must be ${HANDSHAKE_LENGTH} bytes, got ${payload.length}`)
  }
  return {
    version,
    chainId: decodeChainId(payload.subarray(1, 1 + CHAIN_ID_LENGTH)),
    nodeId: payload.slice(1 + CHAIN_ID_LENGTH, HANDSHAKE_LENGTH),
  }
}

export interface HandshakeExpectation {
  /** @default PROTOCOL_VERSION */
  version?: number
  chainId: string
}

/**
 * Validates a peer's handshake against the local node (004 §1.2 "Validation Rules").
 * The binding of nodeId to the Noise-authenticated key is the connection's job.
 * @throws ProtocolVersionMismatchError (0x01) or ChainIdMismatchError (0x02)
 */
export function checkHandshake(remote: Handshake, local: HandshakeExpectation): void {
  const version = local.version ?? PROTOCOL_VERSION
  if (remote.version !== version) throw new ProtocolVersionMismatchError(version, remote.version)
  // Compared on all 32 bytes of the padded field, as the spec says.
  if (!equalBytes(encodeChainId(remote.chainId), encodeChainId(local.chainId))) {
    throw new ChainIdMismatchError(local.chainId, remote.chainId)
  }
}

/** Truncates `text` to at most `maxBytes` of UTF-8 without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): Uint8Array {
  const bytes = utf8Encode(text)
  if (bytes.length <= maxBytes) return bytes
  let end = maxBytes
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}

/**
 * A reject payload. A reason longer than 256 bytes is cut at a character boundary:
 * a node refusing a peer should never fail to say why.
 */
export function encodeReject(code: ErrorCodeValue | number, reason: string): Uint8Array {
  if (!Number.isInteger(code) || code < 0x01 || code > 0xff) {
    throw new InvalidMessageFormatError(`reject code must be 0x01..0xff, got ${code}`)
  }
  const reasonBytes = truncateUtf8(reason, MAX_REJECT_REASON_BYTES)
  const out = new Uint8Array(1 + reasonBytes.length)
  out[0] = code
  out.set(reasonBytes, 1)
  return out
}

/** @throws InvalidMessageFormatError */
export function decodeReject(input: ByteInput): Reject {
  const payload = contiguous(input)
  if (payload.length === 0) throw new InvalidMessageFormatError('reject payload is empty')
  const code = payload[0] as number
  if (code === 0) throw new InvalidMessageFormatError('reject code 0x00 is not an error code')
  if (payload.length - 1 > MAX_REJECT_REASON_BYTES) {
    throw new InvalidMessageFormatError(
      `reject reason is ${payload.length - 1} bytes, over ${MAX_REJECT_REASON_BYTES}`,
    )
  }
  const reason = utf8DecodeStrict(payload.subarray(1))
  if (reason === undefined) throw new InvalidMessageFormatError('reject reason is not valid UTF-8')
  return { code, reason }
}
