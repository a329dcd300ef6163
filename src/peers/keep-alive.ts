/**
 * 004 §10.1 keep-alive: a handshaken peer is pinged every ping interval (libp2p ping,
 * protocols/README.md "What a peer must speak"), which also measures its RTT; no answer and
 * nothing else from it within the read timeout, or nothing at all from it for the
 * inactivity timeout, drops it.
 * Browser-safe.
 */
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Settings } from '../config/settings.ts'
import type { Logger } from '../logging.ts'
import type { AddressBook } from './address-book.ts'
import type { BackgroundWork } from './background-work.ts'
import type { PeerRecord } from './peer-record.ts'
import type { PeerRegistry } from './peer-registry.ts'

/** libp2p's ping, PAW's keep-alive (004 §3.1; protocols/README.md "What a peer must speak"). */
export const PING_PROTOCOL = '/ipfs/ping/1.0.0'

export interface PingService {
  ping(peer: PeerId, options?: AbortOptions): Promise<number>
}

export interface KeepAliveInit {
  ping: PingService
  settings: { timeouts: Pick<Settings['timeouts'], 'pingIntervalMs' | 'readIdleMs' | 'inactivityMs'> }
  registry: Pick<PeerRegistry, 'close'>
  /** Its signal is aborted when the node stops: cuts pings in flight short. */
  work: Pick<BackgroundWork, 'stopping' | 'signal'>
  addressBook?: Pick<AddressBook, 'rtt'> | undefined
  log: Logger
}

export class KeepAlive {
  readonly #init: KeepAliveInit

  constructor(init: KeepAliveInit) {
    this.#init = init
  }

  /**
   * The keep-alive work due for a handshaken `record` now: closing it if it has been
   * inactive too long, or a ping if one is due; undefined if nothing is. Never rejects.
   */
  check(record: PeerRecord, now: number = Date.now(), options: AbortOptions = {}): Promise<void> | undefined {
    const connection = record.connection
    if (record.state !== 'connected' || connection === undefined) return undefined
    const { pingIntervalMs, readIdleMs, inactivityMs } = this.#init.settings.timeouts
    if (now - record.traffic.lastActivity > inactivityMs) {
      record.lastError = `inactive for ${inactivityMs} ms`
      return this.#init.registry.close(record)
    }
    if (record.pinging || now - record.lastPingAt < pingIntervalMs) return undefined
    record.pinging = true
    record.lastPingAt = now
    return this.#ping(record, readIdleMs, options).finally(() => {
      record.pinging = false
    })
  }

  async #ping(record: PeerRecord, timeoutMs: number, options: AbortOptions): Promise<void> {
    const { log } = this.#init
    const connection = record.connection
    const signals = [AbortSignal.timeout(timeoutMs), this.#init.work.signal]
    if (options.signal !== undefined) signals.push(options.signal)
    try {
      record.rttMs = await this.#init.ping.ping(record.peerId, { signal: AbortSignal.any(signals) })
      record.traffic.touch()
      this.#init.addressBook?.rtt(record.peerId.toString(), record.rttMs)
    } catch (error) {
      if (this.#init.work.stopping || options.signal?.aborted === true) return
      if (connection === undefined || record.connection !== connection || connection.status !== 'open') return
      const peer = record.peerId.toString()
      if ((error as Error).name === 'UnsupportedProtocolError') {
        record.lastError = `does not speak ${PING_PROTOCOL}, which a PAW peer must answer (protocols/README.md)`
        log.warn('dropping peer without ping', { peer, error: record.lastError })
      } else if (Date.now() - record.traffic.lastActivity < timeoutMs) {
        // Alive: it sent us something within the ping's window. Under load a ping answer
        // waits behind the messages queued before it (a flood of transactions, a block), and
        // a stream can fail on our side; dropping a peer for that cut whole nodes off
        // (bench/network, 50 nodes: 422 honest peers dropped during a transaction flood).
        // The next ping, and the inactivity timeout, still catch a peer that goes silent.
        log.debug('ping failed, peer still sending: kept', { peer, error: (error as Error).message })
        return
      } else {
        record.lastError = `no ping answer and nothing else from it within ${timeoutMs} ms (${(error as Error).message})`
        log.info('dropping unresponsive peer', { peer, error: record.lastError })
      }
      await this.#init.registry.close(record)
      log.debug('unresponsive peer closed', { peer, connection: connection.status, state: record.state })
    }
  }
}
