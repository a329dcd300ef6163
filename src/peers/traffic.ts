/** 004 §7.1 per-peer counters, fed by every /paw/* frame channel of the peer. */
import type { TrafficCounter } from '../protocols/shared/frame-channel.ts'

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
