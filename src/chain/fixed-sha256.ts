/**
 * SHA-256 (FIPS 180-4) for the fixed-length inputs the chain hashes by the thousand per
 * block: the state tree's node inputs, over its node ids (binary strings,
 * state-tree/node.ts), and the transaction Merkle tree's pairs of hashes (hashing.ts), with
 * no allocation but the result. Browser-safe, plain JS: the same bytes as @noble/hashes,
 * checked against node:crypto by the tests.
 *
 * Why not @noble/hashes' `sha256` here: a state root update hashes one node input of 65
 * bytes per node written (tens of thousands per block), a 1 MiB block's Merkle root 6,896
 * pairs of 64 bytes, and on inputs this small noble's per-call set-up (a hasher object, a
 * DataView, buffer copies and wipes) costs about as much as the compression itself. Every
 * input here has a fixed length, so the padding is known in advance: a 65-byte input is
 * one full block, then a block holding its last byte, 0x80 and the length 520, whose whole
 * message schedule depends on that one byte and is precomputed for all 256 values; a
 * 64-byte input is one full block, then a block of padding alone, precomputed once.
 */

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])

const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

/** The chaining state. */
const state = new Int32Array(8)
/** The message schedule of the block being compressed. */
const schedule = new Int32Array(64)

function expand(w: Int32Array, offset: number): void {
  for (let i = offset + 16; i < offset + 64; i++) {
    const x = w[i - 15] as number
    const y = w[i - 2] as number
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0
  }
}

/** One compression of `state` with the expanded schedule `w[offset, offset + 64)`. */
function compress(w: Int32Array, offset: number): void {
  let a = state[0] as number
  let b = state[1] as number
  let c = state[2] as number
  let d = state[3] as number
  let e = state[4] as number
  let f = state[5] as number
  let g = state[6] as number
  let h = state[7] as number
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    // Ch and Maj in their three-operation forms (equal to FIPS 180-4's bit for bit).
    const t1 = (h + s1 + (g ^ (e & (f ^ g))) + (K[i] as number) + (w[offset + i] as number)) | 0
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (s0 + ((a & b) | (c & (a | b)))) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  state[0] = (state[0] as number) + a
  state[1] = (state[1] as number) + b
  state[2] = (state[2] as number) + c
  state[3] = (state[3] as number) + d
  state[4] = (state[4] as number) + e
  state[5] = (state[5] as number) + f
  state[6] = (state[6] as number) + g
  state[7] = (state[7] as number) + h
}

/**
 * The expanded schedules of the second block of a 65-byte input, one per value of its
 * last byte: that byte, 0x80, zeros, and the bit length 520 in the last word.
 */
const TAILS = new Int32Array(256 * 64)
for (let byte = 0; byte < 256; byte++) {
  TAILS[byte * 64] = (byte << 24) | (0x80 << 16)
  TAILS[byte * 64 + 15] = 65 * 8
  expand(TAILS, byte * 64)
}

/** The expanded schedule of the second block of a 64-byte input: 0x80, zeros, the bit length 512. */
const PAIR_TAIL = new Int32Array(64)
PAIR_TAIL[0] = 0x80 << 24
PAIR_TAIL[15] = 64 * 8
expand(PAIR_TAIL, 0)

/** The big-endian 32-bit word at character `at` of a binary string. */
function word(text: string, at: number): number {
  return (
    (text.charCodeAt(at) << 24) |
    (text.charCodeAt(at + 1) << 16) |
    (text.charCodeAt(at + 2) << 8) |
    text.charCodeAt(at + 3)
  )
}

/** The digest in `state` as a 32-character binary string. */
function digestId(): string {
  const s = state
  const b = (i: number, shift: number) => ((s[i] as number) >>> shift) & 0xff
  return String.fromCharCode(
    b(0, 24),
    b(0, 16),
    b(0, 8),
    b(0, 0),
    b(1, 24),
    b(1, 16),
    b(1, 8),
    b(1, 0),
    b(2, 24),
    b(2, 16),
    b(2, 8),
    b(2, 0),
    b(3, 24),
    b(3, 16),
    b(3, 8),
    b(3, 0),
    b(4, 24),
    b(4, 16),
    b(4, 8),
    b(4, 0),
    b(5, 24),
    b(5, 16),
    b(5, 8),
    b(5, 0),
    b(6, 24),
    b(6, 16),
    b(6, 8),
    b(6, 0),
    b(7, 24),
    b(7, 16),
    b(7, 8),
    b(7, 0),
  )
}

