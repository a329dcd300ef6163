/**
 * What /paw/handshake/1 (src/protocols/handshake/) asks of the peer manager: admission of
 * an inbound peer, the outcome of every connection's handshake, and its traffic counters.
 * Defined here so the peer manager implements it without importing the protocol.
 * Browser-safe.
 */
import type { Connection } from '@libp2p/interface'
import type { PawError } from '../errors.ts'
import type { Handshake } from '../wire/handshake.ts'
import type { TrafficCounter } from './traffic-counter.ts'

export interface HandshakeHooks {
  /** After a valid inbound handshake: an error refuses the peer (0x06 limits, 0x07 bans). */
  admitInbound(connection: Connection, remote: Handshake): PawError | undefined
  completed(connection: Connection, remote: Handshake): void
  /** The handshake failed or timed out; the connection is being closed. */
  failed(connection: Connection, error: PawError): void
  traffic(connection: Connection, protocol: string): TrafficCounter | undefined
}
