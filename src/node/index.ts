/**
 * Node.js entry (`paw-node/node`): TCP and WebSockets listeners, Noise and TLS 1.3.
 * Nothing here is reachable from src/index.ts, which stays browser-safe.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { webSockets } from '@libp2p/websockets'
import type { PawNode, PawNodeInit } from '../api/index.ts'
import { ConfigError, type Settings } from '../config/settings.ts'
import { buildPawNode, type PlatformParts } from '../create-paw-node.ts'
import type { AddressBookDocument } from '../peers/address-book-document.ts'
import type { BanListDocument } from '../peers/ban-list.ts'
import type { ChainPort } from '../ports/chain.ts'
import { ipFamily } from '../wire/ip.ts'
import { AtomicJsonFile } from './atomic-json-file.ts'
import { createLibp2pMetrics, type Libp2pMetrics } from './metrics/libp2p-metrics.ts'

function hostPart(host: string): string {
  const family = ipFamily(host)
  if (family === 4) return `/ip4/${host}`
  if (family === 6) return `/ip6/${host}`
  return `/dns/${host}`
}

/** WebSockets with TLS (wss) when the settings give a certificate and key. */
function webSocketsFor(settings: Settings) {
  if (settings.wsTlsCertFile === null || settings.wsTlsKeyFile === null) return webSockets()
  try {
    return webSockets({
      https: { cert: readFileSync(settings.wsTlsCertFile), key: readFileSync(settings.wsTlsKeyFile) },
    })
  } catch (error) {
    throw new ConfigError(
      'p2p.ws_tls_cert_file',
      `cannot read the wss certificate or key: ${(error as Error).message}`,
    )
  }
}

export const nodePlatform: PlatformParts = {
  webSockets: webSocketsFor,
  transports: [tcp()],
  connectionEncrypters: [tls()],
  listen(settings: Settings): string[] {
    const host = hostPart(settings.listenHost)
    const listen: string[] = []
    if (settings.tcpPort !== null) listen.push(`${host}/tcp/${settings.tcpPort}`)
    // With a certificate the WebSockets listener speaks TLS (wss) only: libp2p's listener
    // serves one or the other on a port.
    const ws = settings.wsTlsCertFile === null ? 'ws' : 'tls/ws'
    if (settings.wsPort !== null) listen.push(`${host}/tcp/${settings.wsPort}/${ws}`)
    return listen
  },
}

export interface NodePawNodeInit extends PawNodeInit {
  /** libp2p's own metrics into this registry (createLibp2pMetrics): the admin API's /metrics. */
  libp2pMetrics?: Libp2pMetrics
}

/**
 * A PAW node for Node.js, listening on TCP and WebSockets per the settings; on another
 * chain's port (src/ports/chain.ts), typed by that chain's block, transaction and header.
 */
export function createPawNode<B, T, H>(
  init: NodePawNodeInit & { chain: ChainPort<B, T, H> },
): Promise<PawNode<B, T, H, unknown>>
export function createPawNode(init?: NodePawNodeInit): Promise<PawNode>
export function createPawNode(
  init: NodePawNodeInit = {},
): Promise<PawNode<unknown, unknown, unknown, unknown>> {
  const { libp2pMetrics, ...rest } = init
  return buildPawNode(
    rest,
    libp2pMetrics === undefined ? nodePlatform : { ...nodePlatform, metrics: libp2pMetrics.metrics },
  )
}

/**
 * The stores of a node run from a home: the address book and the bans, each an
 * atomically replaced JSON file in <home>/data, so both survive a restart.
 */
export function homePeerStores(dataDir: string): Pick<PawNodeInit, 'addressBookStore' | 'banStore'> {
  return {
    addressBookStore: new AtomicJsonFile<AddressBookDocument>(join(dataDir, 'addrbook.json')),
    banStore: new AtomicJsonFile<BanListDocument>(join(dataDir, 'bans.json')),
  }
}

/** 000 startNode(port): create and start a node whose TCP listener is on `port`. */
export async function startNode(port: number, init: PawNodeInit = {}): Promise<PawNode> {
  const node = await createPawNode({ ...init, tcpPort: port })
  await node.start()
  return node
}

export type { PawNode, PawNodeInit } from '../api/index.ts'
export { LevelBlockStore } from '../chain/store/level-store.ts'
export { AtomicJsonFile } from './atomic-json-file.ts'
export { type ChainRuntime, loadChainParams, openChainRuntime } from './chain-runtime.ts'
export { createLibp2pMetrics, type Libp2pMetrics }
