/**
 * Persistent peers given as `<hex>@host:port` (CometBFT's form with the legacy node ID of
 * src/peers/node-id.ts). A persistent peer is kept by identity (004 §3.3), but 20 bytes of a
 * key are not a peer ID: so each such address is dialled until a connection authenticates
 * the key its hex names, and that peer ID then becomes a persistent peer record with the
 * address, which the maintenance loop keeps connected from there on like any other. A
 * connection to another key is closed, logged with what answered, and the address retried
 * with the usual backoff (the operator may fix the entry, or the right node come back).
 *
 * Started once by loadConfiguredPeers, it lives as long as libp2p runs: it has nothing left
 * to do once every address is resolved, and stops at libp2p's 'stop'. Browser-safe.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Settings } from '../config/settings.ts'
import type { Logger } from '../logging.ts'
import { reconnectDelayMs } from './backoff.ts'
import { closeConnection } from './close-connection.ts'
import { checkNodeId } from './node-id.ts'
import type { PeerRegistry } from './peer-registry.ts'

export interface NodeIdPeersInit {
  libp2p: Pick<Libp2p, 'dial' | 'status' | 'addEventListener' | 'removeEventListener'>
  registry: Pick<PeerRegistry, 'record'>
  settings: Pick<Settings, 'timeouts'>
  log: Logger
}

/** A persistent peer address whose peer ID is not known yet. */
export interface NodeIdPeer {
  /** As configured, for the log. */
  text: string
  /** Without /p2p/. */
  address: Multiaddr
  /** Lower-case hex. */
  nodeId: string
}

interface Pending extends NodeIdPeer {
  failures: number
  nextAt: number
  dialling: boolean
}

export class NodeIdPeers {
  readonly #init: NodeIdPeersInit
  readonly #pending: Pending[]
  readonly #shutdown = new AbortController()
  #timer: ReturnType<typeof setTimeout> | undefined
  readonly #onStop = (): void => this.stop()

  constructor(init: NodeIdPeersInit, peers: readonly NodeIdPeer[]) {
    this.#init = init
    this.#pending = peers.map((peer) => ({ ...peer, failures: 0, nextAt: 0, dialling: false }))
  }

  /** Addresses not resolved to a peer ID yet. */
  get unresolved(): number {
    return this.#pending.length
  }

  start(): void {
    if (this.#pending.length === 0) return
    this.#init.libp2p.addEventListener('stop', this.#onStop)
    this.#schedule(0)
  }

  stop(): void {
    this.#init.libp2p.removeEventListener('stop', this.#onStop)
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#shutdown.abort()
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer)
    if (this.#shutdown.signal.aborted || this.#pending.length === 0) return
    this.#timer = setTimeout(() => this.#dialDue(), Math.max(0, delayMs))
  }

  #dialDue(): void {
    if (this.#init.libp2p.status !== 'started') {
      this.stop()
      return
    }
    const now = Date.now()
    for (const peer of this.#pending) {
      if (!peer.dialling && peer.nextAt <= now) void this.#dial(peer)
    }
    this.#scheduleNext()
  }

  #scheduleNext(): void {
    const waiting = this.#pending.filter((peer) => !peer.dialling).map((peer) => peer.nextAt)
    if (waiting.length > 0) this.#schedule(Math.min(...waiting) - Date.now())
  }

  async #dial(peer: Pending): Promise<void> {
    const { libp2p, settings, log } = this.#init
    peer.dialling = true
    let connection: Connection
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(settings.timeouts.dialMs), this.#shutdown.signal])
      connection = await libp2p.dial(peer.address, { signal })
    } catch (error) {
      if (this.#shutdown.signal.aborted) return
      // INFO, as for any persistent peer (004 §7.2): the operator's business, not a fault.
      this.#retry(peer, 'info', 'persistent peer unreachable', { error: (error as Error).message })
      return
    }
    const mismatch = checkNodeId(connection.remotePeer, peer.nodeId, peer.address.toString())
    if (mismatch !== undefined) {
      void closeConnection(connection)
      this.#retry(peer, 'warn', 'persistent peer refused: not the node its address names', {
        expected: peer.nodeId,
        peer: connection.remotePeer.toString(),
        error: mismatch.message,
      })
      return
    }
    this.#pending.splice(this.#pending.indexOf(peer), 1)
    // From here the peer is a persistent peer like one given with its peer ID: the
    // connection just opened goes through the handshake, and the maintenance loop redials it.
    const record = this.#init.registry.record(connection.remotePeer)
    record.persistent = peer.address.encapsulate(`/p2p/${connection.remotePeer.toString()}`)
    log.info('persistent peer identified', {
      address: peer.text,
      nodeId: peer.nodeId,
      peer: connection.remotePeer.toString(),
    })
    if (this.#pending.length === 0) this.stop()
  }

  #retry(peer: Pending, level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    const retryInMs = reconnectDelayMs(peer.failures)
    peer.failures++
    peer.nextAt = Date.now() + retryInMs
    peer.dialling = false
    this.#init.log[level](message, { address: peer.text, ...fields, retryInMs })
    this.#scheduleNext()
  }
}
