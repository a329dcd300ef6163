/**
 * Banning and unbanning peers (src/peers/ban-list.ts holds and saves the bans; the enforcer
 * and the operator ask for them): a ban takes the peer's connection down at once and, where
 * the peer was seen at a public IP, keeps that IP out too. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { type PawError, ReputationRejectionError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { Ban, BanList, BanOptions } from './ban-list.ts'
import { isLocalNetgroup, netgroup } from './netgroup.ts'
import { ipOf } from './peer-addresses.ts'
import type { PeerRegistry } from './peer-registry.ts'

export interface PeerBansInit {
  bans?: Pick<BanList, 'ban' | 'unban' | 'isBanned' | 'list'> | undefined
  registry: Pick<PeerRegistry, 'get'>
  /** Closes a peer's connection for `error` (PeerManager.disconnect). */
  disconnect: (peerId: string, error: PawError) => void
  log: Logger
}

export class PeerBans {
  readonly #init: PeerBansInit

  constructor(init: PeerBansInit) {
    this.#init = init
  }

  /**
   * Bans a peer (and closes its connection): refused on dial and inbound until the ban ends.
   * @throws TypeError on a node that keeps no ban list; the signal's reason if aborted
   */
  async ban(peerId: string, options: BanOptions & AbortOptions): Promise<Ban> {
    options.signal?.throwIfAborted()
    const { bans, registry, log } = this.#init
    if (bans === undefined) throw new TypeError('this node keeps no ban list')
    const connection = registry.get(peerId)?.connection
    // The IP too, so a new identity from the same host stays out, but never a loopback or
    // private one: on a LAN or a devnet that would shut out every peer behind it.
    const seenAt = connection === undefined ? undefined : ipOf(connection.remoteAddr)
    const ip = options.ip ?? (seenAt !== undefined && !isLocalNetgroup(netgroup(seenAt)) ? seenAt : undefined)
    const { durationMs, reason, source } = options
    // In force at once (the list holds it before it is saved): the peer goes now, not after the fsync.
    const saved = bans.ban(peerId, { durationMs, reason, source, ip })
    if (bans.isBanned(peerId) !== undefined) {
      this.#init.disconnect(peerId, new ReputationRejectionError(`banned: ${reason}`))
    }
    const ban = await saved
    log.warn('peer banned', {
      peer: peerId,
      until: new Date(ban.until).toISOString(),
      reason: ban.reason,
      source: ban.source,
    })
    return ban
  }

  /** Lifts the ban on `peerId`; false if there was none (or no ban list). */
  async unban(peerId: string, options: AbortOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    if (this.#init.bans === undefined) return false
    const lifted = await this.#init.bans.unban(peerId)
    if (lifted) this.#init.log.info('peer unbanned', { peer: peerId })
    return lifted
  }

  /** Active bans, soonest-expiring first. */
  list(): Ban[] {
    return this.#init.bans?.list() ?? []
  }
}
