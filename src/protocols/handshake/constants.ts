/** protocols/handshake.md */
export const HANDSHAKE_PROTOCOL = '/paw/handshake/1'

/**
 * Streams of this protocol one connection may open: one handshake per connection, plus
 * room for a misbehaving peer's extra attempt to be refused rather than reset.
 */
export const MAX_HANDSHAKE_STREAMS = 2

/**
 * How long a listener that sent a `reject` waits for the dialer to hang up before it closes
 * the connection itself (protocols/handshake.md "Flow"). Closing at once can reset the TCP
 * connection while the dialer's own bytes are in flight, and a reset throws away what the
 * dialer had not read yet: the reject, or with optimistic selection the whole answer.
 */
export const REJECT_LINGER_MS = 1_000
