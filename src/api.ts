/**
 * The public shape of a PAW node: what dApps, the CLI and tests program against.
 * Browser-safe types only.
 */
import type { Libp2p, PeerId, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Settings, SettingsInput } from './config/settings.ts'
import type { Logger } from './logging.ts'

/** 004 §3.2 connection states, per peer. */
export type PeerState = 'connecting' | 'handshaking' | 'connected' | 'disconnecting' | 'disconnected'

export type Direction = 'inbound' | 'outbound'

/** 004 §7.1 per-peer statistics, on /paw/* streams. */
export interface PeerStats {
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
  /** ms since the connection opened (0 when disconnected). */
  connectionDurationMs: number
  /** Unix ms of the last frame or ping answer received. */
  lastActivity: number
  /** Last ping round trip in ms, if one completed. */
  rttMs: number | undefined
}

export interface PeerInfo {
  peerId: string
  state: PeerState
  direction: Direction | undefined
  remoteAddr: string | undefined
  /** Listed in persistent_peers: reconnected forever (004 §3.3). */
  persistent: boolean
  /** The peer's chain ID and node ID (hex) once its handshake completed. */
  chainId: string | undefined
  /** Why the last connection ended, if it did (e.g. "0x02 ChainIdMismatch: …"). */
  lastError: string | undefined
  stats: PeerStats
}

/** 004 §7.1 global statistics. */
export interface NodeStats {
  /** Connections opened since start (inbound and outbound, before handshake). */
  totalConnections: number
  successfulDials: number
  failedDials: number
  /** Inbound peers refused at the handshake (limits, reputation, wrong chain, bad handshake). */
  rejectedInbound: number
  /** Handshaken peers now, by direction. */
  inbound: number
  outbound: number
}

export interface PeerStateEvent {
  peerId: string
  state: PeerState
  previous: PeerState | undefined
  direction: Direction | undefined
  /** Set for transitions caused by an error (a reject, a timeout, a failed dial). */
  error?: { code: number | undefined; message: string }
}

export interface PawNodeEvents {
  /** Every 004 §3.2 state change of a peer. */
  'peer:state': CustomEvent<PeerStateEvent>
  /** A peer completed /paw/handshake/1 and may use the other /paw/* protocols. */
  'peer:connected': CustomEvent<PeerInfo>
  'peer:disconnected': CustomEvent<PeerInfo>
}

/** A message of the 000 vocabulary as it travels: a frame on a /paw/* protocol. */
export interface PawMessage {
  /** The /paw/* protocol the frame belongs to. */
  protocol: string
  type: string
  payload: Uint8Array
}

export type MessageHandler = (message: PawMessage, peer: PeerInfo) => void | Promise<void>

export interface PawNodeInit extends SettingsInput {
  /** Ed25519 identity; a new one is generated if absent (src/node keeps it in the home). */
  privateKey?: PrivateKey
  /** @default a logger at settings.logLevel / logFormat writing to stderr (console.error) */
  logger?: Logger
}

export interface PawNode extends TypedEventTarget<PawNodeEvents> {
  readonly peerId: PeerId
  readonly settings: Settings
  readonly libp2p: Libp2p
  readonly log: Logger
  start(): Promise<void>
  /** Graceful shutdown (004 §5.2): stop dialling, close every connection, stop libp2p. */
  stop(): Promise<void>
  /** Full listen multiaddrs, each ending in /p2p/<peer id>. */
  getMultiaddrs(): Multiaddr[]
  /** 000 connectToPeer: dial and complete /paw/handshake/1; rejects with a PawError if refused. */
  connectToPeer(address: string | Multiaddr, options?: { signal?: AbortSignal }): Promise<PeerInfo>
  /** 000 managePeerConnections: one maintenance pass (min outbound, inactivity, persistent peers). */
  managePeerConnections(): Promise<void>
  /** 000 broadcastMessage: the frame to every handshaken peer; resolves to how many got it. */
  broadcastMessage(message: PawMessage): Promise<{ sent: number; failed: number }>
  /** 000 handleIncomingMessage: dispatch a received message to the handler of its protocol and type. */
  handleIncomingMessage(message: PawMessage, peer: PeerInfo): Promise<void>
  /** Registers the handler handleIncomingMessage dispatches to. */
  onMessage(protocol: string, type: string, handler: MessageHandler): Promise<void>
  peers(): PeerInfo[]
  peer(peerId: string): PeerInfo | undefined
  stats(): NodeStats
}
