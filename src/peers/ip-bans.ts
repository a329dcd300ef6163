/**
 * Banning and unbanning IPs and subnets (Bitcoin Core's `setban <ip|subnet>`): the ban list
 * holds them (src/peers/ban-list.ts) and the connection gater and the peer gate refuse what is
 * inside them; this closes, at the ban, the connections already open from inside. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerInfo } from '../api/peers.ts'
import { type PawError, ReputationRejectionError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { BanList, BanOptions, IpBan } from './ban-list.ts'
import { parseSubnet } from './ip-subnet.ts'
import { ipOf } from './peer-addresses.ts'

export interface IpBansInit {
  bans: Pick<BanList, 'banIp' | 'unbanIp' | 'ipBans'>
  /** The node's peers and where their connections come from (PeerManager.peers()). */
  peers: () => readonly PeerInfo[]
  /** Closes a peer's connection for `error` (PeerManager.disconnect). */
  disconnect: (peerId: string, error: PawError) => void
  log: Logger
}

export class IpBans {
  readonly #init: IpBansInit

  constructor(init: IpBansInit) {
    this.#init = init
  }

  /**
   * Bans an IP or a subnet and disconnects every peer connected from inside it.
   * @throws TypeError for text that is neither; RangeError for a duration out of bounds
   */
  async ban(ip: string, options: Omit<BanOptions, 'ip'> & AbortOptions): Promise<IpBan> {
    const { bans, log } = this.#init
    // In force at once (the list holds it before it is saved): the peers inside go now.
    const saved = bans.banIp(ip, options)
    const subnet = parseSubnet(ip)
    const inForce = subnet !== undefined && bans.ipBans().some((ban) => ban.ip === subnet.text)
    const disconnected: string[] = []
    if (inForce) {
      for (const peer of this.#init.peers()) {
        const from = peer.remoteAddr === undefined ? undefined : ipOf(multiaddr(peer.remoteAddr))
        if (peer.state === 'disconnected' || from === undefined || !subnet.contains(from)) continue
        this.#init.disconnect(peer.peerId, new ReputationRejectionError(`banned: ${options.reason}`))
        disconnected.push(peer.peerId)
      }
    }
    const ban = await saved
    log.warn('address banned', {
      ip: ban.ip,
      until: new Date(ban.until).toISOString(),
      reason: ban.reason,
      source: ban.source,
      disconnected: disconnected.length,
    })
    return ban
  }

  /** Lifts the ban on exactly this IP or subnet; false if there was none. */
  async unban(ip: string, options: AbortOptions = {}): Promise<boolean> {
    const lifted = await this.#init.bans.unbanIp(ip, options)
    if (lifted) this.#init.log.info('address unbanned', { ip: parseSubnet(ip)?.text ?? ip })
    return lifted
  }

  /** Active IP and subnet bans, soonest-expiring first. */
  list(): IpBan[] {
    return this.#init.bans.ipBans()
  }
}