/**
 * SHA-256(prefix ‖ a ‖ b) for a one-byte prefix and two 32-byte binary strings, or (with
 * `b` undefined) SHA-256(prefix ‖ a ‖ the digest left in `state`): the leaf's input, whose
 * last 32 bytes are the value's hash.
 */
function hash65(prefix: number, a: string, b: string | undefined): string {
  const w = schedule
  // Bytes 0..63: prefix, a (32 bytes), the first 31 bytes of b. Word i holds bytes 4i..4i+3.
  w[0] = (prefix << 24) | (a.charCodeAt(0) << 16) | (a.charCodeAt(1) << 8) | a.charCodeAt(2)
  for (let i = 1; i < 8; i++) w[i] = word(a, 4 * i - 1)
  let last: number
  if (b !== undefined) {
    w[8] = (a.charCodeAt(31) << 24) | (b.charCodeAt(0) << 16) | (b.charCodeAt(1) << 8) | b.charCodeAt(2)
    for (let i = 9; i < 16; i++) w[i] = word(b, 4 * i - 33)
    last = b.charCodeAt(31)
  } else {
    // b is the digest in `state`, shifted by the one byte the prefix takes.
    let carry = a.charCodeAt(31)
    for (let i = 0; i < 8; i++) {
      const v = state[i] as number
      w[8 + i] = (carry << 24) | (v >>> 8)
      carry = v & 0xff
    }
    last = carry
  }
  expand(w, 0)
  state.set(IV)
  compress(w, 0)
  compress(TAILS, last * 64)
  return digestId()
}

/** SHA-256(0x01 ‖ left ‖ right), the internal node hash, over ids. */
export function internalDigest(left: string, right: string): string {
  return hash65(0x01, left, right)
}

/** SHA-256(0x00 ‖ key ‖ SHA-256(value)), the leaf hash, over ids; `value` is 16 bytes. */
export function leafDigest(key: string, value: string): string {
  for (let i = 0; i < 4; i++) schedule[i] = word(value, 4 * i)
  hashOneBlock(4)
  return hash65(0x00, key, undefined)
}

/**
 * SHA-256 of a message of `words` 32-bit words (at most 13) already in the schedule: padded
 * (0x80, zeros, the bit length) into its one block and compressed from the IV into `state`.
 */
function hashOneBlock(words: number): void {
  const w = schedule
  w[words] = 0x80000000
  for (let i = words + 1; i < 15; i++) w[i] = 0
  w[15] = words * 32
  expand(w, 0)
  state.set(IV)
  compress(w, 0)
}

/** Loads the 8 big-endian words of the 32 bytes at `bytes[at]` into the schedule from word `first`. */
function loadHash(bytes: Uint8Array, at: number, first: number): void {
  for (let i = 0; i < 8; i++, at += 4) {
    schedule[first + i] =
      ((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)
  }
}

/** Writes the digest in `state` to `out[outAt, outAt + 32)`. */
function storeDigest(out: Uint8Array, outAt: number): void {
  for (let i = 0; i < 8; i++, outAt += 4) {
    const v = state[i] as number
    out[outAt] = v >>> 24
    out[outAt + 1] = (v >>> 16) & 0xff
    out[outAt + 2] = (v >>> 8) & 0xff
    out[outAt + 3] = v & 0xff
  }
}

/** SHA-256 of 32 bytes (an address, for its state key): one block. */
export function digest32(bytes: Uint8Array): Uint8Array {
  loadHash(bytes, 0, 0)
  hashOneBlock(8)
  const out = new Uint8Array(32)
  storeDigest(out, 0)
  return out
}

/**
 * SHA-256(left ‖ right) of two 32-byte hashes, `left` at `bytes[leftAt]` and `right` at
 * `bytes[rightAt]`, written to `out[outAt, outAt + 32)`: a transaction Merkle tree's
 * inner node (hashing.ts). Both inputs are read before the output is written, so `out` may
 * overlap them (a level computed in place).
 */
export function pairDigestInto(
  bytes: Uint8Array,
  leftAt: number,
  rightAt: number,
  out: Uint8Array,
  outAt: number,
): void {
  loadHash(bytes, leftAt, 0)
  loadHash(bytes, rightAt, 8)
  expand(schedule, 0)
  state.set(IV)
  compress(schedule, 0)
  compress(PAIR_TAIL, 0)
  storeDigest(out, outAt)
}
