/**
 * Proof of work: targets, work, retargeting and the nonce search (docs/chain.md "Proof of
 * work"). A target is 32 bytes, a big-endian 256-bit number; a header meets it when its
 * hash, read the same way, is ≤ it. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeHeader, HEADER_NONCE_OFFSET, TARGET_LENGTH } from './encoding.ts'
import { ChainError, ChainErrorCode } from './errors.ts'
import type { BlockHeader, ChainParams, Hash } from './types.ts'

const TWO_256 = 1n << 256n

/** The easiest possible target: every hash meets it. */
export const MAX_TARGET_VALUE = TWO_256 - 1n

export function targetToBigInt(target: Uint8Array): bigint {
  let value = 0n
  for (const byte of target) value = (value << 8n) | BigInt(byte)
  return value
}

/** @throws RangeError unless 0 ≤ value < 2^256 */
export function bigIntToTarget(value: bigint): Uint8Array {
  if (value < 0n || value > MAX_TARGET_VALUE) throw new RangeError(`target ${value} is not 256 bits`)
  const out = new Uint8Array(TARGET_LENGTH)
  let rest = value
  for (let i = TARGET_LENGTH - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return out
}

/** True when `hash` ≤ `target`, both read as 256-bit big-endian numbers. */
export function meetsTarget(hash: Hash, target: Uint8Array): boolean {
  for (let i = 0; i < TARGET_LENGTH; i++) {
    const h = hash[i] as number
    const t = target[i] as number
    if (h !== t) return h < t
  }
  return true
}

/**
 * The expected number of hashes to meet `target`: 2^256 / (target + 1), the share of the
 * hash space at or under the target, inverted. Fork choice sums it over a branch.
 */
export function workForTarget(target: Uint8Array): bigint {
  return TWO_256 / (targetToBigInt(target) + 1n)
}

/**
 * The next target after a window that took `actualTimespanMs` where `expectedTimespanMs`
 * was wanted: prevTarget × actual / expected, with the ratio clamped to [1/4, 4] (so one
 * retarget moves difficulty at most 4× either way, and timestamps from a few dishonest
 * miners can only nudge it), never above `maxTarget` (the chain's easiest) and never 0.
 */
export function retarget(
  prevTarget: Uint8Array,
  actualTimespanMs: number,
  expectedTimespanMs: number,
  maxTarget: Uint8Array,
): Uint8Array {
  if (!Number.isSafeInteger(expectedTimespanMs) || expectedTimespanMs <= 0) {
    throw new RangeError(`expected timespan must be a positive integer, got ${expectedTimespanMs}`)
  }
  if (!Number.isSafeInteger(actualTimespanMs)) {
    throw new RangeError(`actual timespan must be an integer, got ${actualTimespanMs}`)
  }
  const prev = targetToBigInt(prevTarget)
  const actual = BigInt(actualTimespanMs)
  const expected = BigInt(expectedTimespanMs)
  let next: bigint
  if (4n * actual < expected) next = prev / 4n
  else if (actual > 4n * expected) next = prev * 4n
  else next = (prev * actual) / expected
  const max = targetToBigInt(maxTarget)
  if (next > max) next = max
  if (next < 1n) next = 1n
  return bigIntToTarget(next)
}

/**
 * The header at `height` on the branch being validated (an ancestor of the parent, not
 * necessarily of the best chain), or undefined if the caller does not have it.
 */
export type HeaderLookup = (height: number) => BlockHeader | undefined | Promise<BlockHeader | undefined>

/**
 * The easiest target a chain allows: its initial target (as Bitcoin's genesis sits at its
 * proof-of-work limit). Retargeting never goes above it.
 */
export function maxTarget(params: ChainParams): Uint8Array {
  return params.initialTarget
}

/**
 * The target the child of `parent` must carry. Every `retargetInterval` blocks (at heights
 * that are multiples of it), the last `retargetInterval` blocks, from height h − interval
 * to the parent at h − 1, are timed: their first and last timestamps span interval − 1
 * block times, compared with (interval − 1) × targetBlockTimeMs. Between retargets, and
 * when retargetInterval is 0, the parent's target carries over.
 * @throws ChainError UNKNOWN_PARENT if `getHeaderAtHeight` lacks the window's first header
 */
export async function nextTarget(
  params: ChainParams,
  parent: BlockHeader,
  getHeaderAtHeight: HeaderLookup,
): Promise<Uint8Array> {
  const height = parent.height + 1
  const interval = params.retargetInterval
  if (interval === 0 || height % interval !== 0) return parent.target
  const firstHeight = height - interval
  const first = firstHeight === parent.height ? parent : await getHeaderAtHeight(firstHeight)
  if (first === undefined) {
    throw new ChainError(ChainErrorCode.UnknownParent, `no header at height ${firstHeight} to retarget from`)
  }
  return retarget(
    parent.target,
    parent.timestamp - first.timestamp,
    (interval - 1) * params.targetBlockTimeMs,
    maxTarget(params),
  )
}

export interface MineOptions {
  signal?: AbortSignal
  /** Hashes to try before giving up (then update the timestamp and search again). @default unbounded */
  maxIterations?: number
  /** Hashes per batch between yields to the event loop. @default 2048 (a few ms) */
  batchSize?: number
  /**
   * At most this many hashes a second on average (the search sleeps between batches to
   * keep to it); 0 or absent: as fast as the CPU goes.
   */
  hashesPerSecond?: number
}

/** Hashes between yields: about 4 ms at the ~500k hashes/s of @noble/hashes on a laptop. */
export const MINE_BATCH_SIZE = 2048

type Scheduler = (callback: () => void) => unknown
const setImmediateIfAny = (globalThis as { setImmediate?: Scheduler }).setImmediate

/**
 * Lets timers, I/O and other tasks run. setImmediate where it exists (Node), else
 * setTimeout(0) (browsers; clamped to a few ms once nested, so batches stay large).
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (setImmediateIfAny !== undefined) setImmediateIfAny(resolve)
    else setTimeout(resolve, 0)
  })
}

/**
 * Searches nonces from `header.nonce` upward (wrapping at 2^64) for a hash meeting
 * `header.target`. Hashes in batches of `batchSize`, yielding to the event loop between
 * batches, so a node mining a hard target stays responsive.
 * @returns the header with the winning nonce, or undefined after `maxIterations` hashes
 * @throws the signal's reason as soon as `signal` aborts (checked between batches)
 */
/** Resolves after `ms`, or at once when `signal` aborts (the caller checks it). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })
}

export async function mineHeader(
  header: BlockHeader,
  options: MineOptions = {},
): Promise<BlockHeader | undefined> {
  const { signal } = options
  const maxIterations = options.maxIterations ?? Number.POSITIVE_INFINITY
  const batchSize = options.batchSize ?? MINE_BATCH_SIZE
  if (!(batchSize >= 1)) throw new RangeError(`batchSize must be ≥ 1, got ${batchSize}`)
  signal?.throwIfAborted()
  const bytes = encodeHeader(header)
  const view = new DataView(bytes.buffer)
  const target = header.target
  let high = view.getUint32(HEADER_NONCE_OFFSET)
  let low = view.getUint32(HEADER_NONCE_OFFSET + 4)
  let tried = 0
  const rate = options.hashesPerSecond ?? 0
  const started = Date.now()
  while (tried < maxIterations) {
    const batchEnd = Math.min(maxIterations, tried + batchSize)
    for (; tried < batchEnd; tried++) {
      view.setUint32(HEADER_NONCE_OFFSET, high)
      view.setUint32(HEADER_NONCE_OFFSET + 4, low)
      if (meetsTarget(sha256(bytes), target)) {
        return { ...header, nonce: (BigInt(high) << 32n) | BigInt(low) }
      }
      low = (low + 1) >>> 0
      if (low === 0) high = (high + 1) >>> 0
    }
    if (tried < maxIterations) {
      const ahead = rate > 0 ? (tried / rate) * 1000 - (Date.now() - started) : 0
      await (ahead > 0 ? sleep(ahead, signal) : yieldToEventLoop())
      signal?.throwIfAborted()
    }
  }
  return undefined
}
