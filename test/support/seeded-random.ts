/**
 * mulberry32: a small, fast generator from a 32-bit seed, for tests and fuzzers whose runs
 * must be replayable (a failing sequence of moments, a selection, a mutation).
 */

/** Successive uint32 values from `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** Successive numbers in [0, 1) from `seed`, like Math.random. */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed)
  return () => next() / 4_294_967_296
}
