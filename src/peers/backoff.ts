/**
 * Reconnect backoff (DECISIONS.md "Connections"): min(2^attempt s, 600 s), attempt counted
 * from 0, so 1, 2, 4 … 512 s, then 600 s from attempt 10; with ±20% jitter so peers that
 * lost the same node do not all redial it in the same second.
 */
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS } from '../config/defaults.ts'

export const JITTER = 0.2

/** The delay before retry number `attempt` (0 = the first retry). `random` is in [0, 1). */
export function reconnectDelayMs(attempt: number, random: number = Math.random()): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30), BACKOFF_MAX_MS)
  return Math.round(base * (1 - JITTER + 2 * JITTER * random))
}
