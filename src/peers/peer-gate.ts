/**
 * Who is kept out, on dial and inbound alike: banned peers, IPs and subnets (src/peers/ban-list.ts),
 * peers below reputation's disconnect threshold, and peers that answered for another chain
 * (DECISIONS.md "Handshake": neither their address nor their identity is redialled for
 * 24 h). Browser-safe.
 */
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { WRONG_CHAIN_REDIAL_BLOCK_MS } from '../config/defaults.ts'
import type { Ban, BanList, IpBan } from './ban-list.ts'
import { ipOf } from './peer-addresses.ts'
import { addressKey, RedialBlock } from './redial-block.ts'
import type { Reputation } from './reputation.ts'

export interface PeerGateInit {
  bans?: Pick<BanList, 'isBanned' | 'isIpBanned' | 'prune'> | undefined
  reputation?: Pick<Reputation, 'isShunned'> | undefined
  /** How long a peer of another chain is not redialled. */
  wrongChainMs?: number
}

export class PeerGate {
  readonly #bans: PeerGateInit['bans']
  readonly #reputation: PeerGateInit['reputation']
  readonly #wrongChainMs: number
  readonly #wrongChain = new RedialBlock()

  constructor(init: PeerGateInit = {}) {
    this.#bans = init.bans
    this.#reputation = init.reputation
    this.#wrongChainMs = init.wrongChainMs ?? WRONG_CHAIN_REDIAL_BLOCK_MS
  }

  /** The ban on a peer, or on its IP or a subnet holding it, if any. */
  banOf(peerId: string | undefined, ip: string | undefined): Ban | IpBan | undefined {
    if (this.#bans === undefined) return undefined
    return (
      (peerId === undefined ? undefined : this.#bans.isBanned(peerId)) ??
      (ip === undefined ? undefined : this.#bans.isIpBanned(ip))
    )
  }

  /** Below the reputation's disconnect threshold: refused (0x07) and not dialled. */
  isShunned(peerId: string): boolean {
    return this.#reputation?.isShunned(peerId) === true
  }

  /** Whether `address` (of `peerId`, when known) must not be dialled now. */
  isBlocked(address: Multiaddr, peerId: string | undefined): boolean {
    return (
      this.banOf(peerId, ipOf(address)) !== undefined ||
      this.#wrongChain.isBlocked(addressKey(address.toString())) ||
      (peerId !== undefined && this.#wrongChain.isBlocked(peerId)) ||
      (peerId !== undefined && this.isShunned(peerId))
    )
  }

  /** The peer on `connection` is of another chain: neither its address nor its identity is dialled for a while. */
  blockWrongChain(connection: Connection): void {
    this.#wrongChain.block(addressKey(connection.remoteAddr.toString()), this.#wrongChainMs)
    this.#wrongChain.block(connection.remotePeer.toString(), this.#wrongChainMs)
  }

  /** Drops expired bans and blocks, so neither grows with every peer ever refused. */
  prune(now: number = Date.now()): void {
    this.#wrongChain.prune(now)
    this.#bans?.prune()
  }
}
