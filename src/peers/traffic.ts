/**
 * 004 §7.1 traffic accounting: each peer's bytes and messages, in all and by protocol, and
 * the node's totals by protocol (GET /status, `paw-node netinfo`, metrics). Browser-safe.
 *
 * Bytes come from libp2p's streams (stream-traffic.ts), every protocol, counted where
 * libp2p's own per-protocol counter counts so the two can be compared. Messages of /paw/*
 * come from their frame channels, one per frame; of other protocols, from the streams, one
 * per write or read (a gossipsub RPC is one write; a read is what the muxer delivered).
 * Where streams are not counted (a libp2p built without countStreamTraffic) the frame
 * channels count /paw/* bytes themselves, and the other protocols go uncounted.
 */
import type { ProtocolTraffic } from '../api/peers.ts'
import type { TrafficCounter } from './traffic-counter.ts'

export type { ProtocolTraffic }

/** Protocols whose messages are their frames (counted by the frame channel), not stream writes. */
export function isFramed(protocol: string): boolean {
  return protocol.startsWith('/paw/')
}

function emptyTraffic(): ProtocolTraffic {
  return { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 }
}

export class PeerTraffic implements TrafficCounter {
  bytesSent = 0
  bytesReceived = 0
  messagesSent = 0
  messagesReceived = 0
  lastActivity = Date.now()
  /**
   * Set when the first of the peer's streams is counted at libp2p's level: from then on its
   * frame channels count frames only, as the stream has counted their bytes.
   */
  streamsCounted = false
  readonly #protocols = new Map<string, ProtocolTraffic>()

  /** Frames received on a stream counted by no protocol's counter; bytes unless streams count them. */
  received(bytes: number, frames: number): void {
    if (!this.streamsCounted) this.bytesReceived += bytes
    this.messagesReceived += frames
    this.lastActivity = Date.now()
  }

  sent(bytes: number, frames: number): void {
    if (!this.streamsCounted) this.bytesSent += bytes
    this.messagesSent += frames
  }

  /** A ping answer or another sign of life that carried no data. */
  touch(): void {
    this.lastActivity = Date.now()
  }

  /** The peer's running sums for `protocol` (created on first use). */
  protocol(protocol: string): ProtocolTraffic {
    let sums = this.#protocols.get(protocol)
    if (sums === undefined) {
      sums = emptyTraffic()
      this.#protocols.set(protocol, sums)
    }
    return sums
  }

  /** The peer's traffic by protocol (a copy). */
  byProtocol(): Record<string, ProtocolTraffic> {
    return copy(this.#protocols)
  }
}

/**
 * Adds one stream's traffic to its peer's totals, the peer's sums for the protocol and the
 * node's total for the protocol: a few additions per message, nothing allocated.
 */
class Tally implements TrafficCounter {
  readonly #peer: PeerTraffic
  readonly #onPeer: ProtocolTraffic
  readonly #total: ProtocolTraffic
  /** 'stream': libp2p's stream (bytes, and messages unless framed); 'frames': a frame channel. */
  readonly #source: 'stream' | 'frames'
  readonly #framed: boolean

  constructor(peer: PeerTraffic, protocol: string, total: ProtocolTraffic, source: 'stream' | 'frames') {
    this.#peer = peer
    this.#onPeer = peer.protocol(protocol)
    this.#total = total
    this.#source = source
    this.#framed = isFramed(protocol)
  }

  received(bytes: number, messages: number): void {
    const b = this.#bytes(bytes)
    const m = this.#messages(messages)
    const peer = this.#peer
    peer.bytesReceived += b
    peer.messagesReceived += m
    peer.lastActivity = Date.now()
    this.#onPeer.bytesReceived += b
    this.#onPeer.messagesReceived += m
    this.#total.bytesReceived += b
    this.#total.messagesReceived += m
  }

  sent(bytes: number, messages: number): void {
    const b = this.#bytes(bytes)
    const m = this.#messages(messages)
    this.#peer.bytesSent += b
    this.#peer.messagesSent += m
    this.#onPeer.bytesSent += b
    this.#onPeer.messagesSent += m
    this.#total.bytesSent += b
    this.#total.messagesSent += m
  }

  #bytes(bytes: number): number {
    return this.#source === 'frames' && this.#peer.streamsCounted ? 0 : bytes
  }

  #messages(messages: number): number {
    return this.#source === 'stream' && this.#framed ? 0 : messages
  }
}

/** The node's traffic by protocol since start, and the counters that feed it and the peers'. */
export class ProtocolTrafficTotals {
  readonly #totals = new Map<string, ProtocolTraffic>()

  /** The counter a libp2p stream of `protocol` feeds (stream-traffic.ts), for `peer`. */
  streamCounter(peer: PeerTraffic, protocol: string): TrafficCounter {
    peer.streamsCounted = true
    return new Tally(peer, protocol, this.#total(protocol), 'stream')
  }

  /** The counter a /paw/* frame channel of `protocol` feeds, for `peer`. */
  frameCounter(peer: PeerTraffic, protocol: string): TrafficCounter {
    return new Tally(peer, protocol, this.#total(protocol), 'frames')
  }

  /** The totals by protocol (a copy). */
  snapshot(): Record<string, ProtocolTraffic> {
    return copy(this.#totals)
  }

  #total(protocol: string): ProtocolTraffic {
    let sums = this.#totals.get(protocol)
    if (sums === undefined) {
      sums = emptyTraffic()
      this.#totals.set(protocol, sums)
    }
    return sums
  }
}

function copy(sums: ReadonlyMap<string, ProtocolTraffic>): Record<string, ProtocolTraffic> {
  return Object.fromEntries([...sums].map(([protocol, t]) => [protocol, { ...t }]))
}
