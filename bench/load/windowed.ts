/**
 * The window discipline every relay round of bench/load case 2 shares (PAW transactions,
 * the raw stream relay, the raw gossipsub relay): at most `window` messages on their way at
 * once (sent, not yet at B), so the node under test stays busy but is never flooded into
 * drops, and the same for every relay compared.
 */
import { now } from './nodes.ts'

/** A relay round fails if nothing arrives at B for this long. */
export const STALL_MS = 10_000

export interface RelayResult {
  startedAt: number
  /** When the last message arrived at B. */
  endedAt: number
  arrived: number
  sent: number
  publishFailures: number
}

/** Wakes the sender at each arrival at B. */
export class Arrivals {
  #wake: (() => void) | undefined

  /** B received a message. */
  arrived(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** The next arrival; fails after STALL_MS without one. */
  next(what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what}: nothing arrived for ${STALL_MS} ms`)),
        STALL_MS,
      )
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}

/**
 * Sends `count` messages with `send(i)`, keeping at most `window` on their way (sent, not
 * yet counted by `arrived()`), until all arrived. `send` resolving false counts a failure.
 */
export async function windowed(
  arrivals: Arrivals,
  what: string,
  count: number,
  window: number,
  arrived: () => number,
  send: (index: number) => boolean | Promise<boolean>,
): Promise<RelayResult> {
  const startedAt = now()
  let sent = 0
  let failures = 0
  while (arrived() < count) {
    while (sent < count && sent - arrived() < window) {
      if (!(await send(sent++))) failures++
    }
    if (arrived() < count) await arrivals.next(what)
  }
  return { startedAt, endedAt: now(), arrived: arrived(), sent, publishFailures: failures }
}
