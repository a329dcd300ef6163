/**
 * Which peers the maintenance loop dials (004 §3.2, §3.3): persistent peers whose backoff
 * has run out, and known peers, chosen at random, until outbound reaches min_outbound,
 * never more dials in flight than the dial queue allows (004 §6.2).
 */
import type { Peer, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerRecord } from './peer-record.ts'

/** What the policy needs to know of the connection manager. */
export interface DialState {
  self: PeerId
  records: ReadonlyMap<string, PeerRecord>
  /** Peer IDs (or addresses) being dialled now. */
  pendingDials: ReadonlySet<string>
  /** Outbound peers connected, handshaking or being dialled. */
  outbound: number
  minOutbound: number
  dialQueueSize: number
  isBlocked(address: Multiaddr, peerId: string): boolean
}

/** Persistent peers due for a reconnect attempt. */
export function persistentPeersToDial(state: DialState, now: number): Multiaddr[] {
  const due: Multiaddr[] = []
  for (const record of state.records.values()) {
    const address = record.persistent
    if (address === undefined || record.state !== 'disconnected' || record.nextDialAt > now) continue
    if (state.pendingDials.has(record.peerId.toString())) continue
    due.push(address)
  }
  return due
}

/** How many more outbound dials may start now. */
export function outboundRoom(state: DialState): number {
  return Math.min(state.minOutbound - state.outbound, state.dialQueueSize - state.pendingDials.size)
}

/** Up to `room` known peers to dial, in random order, skipping any not due or blocked. */
export function knownPeersToDial(state: DialState, known: Peer[], room: number, now: number): Multiaddr[] {
  const chosen: Multiaddr[] = []
  for (const peer of shuffle([...known])) {
    if (chosen.length >= room) break
    const id = peer.id.toString()
    if (peer.id.equals(state.self) || peer.addresses.length === 0 || state.pendingDials.has(id)) continue
    const record = state.records.get(id)
    if (record !== undefined && (record.state !== 'disconnected' || record.nextDialAt > now)) continue
    const address = peer.addresses[0]?.multiaddr.encapsulate(`/p2p/${id}`)
    if (address === undefined || state.isBlocked(address, id)) continue
    chosen.push(address)
  }
  return chosen
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j] as T, items[i] as T]
  }
  return items
}
