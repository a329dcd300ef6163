/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012), the keyed
 * hash BIP152 names its short transaction ids with (protocols/compact-blocks.md "Short ids").
 * 64-bit words are kept as two 32-bit halves, so it runs on plain numbers (no BigInt: a
 * compact block of 7,000 transactions asks for 7,000 of these per mempool transaction
 * looked at, on the relay's critical path). Little-endian throughout, as the paper defines it.
 * Browser-safe.
 */

/** A 64-bit word as its high and low 32 bits (unsigned). */
interface Word {
  hi: number
  lo: number
}

/** The 128-bit key as two little-endian 64-bit words, k0 from bytes 0..8, k1 from bytes 8..16. */
export interface SipKey {
  k0: Word
  k1: Word
}

function le64(bytes: Uint8Array, at: number): Word {
  const lo = (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16)
  const hi = (bytes[at + 4] as number) | ((bytes[at + 5] as number) << 8) | ((bytes[at + 6] as number) << 16)
  return {
    lo: (lo | ((bytes[at + 3] as number) << 24)) >>> 0,
    hi: (hi | ((bytes[at + 7] as number) << 24)) >>> 0,
  }
}

/** The key of 16 bytes (k0 ‖ k1, each little-endian). @throws RangeError for another length */
export function sipKey(key: Uint8Array): SipKey {
  if (key.length !== 16) throw new RangeError(`a SipHash key is 16 bytes, got ${key.length}`)
  return { k0: le64(key, 0), k1: le64(key, 8) }
}

/** The result of `run`: high and low 32 bits (a module-level pair, so a hash allocates nothing). */
let resultHi = 0
let resultLo = 0

/**
 * Runs SipHash-2-4 of `message` under `key` into resultHi/resultLo. Written out on local
 * 32-bit halves, without calls or arrays: a compact block's receiver hashes every mempool
 * transaction id, so this is the rebuild's cost.
 */
function run(key: SipKey, message: Uint8Array): void {
  let v0h = key.k0.hi ^ 0x736f6d65
  let v0l = key.k0.lo ^ 0x70736575
  let v1h = key.k1.hi ^ 0x646f7261
  let v1l = key.k1.lo ^ 0x6e646f6d
  let v2h = key.k0.hi ^ 0x6c796765
  let v2l = key.k0.lo ^ 0x6e657261
  let v3h = key.k1.hi ^ 0x74656462
  let v3l = key.k1.lo ^ 0x79746573
  const length = message.length
  const whole = length - (length % 8)
  // Steps: one per 8-byte word (2 rounds), the last padded word (2 rounds), the finish (4).
  for (let at = 0; at <= whole + 8; at += 8) {
    let mh = 0
    let ml = 0
    let rounds = 2
    if (at < whole) {
      ml = message[at] as number
      ml |= (message[at + 1] as number) << 8
      ml |= (message[at + 2] as number) << 16
      ml |= (message[at + 3] as number) << 24
      mh = message[at + 4] as number
      mh |= (message[at + 5] as number) << 8
      mh |= (message[at + 6] as number) << 16
      mh |= (message[at + 7] as number) << 24
    } else if (at === whole) {
      // The remaining bytes, then the length's low byte in the top byte.
      mh = (length & 0xff) << 24
      for (let i = whole; i < length; i++) {
        const shift = 8 * (i - whole)
        if (shift < 32) ml |= (message[i] as number) << shift
        else mh |= (message[i] as number) << (shift - 32)
      }
    } else {
      v2l ^= 0xff
      rounds = 4
    }
    v3h ^= mh
    v3l ^= ml
    for (let round = 0; round < rounds; round++) {
      let lo = (v0l + v1l) >>> 0
      v0h = (v0h + v1h + (lo < v0l >>> 0 ? 1 : 0)) >>> 0
      v0l = lo
      let h = v1h
      v1h = (v1h << 13) | (v1l >>> 19)
      v1l = (v1l << 13) | (h >>> 19)
      v1h ^= v0h
      v1l ^= v0l
      h = v0h
      v0h = v0l
      v0l = h
      lo = (v2l + v3l) >>> 0
      v2h = (v2h + v3h + (lo < v2l >>> 0 ? 1 : 0)) >>> 0
      v2l = lo
      h = v3h
      v3h = (v3h << 16) | (v3l >>> 16)
      v3l = (v3l << 16) | (h >>> 16)
      v3h ^= v2h
      v3l ^= v2l
      lo = (v0l + v3l) >>> 0
      v0h = (v0h + v3h + (lo < v0l >>> 0 ? 1 : 0)) >>> 0
      v0l = lo
      h = v3h
      v3h = (v3h << 21) | (v3l >>> 11)
      v3l = (v3l << 21) | (h >>> 11)
      v3h ^= v0h
      v3l ^= v0l
      lo = (v2l + v1l) >>> 0
      v2h = (v2h + v1h + (lo < v2l >>> 0 ? 1 : 0)) >>> 0
      v2l = lo
      h = v1h
      v1h = (v1h << 17) | (v1l >>> 15)
      v1l = (v1l << 17) | (h >>> 15)
      v1h ^= v2h
      v1l ^= v2l
      h = v2h
      v2h = v2l
      v2l = h
    }
    v0h ^= mh
    v0l ^= ml
  }
  resultHi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0
  resultLo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0
}

/**
 * SipHash-2-4 of `message` under `key`: the 64-bit result as 8 bytes, little-endian (the
 * paper's test vectors print it so).
 */
export function sipHash24(key: SipKey, message: Uint8Array): Uint8Array {
  run(key, message)
  const hi = resultHi
  const lo = resultLo
  const out = new Uint8Array(8)
  out[0] = lo & 0xff
  out[1] = (lo >>> 8) & 0xff
  out[2] = (lo >>> 16) & 0xff
  out[3] = lo >>> 24
  out[4] = hi & 0xff
  out[5] = (hi >>> 8) & 0xff
  out[6] = (hi >>> 16) & 0xff
  out[7] = hi >>> 24
  return out
}

/** The low 48 bits of SipHash-2-4 of `message` as a number (exact in a double), allocating nothing. */
export function sipHash24Low48(key: SipKey, message: Uint8Array): number {
  run(key, message)
  return resultLo + (resultHi & 0xffff) * 0x1_0000_0000
}
