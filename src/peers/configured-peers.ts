/**
 * The operator's peers at start: persistent peers become records the maintenance loop keeps
 * redialling (004 §3.3), and bootstrap and persistent addresses with a /p2p/ id go into the
 * peer store and the address book as candidates to dial like any address learned (004 §2).
 * A persistent peer given with a hex node ID (`<hex>@host:port`) is resolved to its peer ID
 * by src/peers/node-id-peers.ts first. Browser-safe.
 */
import type { AbortOptions, Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Settings } from '../config/settings.ts'
import type { Logger } from '../logging.ts'
import { parsePeerAddress, parsePeerTarget, peerIdOf } from './address.ts'
import type { AddressBook } from './address-book.ts'
import { type NodeIdPeer, NodeIdPeers } from './node-id-peers.ts'
import { tcpEndpoint } from './peer-addresses.ts'
import type { PeerRegistry } from './peer-registry.ts'

/** The /p2p protocol code: what decapsulateCode strips to leave the dialable part. */
const P2P_CODE = 421

export interface ConfiguredPeersInit {
  libp2p: Pick<
    Libp2p,
    'peerId' | 'peerStore' | 'dial' | 'status' | 'addEventListener' | 'removeEventListener'
  >
  settings: Pick<Settings, 'bootstrap' | 'persistentPeers' | 'timeouts'>
  registry: Pick<PeerRegistry, 'record'>
  addressBook?: Pick<AddressBook, 'add'> | undefined
  log: Logger
}

/**
 * Marks the persistent peers and remembers the configured addresses; a persistent peer
 * without an id is skipped with a warning, one with a hex node ID is dialled until resolved.
 * @returns what resolves the hex node IDs (already started; it stops with libp2p)
 */
export async function loadConfiguredPeers(
  init: ConfiguredPeersInit,
  options: AbortOptions = {},
): Promise<NodeIdPeers> {
  const { settings, registry, log } = init
  const byNodeId: NodeIdPeer[] = []
  for (const text of settings.persistentPeers) {
    const { address, nodeId } = parsePeerTarget(text)
    const id = peerIdOf(address)
    if (nodeId !== undefined) {
      byNodeId.push({ text, address, nodeId })
      continue
    }
    if (id === undefined) {
      log.warn('persistent peer without an id ignored (give it as <peer id or hex node id>@host:port)', {
        address: text,
      })
      continue
    }
    const record = registry.record(peerIdFromString(id))
    record.persistent = address
    record.nextDialAt = 0
  }
  await remember(init, settings.bootstrap, options)
  await remember(init, settings.persistentPeers, options)
  const resolver = new NodeIdPeers(init, byNodeId)
  resolver.start()
  return resolver
}

async function remember(
  init: ConfiguredPeersInit,
  addresses: readonly string[],
  options: AbortOptions,
): Promise<void> {
  const { libp2p, addressBook } = init
  for (const text of addresses) {
    const address = parsePeerAddress(text)
    const id = peerIdOf(address)
    if (id === undefined) continue
    const peerId = peerIdFromString(id)
    if (peerId.equals(libp2p.peerId)) continue
    await libp2p.peerStore.merge(peerId, { multiaddrs: [address.decapsulateCode(P2P_CODE)] }, options)
    const endpoint = tcpEndpoint(address)
    if (endpoint !== undefined) addressBook?.add({ peerId: id, ...endpoint, source: 'bootstrap' })
  }
}
