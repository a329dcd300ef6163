/**
 * What one stream reports of its traffic, each way, for 004 §7.1. Two places feed one:
 * libp2p's stream of any protocol (src/peers/stream-traffic.ts: every byte, and the writes
 * and reads of protocols other than /paw/*), and a /paw/* frame channel (its frames; its
 * bytes only where streams are not counted, which would count them twice).
 * src/peers/traffic.ts sums both per peer and protocol. Browser-safe.
 */
export interface TrafficCounter {
  received(bytes: number, messages: number): void
  sent(bytes: number, messages: number): void
}
