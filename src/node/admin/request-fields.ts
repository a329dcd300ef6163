/**
 * The admin API's request fields, parsed and checked: hex path parameters, a JSON body's
 * fields, peer ids, IPs and subnets, ban durations and reasons. Each returns the value or
 * throws the 400 AdminError that names what was wrong.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { formatDuration, parseDuration } from '../../peers/ban-duration.ts'
import { DEFAULT_BAN_MS, MAX_BAN_MS } from '../../peers/ban-list.ts'
import { IP_FORMS, parseSubnet } from '../../peers/ip-subnet.ts'
import { fromHex } from '../../wire/bytes.ts'
import { AdminError, AdminErrorCode } from './errors.ts'
import type { AdminContext } from './route-types.ts'

export const HEX = /^[0-9a-fA-F]*$/

/** `length` bytes from 2 × `length` hex digits in a path parameter, or 400 with `code`. */
export function hexParam(text: string | undefined, length: number, code: string, what: string): Uint8Array {
  if (text === undefined || text.length !== 2 * length || !HEX.test(text)) {
    throw new AdminError(400, code, `${what} must be ${2 * length} hex digits, got ${JSON.stringify(text)}`)
  }
  return fromHex(text)
}

/** The body as an object, or 400 naming the fields the route takes. */
export function fields(body: unknown, expected: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminError(400, AdminErrorCode.InvalidBody, `expected ${expected}`)
  }
  return body as Record<string, unknown>
}

/**
 * A peer id in its text form, checked by @libp2p/peer-id: a typo must be a 400, not a ban
 * on a peer that cannot exist (which would never match and never be noticed).
 */
export function peerIdField(value: unknown, context: AdminContext): string {
  if (typeof value !== 'string' || value === '') {
    throw new AdminError(400, AdminErrorCode.BadPeerId, 'peerId must be a peer id (12D3KooW…, Qm…)')
  }
  let text: string
  try {
    text = peerIdFromString(value).toString()
  } catch {
    throw new AdminError(400, AdminErrorCode.BadPeerId, `not a peer id: ${JSON.stringify(value)}`)
  }
  if (text === context.node.peerId.toString()) {
    throw new AdminError(400, AdminErrorCode.BadPeerId, `${text} is this node itself`)
  }
  return text
}

/** An IP or a subnet in CIDR form, as its one text (`10.1.2.3/16` is `10.1.0.0/16`). */
export function ipField(value: unknown): string {
  const subnet = typeof value === 'string' ? parseSubnet(value) : undefined
  if (subnet === undefined) {
    throw new AdminError(
      400,
      AdminErrorCode.BadPeerAddress,
      `ip must be ${IP_FORMS}, got ${JSON.stringify(value)}`,
    )
  }
  return subnet.text
}

/** `"24h"`, `"1d 3h"`, plain ms digits, or a number of ms; absent means DEFAULT_BAN_MS. */
export function durationField(value: unknown): number {
  if (value === undefined) return DEFAULT_BAN_MS
  let ms: number
  if (typeof value === 'number') {
    ms = value
  } else if (typeof value === 'string') {
    try {
      ms = parseDuration(value)
    } catch (error) {
      throw new AdminError(400, AdminErrorCode.BadDuration, (error as Error).message)
    }
  } else {
    throw new AdminError(
      400,
      AdminErrorCode.BadDuration,
      'duration must be text such as "24h" or a number of ms',
    )
  }
  if (!(Number.isSafeInteger(ms) && ms > 0 && ms <= MAX_BAN_MS)) {
    throw new AdminError(
      400,
      AdminErrorCode.BadDuration,
      `a ban lasts more than 0 ms and at most ${formatDuration(MAX_BAN_MS)}, got ${JSON.stringify(value)}`,
    )
  }
  return ms
}

/** Bounds what the ban list stores and the CLI prints per ban. */
const MAX_REASON_LENGTH = 200

export function reasonField(value: unknown): string {
  const reason = typeof value === 'string' ? value.trim() : ''
  if (reason === '' || reason.length > MAX_REASON_LENGTH) {
    throw new AdminError(
      400,
      AdminErrorCode.BadReason,
      `reason must be text of 1 to ${MAX_REASON_LENGTH} characters`,
    )
  }
  return reason
}
