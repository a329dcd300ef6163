/**
 * Node.js entry (`paw-node/node`): TCP and WebSockets listeners, Noise and TLS 1.3.
 * Nothing here is reachable from src/index.ts, which stays browser-safe.
 */
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import type { PawNode, PawNodeInit } from '../api.ts'
import type { Settings } from '../config/settings.ts'
import { buildPawNode, type PlatformParts } from '../create-paw-node.ts'
import { ipFamily } from '../wire/ip.ts'

function hostPart(host: string): string {
  const family = ipFamily(host)
  if (family === 4) return `/ip4/${host}`
  if (family === 6) return `/ip6/${host}`
  return `/dns/${host}`
}

export const nodePlatform: PlatformParts = {
  transports: [tcp()],
  connectionEncrypters: [tls()],
  listen(settings: Settings): string[] {
    const host = hostPart(settings.listenHost)
    const listen: string[] = []
    if (settings.tcpPort !== null) listen.push(`${host}/tcp/${settings.tcpPort}`)
    if (settings.wsPort !== null) listen.push(`${host}/tcp/${settings.wsPort}/ws`)
    return listen
  },
}

/** A PAW node for Node.js, listening on TCP and WebSockets per the settings. */
export function createPawNode(init: PawNodeInit = {}): Promise<PawNode> {
  return buildPawNode(init, nodePlatform)
}

/** 000 startNode(port): create and start a node whose TCP listener is on `port`. */
export async function startNode(port: number, init: PawNodeInit = {}): Promise<PawNode> {
  const node = await createPawNode({ ...init, tcpPort: port })
  await node.start()
  return node
}

export type { PawNode, PawNodeInit } from '../api.ts'
export { LevelBlockStore } from '../chain/store/level-store.ts'
export { type ChainRuntime, loadChainParams, openChainRuntime } from './chain-runtime.ts'
