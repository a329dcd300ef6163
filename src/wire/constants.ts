/**
 * Limits of the PAW wire format. Each is pinned by the spec section cited beside it;
 * protocols/*.md is the byte-level contract.
 */

/** 004 §1.1, DECISIONS.md "Framing": max L = 10 MiB; L = max is accepted. */
export const MAX_FRAME_LENGTH = 10 * 1024 * 1024

/** Bytes of the u32 BE length prefix, which L does not count. */
export const FRAME_LENGTH_BYTES = 4

/** Bytes of the u16 BE type length. */
export const TYPE_LENGTH_BYTES = 2

/** DECISIONS.md "Framing": type is 1..32 bytes. */
export const MAX_TYPE_LENGTH = 32

/** Smallest valid L: the type length field plus a one-byte type. */
export const MIN_FRAME_LENGTH = TYPE_LENGTH_BYTES + 1

/** 004 §1.2: the handshake payload is exactly 65 bytes. */
export const HANDSHAKE_LENGTH = 65

/** 004 §9: protocol version 1. */
export const PROTOCOL_VERSION = 0x01

/** 004 §1.2: chain ID field, UTF-8 right-padded with 0x00. */
export const CHAIN_ID_LENGTH = 32

/** DECISIONS.md "Handshake": node ID = raw Ed25519 public key. */
export const NODE_ID_LENGTH = 32

/** DECISIONS.md "Handshake": reject reason is at most 256 bytes of UTF-8. */
export const MAX_REJECT_REASON_BYTES = 256

/** 004 §2.1 request byte. */
export const GET_PEERS_REQUEST_BYTE = 0x01

/** 004 §2.1 limits. */
export const MAX_PEERS_PER_RESPONSE = 1000
export const MAX_PEER_ID_LENGTH = 128
export const MAX_PEER_IP_LENGTH = 64

/** Frame types (protocols/*.md). */
export const FrameType = {
  Handshake: 'handshake',
  Reject: 'reject',
  GetPeers: 'get_peers',
  Peers: 'peers',
  MempoolHashes: 'mempool_hashes',
  GetTransactions: 'get_transactions',
  Transactions: 'transactions',
} as const
