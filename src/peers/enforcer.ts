/**
 * The one place where a peer pays for what it did (004 §4.2, §6.3; protocols/errors.md
 * "What each code costs"). Every part of the node that catches a peer misbehaving calls
 * `charge(peer, offence)`; the offence's row of OFFENCES decides the rest, here and
 * nowhere else:
 *
 * - the local penalty goes on the peer's reputation, with a WARN line naming the code;
 * - an offence that bans at once (004 §6.3 "misbehavior triggers immediate ban") bans the
 *   peer for DEFAULT_BAN_MS; one that disconnects closes its connection; one committed
 *   `repeated.times` within `repeated.withinMs` closes it then;
 * - otherwise the score decides (`review`): below BAN_BELOW a ban, below
 *   DISCONNECT_BELOW a disconnect.
 *
 * `review` also runs every gossipsub heartbeat for every peer whose score is known, since
 * gossipsub lowers scores on its own (invalid messages, P4), even after a peer has
 * disconnected (its validations may finish later). A ban is applied whether or not the
 * peer is still connected, is persisted, and comes before the disconnect, so no order of
 * events lets a peer below the ban threshold leave unbanned. Browser-safe.
 */
import type { EnforcerStats } from '../api/stats.ts'
import { type PawError, ReputationRejectionError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { Ban, BanOptions } from './ban-list.ts'
import { DEFAULT_BAN_MS } from './ban-list.ts'
import { OFFENCES, type OffenceName } from './offences.ts'
import type { Reputation } from './reputation.ts'

export interface EnforcerInit {
  reputation: Reputation
  /** Bans a peer (persisted; closes its connection). Without it, nobody is banned. */
  ban?: (peerId: string, options: BanOptions) => Promise<Ban>
  /** Whether a ban is in force on the peer now. */
  isBanned: (peerId: string) => boolean
  /** Closes a connected peer's connection for `error`. */
  disconnect: (peerId: string, error: PawError) => void
  /** Whether the peer has a handshaken connection now. */
  isConnected: (peerId: string) => boolean
  log: Logger
  now?: () => number
}

export type { EnforcerStats }

/** The longest `repeated` window in OFFENCES: repeat counts older than it no longer matter. */
const LONGEST_REPEAT_WINDOW_MS = Math.max(
  ...Object.values(OFFENCES).map((row) => ('repeated' in row ? row.repeated.withinMs : 0)),
)

function codeText(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`
}

export class Enforcer {
  readonly #init: EnforcerInit
  readonly #now: () => number
  /** When each peer committed each repeat-counted offence, recent first is last. */
  readonly #history = new Map<string, number[]>()
  /** Peers whose ban is being saved: not banned twice, not merely disconnected meanwhile. */
  readonly #banning = new Set<string>()
  readonly #stats: EnforcerStats = {
    charged: {},
    bans: { offence: 0, score: 0 },
    disconnects: { offence: 0, repeated: 0, score: 0 },
  }

  constructor(init: EnforcerInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
  }

  /**
   * Charges `peerId` for `offence`, and acts as its row of OFFENCES says. `error` is what
   * it did (logged with its code); `context` names where (a protocol, gossip).
   * Returns the peer's reputation after the charge.
   */
  charge(peerId: string, offence: OffenceName, error: PawError | string, context: string): number {
    const row = OFFENCES[offence]
    const score = this.#init.reputation.penalize(peerId, offence)
    this.#stats.charged[offence] = (this.#stats.charged[offence] ?? 0) + 1
    const message = typeof error === 'string' ? error : error.message
    this.#init.log.warn(`${context}: peer charged for ${offence}`, {
      peer: peerId,
      code: codeText(row.code),
      error: message,
      score: Math.round(score),
    })
    if (row.ban) {
      if (this.#ban(peerId, `${offence} (${codeText(row.code)}): ${message}`)) this.#stats.bans.offence++
      return score
    }
    if (this.review(peerId) !== undefined) return score
    const asError = typeof error === 'string' ? new ReputationRejectionError(error) : error
    if (row.disconnect) {
      if (this.#init.isConnected(peerId)) this.#stats.disconnects.offence++
      this.#init.disconnect(peerId, asError)
    } else if ('repeated' in row && this.#repeatedTooOften(peerId, offence, row.repeated)) {
      if (this.#init.isConnected(peerId)) {
        this.#stats.disconnects.repeated++
        this.#init.log.warn(`${context}: disconnecting peer: ${offence} ${row.repeated.times} times`, {
          peer: peerId,
          withinMs: row.repeated.withinMs,
        })
      }
      this.#init.disconnect(peerId, asError)
    }
    return score
  }

  /**
   * Acts on the peer's score: a ban below BAN_BELOW (whether or not it is connected), a
   * disconnect below DISCONNECT_BELOW. Returns what it did, if anything.
   */
  review(peerId: string): 'banned' | 'disconnected' | undefined {
    const { reputation } = this.#init
    if (this.#banning.has(peerId) || this.#init.isBanned(peerId)) return 'banned'
    if (reputation.deservesBan(peerId) && this.#init.ban !== undefined) {
      if (this.#ban(peerId, `reputation ${Math.round(reputation.score(peerId))} below the ban threshold`)) {
        this.#stats.bans.score++
      }
      return 'banned'
    }
    if (!reputation.isShunned(peerId)) return undefined
    if (!this.#init.isConnected(peerId)) return 'disconnected'
    const score = reputation.score(peerId)
    this.#stats.disconnects.score++
    this.#init.log.warn('disconnecting peer: reputation too low', {
      peer: peerId,
      score: Math.round(score),
      gossip: Math.round(reputation.gossipScore(peerId)),
    })
    this.#init.disconnect(
      peerId,
      new ReputationRejectionError(`reputation ${Math.round(score)} is below the disconnect threshold`),
    )
    return 'disconnected'
  }

  stats(): EnforcerStats {
    return {
      charged: { ...this.#stats.charged },
      bans: { ...this.#stats.bans },
      disconnects: { ...this.#stats.disconnects },
    }
  }

  /** Forgets repeat counts older than every window (call now and then). */
  prune(): void {
    const now = this.#now()
    for (const [key, times] of this.#history) {
      if ((times.at(-1) ?? 0) < now - LONGEST_REPEAT_WINDOW_MS) this.#history.delete(key)
    }
  }

  #repeatedTooOften(
    peerId: string,
    offence: OffenceName,
    rule: { times: number; withinMs: number },
  ): boolean {
    const key = `${offence} ${peerId}`
    const now = this.#now()
    const times = (this.#history.get(key) ?? []).filter((at) => at > now - rule.withinMs)
    times.push(now)
    this.#history.set(key, times)
    return times.length >= rule.times
  }

  /** Bans the peer unless it is banned already (or being banned); true if this call did. */
  #ban(peerId: string, reason: string): boolean {
    const ban = this.#init.ban
    if (ban === undefined || this.#banning.has(peerId) || this.#init.isBanned(peerId)) return false
    this.#banning.add(peerId)
    ban(peerId, { durationMs: DEFAULT_BAN_MS, reason, source: 'reputation' })
      .catch((error: unknown) => {
        this.#init.log.error('ban not saved', { peer: peerId, error: (error as Error).message })
        // Not saved, but the peer still goes: refused until its score recovers.
        this.#init.disconnect(peerId, new ReputationRejectionError(`banned: ${reason}`))
      })
      .finally(() => this.#banning.delete(peerId))
    return true
  }
}
