/** The miner's defaults (miner.ts). */

/**
 * How long one template is searched before it is rebuilt: a few seconds, so transactions
 * that arrived meanwhile get in and the timestamp stays close to the clock, while a
 * rebuild (a mempool selection and one state pass) stays rare next to the hashing.
 */
export const DEFAULT_REFRESH_INTERVAL_MS = 5_000

/**
 * The pause after a round that failed for a reason other than a new tip (a refused block,
 * a store error), so a fault that repeats cannot spin the loop or flood the log.
 */
export const ERROR_BACKOFF_MS = 1_000
