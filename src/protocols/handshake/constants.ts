/** protocols/handshake.md */
export const HANDSHAKE_PROTOCOL = '/paw/handshake/1'

/**
 * Streams of this protocol one connection may open: one handshake per connection, plus
 * room for a misbehaving peer's extra attempt to be refused rather than reset.
 */
export const MAX_HANDSHAKE_STREAMS = 2
