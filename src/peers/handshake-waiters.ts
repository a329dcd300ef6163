/**
 * Dials waiting for /paw/handshake/1 to end on the connection they opened (000
 * connectToPeer resolves only once the peer is handshaken). The handshake hooks settle
 * them; a wait is bounded, because libp2p may hand a dial back a connection it already had
 * (one stalled across a cut link, say) whose handshake settled long ago or never will: a
 * dial that waited on it forever held up every later maintenance pass. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { PeerInfo } from '../api/peers.ts'
import { HandshakeTimeoutError, type PawError } from '../errors.ts'

export type HandshakeOutcome = { info: PeerInfo } | { error: PawError }

interface Waiter {
  settle(outcome: HandshakeOutcome): void
}

export class HandshakeWaiters {
  /** By connection id. */
  readonly #waiters = new Map<string, Waiter[]>()

  /** Connections with a dial waiting on them. */
  get size(): number {
    return this.#waiters.size
  }

  /**
   * Resolves with the peer once the handshake on `connectionId` completes; rejects with its
   * error, with HandshakeTimeoutError after `timeoutMs`, with the signal's reason when
   * `options.signal` aborts.
   */
  wait(connectionId: string, timeoutMs: number, options: AbortOptions = {}): Promise<PeerInfo> {
    const { signal } = options
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    const { promise, resolve, reject } = Promise.withResolvers<PeerInfo>()
    const end = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const waiter: Waiter = {
      settle: (outcome) => {
        end()
        if ('info' in outcome) resolve(outcome.info)
        else reject(outcome.error)
      },
    }
    const giveUp = (reason: unknown): void => {
      end()
      this.#remove(connectionId, waiter)
      reject(reason)
    }
    const onAbort = (): void => giveUp(signal?.reason)
    const timer = setTimeout(() => giveUp(new HandshakeTimeoutError(timeoutMs)), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    const waiters = this.#waiters.get(connectionId) ?? []
    waiters.push(waiter)
    this.#waiters.set(connectionId, waiters)
    return promise
  }

  /** Settles every dial waiting on `connectionId` with the handshake's outcome. */
  settle(connectionId: string, outcome: HandshakeOutcome): void {
    const waiters = this.#waiters.get(connectionId) ?? []
    this.#waiters.delete(connectionId)
    for (const waiter of waiters) waiter.settle(outcome)
  }

  /** Rejects every waiting dial with `error` (the node is stopping). */
  rejectAll(error: PawError): void {
    for (const id of [...this.#waiters.keys()]) this.settle(id, { error })
  }

  #remove(connectionId: string, waiter: Waiter): void {
    const left = (this.#waiters.get(connectionId) ?? []).filter((w) => w !== waiter)
    if (left.length === 0) this.#waiters.delete(connectionId)
    else this.#waiters.set(connectionId, left)
  }
}
