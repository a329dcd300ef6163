/**
 * 004 §7.1 traffic accounting: per-peer counters, fed by every /paw/* frame channel of the
 * peer, and the node's totals by protocol (metrics). Both count PAW frames only (no
 * identify, ping or yamux). Browser-safe.
 */
import type { ProtocolTraffic } from '../api/peers.ts'
import type { TrafficCounter } from './traffic-counter.ts'

export class PeerTraffic implements TrafficCounter {
  bytesSent = 0
  bytesReceived = 0
  messagesSent = 0
  messagesReceived = 0
  lastActivity = Date.now()

  received(bytes: number, frames: number): void {
    this.bytesReceived += bytes
    this.messagesReceived += frames
    this.lastActivity = Date.now()
  }

  sent(bytes: number, frames: number): void {
    this.bytesSent += bytes
    this.messagesSent += frames
  }

  /** A ping answer or any other sign of life that is not a /paw/* frame. */
  touch(): void {
    this.lastActivity = Date.now()
  }
}

export type { ProtocolTraffic }

/** The node's traffic by /paw/* protocol since start. */
export class ProtocolTrafficTotals {
  readonly #totals = new Map<string, ProtocolTraffic>()

  /** The counter a stream of `protocol` feeds: the peer's counters and the protocol's total. */
  counter(peer: TrafficCounter, protocol: string): TrafficCounter {
    let sums = this.#totals.get(protocol)
    if (sums === undefined) {
      sums = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 }
      this.#totals.set(protocol, sums)
    }
    const total = sums
    return {
      received(bytes, frames) {
        peer.received(bytes, frames)
        total.bytesReceived += bytes
        total.messagesReceived += frames
      },
      sent(bytes, frames) {
        peer.sent(bytes, frames)
        total.bytesSent += bytes
        total.messagesSent += frames
      },
    }
  }

  /** The totals by protocol (a copy). */
  snapshot(): Record<string, ProtocolTraffic> {
    return Object.fromEntries([...this.#totals].map(([protocol, t]) => [protocol, { ...t }]))
  }
}
