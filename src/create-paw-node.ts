/**
 * createPawNode for any platform: the libp2p configuration PAW needs (DECISIONS.md
 * "Transport and security"), with the platform's extra transports and encrypters given
 * by the entry point (src/node adds TCP, TLS and listeners). Browser-safe.
 */
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { ConnectionEncrypter, PrivateKey, Transport } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import type { PawNode, PawNodeInit } from './api.ts'
import { resolveSettings, type Settings } from './config/settings.ts'
import { createLogger } from './logging.ts'
import { PawNodeImpl } from './paw-node.ts'
import { parsePeerAddress } from './peers/address.ts'
import { AGENT_VERSION, VERSION } from './version.ts'
import { MAX_FRAME_LENGTH } from './wire/constants.ts'

// biome-ignore lint/suspicious/noExplicitAny: libp2p's component factories are typed per transport
type Factory<T> = (components: any) => T

/** What an entry point adds for its platform. */
export interface PlatformParts {
  transports: Array<Factory<Transport>>
  connectionEncrypters: Array<Factory<ConnectionEncrypter>>
  /** Listen multiaddrs built from the settings (none in a browser). */
  listen(settings: Settings): string[]
}

/** Browsers: WebSockets only, dial-only. */
export const browserPlatform: PlatformParts = {
  transports: [],
  connectionEncrypters: [],
  listen: () => [],
}

/**
 * libp2p's read buffer per stream must hold a whole PAW frame (10 MiB) if reading pauses;
 * its default is 4 MB.
 */
const STREAM_READ_BUFFER = MAX_FRAME_LENGTH + 1024 * 1024

export async function buildPawNode(init: PawNodeInit, platform: PlatformParts): Promise<PawNode> {
  const { privateKey: givenKey, logger, ...input } = init
  const settings = resolveSettings(input)
  const log = logger ?? createLogger({ level: settings.logLevel, format: settings.logFormat })
  const privateKey: PrivateKey = givenKey ?? (await generateKeyPair('Ed25519'))
  if (privateKey.type !== 'Ed25519') throw new TypeError('a PAW node identity must be an Ed25519 key')
  const bootstrapList = [...settings.bootstrap, ...settings.persistentPeers].map((text) =>
    parsePeerAddress(text).toString(),
  )
  const { limits, inbound, timeouts } = settings

  const options: Libp2pOptions<{ ping: ReturnType<ReturnType<typeof ping>> }> = {
    privateKey,
    start: false,
    nodeInfo: { name: 'paw-node', version: VERSION, userAgent: AGENT_VERSION },
    addresses: { listen: platform.listen(settings) },
    transports: [webSockets(), ...platform.transports],
    connectionEncrypters: [noise(), ...platform.connectionEncrypters],
    streamMuxers: [yamux({ streamOptions: { maxReadBufferLength: STREAM_READ_BUFFER } })],
    connectionManager: {
      // PAW limits apply to handshaken peers (src/peers); libp2p's cap leaves room for the
      // connections still handshaking, so an over-limit peer hears 0x06 instead of a reset.
      maxConnections: limits.maxPeers + inbound.maxPending,
      maxIncomingPendingConnections: inbound.maxPending,
      inboundConnectionThreshold: inbound.perHostPerSecond,
      dialTimeout: timeouts.dialMs,
      maxDialQueueLength: settings.dialQueueSize,
      // Reconnecting is the PAW connection manager's job (backoff of DECISIONS.md).
      reconnectRetries: 0,
    },
    // Keep-alive pings are sent by the connection manager (004 §10.1 interval, RTT per peer).
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      ...(bootstrapList.length > 0 ? { bootstrap: bootstrap({ list: bootstrapList }) } : {}),
    } as never,
  }
  const libp2p = await createLibp2p(options)
  return new PawNodeImpl({ libp2p, settings, log })
}

/** A PAW node for browsers and other platforms without TCP: dials over WebSockets. */
export function createPawNode(init: PawNodeInit = {}): Promise<PawNode> {
  return buildPawNode({ tcpPort: null, wsPort: null, ...init }, browserPlatform)
}
