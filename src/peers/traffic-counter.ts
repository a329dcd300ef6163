/**
 * What a stream reports of its traffic, each way, for 004 §7.1: the peer manager keeps one
 * per peer and protocol (src/peers/traffic.ts), and every /paw/* stream counts into it.
 * Browser-safe.
 */
export interface TrafficCounter {
  received(bytes: number, frames: number): void
  sent(bytes: number, frames: number): void
}
