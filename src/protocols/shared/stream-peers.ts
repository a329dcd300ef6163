/**
 * What the /paw/* protocols need of the peer manager (src/peers/): the connections of
 * handshaken peers, and the traffic counter each stream counts into (004 §7.1). Stated here
 * by shape, so the protocols depend on what they use, not on the manager's class.
 */
import type { Connection } from '@libp2p/interface'
import type { TrafficCounter } from '../../peers/traffic-counter.ts'

/** A handshaken peer's connection, as the peer manager lists it. */
export interface ConnectedStreamPeer {
  info: { readonly peerId: string }
  connection: Connection
  /** The peer's own counter (all protocols). */
  traffic: TrafficCounter
}

export interface StreamPeers {
  /** Handshaken peers and their connections. */
  connected(): readonly ConnectedStreamPeer[]
  /** The counter of `protocol`'s traffic on `connection`. */
  traffic(connection: Connection, protocol: string): TrafficCounter
}
