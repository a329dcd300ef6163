/**
 * Admin API errors: an HTTP status and a stable `code` that clients key on, sent as
 * `{ "error": { "code", "message" } }`. A refused transaction keeps its ChainError code
 * (BAD_NONCE, INSUFFICIENT_BALANCE, …).
 */
import { ChainErrorCode } from '../../chain/errors.ts'

export const AdminErrorCode = {
  /** No route has this path. */
  NotFound: 'NOT_FOUND',
  /** A route has this path, not for this method (the Allow header lists the methods). */
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  /** The Host header is not loopback while admin.allow_remote is off (DNS rebinding). */
  ForbiddenHost: 'FORBIDDEN_HOST',
  /** A body that is not `content-type: application/json`. */
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  BodyTooLarge: 'BODY_TOO_LARGE',
  InvalidJson: 'INVALID_JSON',
  /** Valid JSON without the fields the route needs. */
  InvalidBody: 'INVALID_BODY',
  InvalidHex: 'INVALID_HEX',
  InvalidAddress: 'INVALID_ADDRESS',
  InvalidTransactionId: 'INVALID_TRANSACTION_ID',
  TransactionNotFound: 'TRANSACTION_NOT_FOUND',
  /** Not a libp2p peer id (or this node's own). */
  BadPeerId: 'BAD_PEER_ID',
  /** A ban duration that does not parse or is out of bounds. */
  BadDuration: 'BAD_DURATION',
  /** A ban reason that is missing, empty or too long. */
  BadReason: 'BAD_REASON',
  /** Not a multiaddr or id@host:port. */
  BadPeerAddress: 'BAD_PEER_ADDRESS',
  /** No active ban on that peer (unban). */
  BanNotFound: 'BAN_NOT_FOUND',
  /** The node has no connection to that peer (disconnect). */
  PeerNotFound: 'PEER_NOT_FOUND',
  /** The node refused to dial (banned, limits, known wrong chain): retrying will not help. */
  DialRefused: 'DIAL_REFUSED',
  /** The dial or the handshake failed on the way (unreachable, timeout, refused by the peer). */
  DialFailed: 'DIAL_FAILED',
  /** Paw-Expect-Peer-Id names another node: nothing was done (constants.ts). */
  WrongNode: 'WRONG_NODE',
  /** The node cannot answer this (a light node has no accounts or mempool). */
  NotAvailable: 'NOT_AVAILABLE',
  Internal: 'INTERNAL',
} as const

export type AdminErrorCodeValue = (typeof AdminErrorCode)[keyof typeof AdminErrorCode]

export class AdminError extends Error {
  override readonly name = 'AdminError'
  readonly status: number
  /** An AdminErrorCode, or the ChainErrorCode of a refused transaction. */
  readonly code: string
  readonly headers: Readonly<Record<string, string>>

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.headers = headers
  }
}

/**
 * The status of a refused transaction: 400 for bytes that are not a transaction, 409 for
 * one the node already has, 422 for a well-formed one the chain or mempool refuses.
 */
export function chainErrorStatus(code: string): number {
  if (code === ChainErrorCode.Malformed) return 400
  if (code === ChainErrorCode.DuplicateTransaction) return 409
  return 422
}
