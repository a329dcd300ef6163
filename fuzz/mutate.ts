/**
 * Byte mutations in the manner of AFL's havoc stage: a few stacked edits of one input,
 * with integers that matter to length-prefixed formats (0, 1, the limits, and the lengths
 * the input itself implies) written big-endian where counts and lengths live.
 */
import { mulberry32 } from '../test/support/seeded-random.ts'

/** Seedable (mulberry32), so a run can be repeated with --seed. */
export class Random {
  readonly #next: () => number

  constructor(seed: number) {
    this.#next = mulberry32(seed)
  }

  uint32(): number {
    return this.#next()
  }

  /** An integer in [0, n), 0 for n ≤ 0. */
  below(n: number): number {
    return n <= 0 ? 0 : this.uint32() % n
  }

  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError('pick from an empty list')
    return list[this.below(list.length)] as T
  }
}

const INTERESTING_8 = [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]
const INTERESTING_16 = [
  0, 1, 2, 31, 32, 33, 0x7f, 0x80, 0xff, 0x100, 0x200, 0x201, 0x3e8, 0x7fff, 0x8000, 0xffff,
]
const INTERESTING_32 = [
  0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, 0x9f_ffff, 0xa0_0000, 0xa0_0001, 0x7fff_ffff,
  0x8000_0000, 0xffff_ffff,
]

/** Where counts and lengths usually sit: the front, or anywhere. */
function offset(random: Random, length: number, width: number): number {
  if (length < width) return -1
  return random.chance(3) ? 0 : random.below(length - width + 1)
}

/** A value for a `width`-byte field at `at`: an interesting constant, or a length the input implies. */
function lengthValue(random: Random, bytes: Uint8Array, at: number, width: number): number {
  const remaining = bytes.length - at - width
  const fromInput = [remaining, remaining + 1, remaining - 1, bytes.length, Math.floor(remaining / 32)]
  const constants = width === 1 ? INTERESTING_8 : width === 2 ? INTERESTING_16 : INTERESTING_32
  const value = random.chance(2) ? random.pick(fromInput) : random.pick(constants)
  const max = 2 ** (8 * width)
  return ((value % max) + max) % max
}

function writeInteger(
  bytes: Uint8Array,
  at: number,
  width: number,
  value: number,
  littleEndian: boolean,
): void {
  for (let i = 0; i < width; i++) {
    const shift = 8 * (littleEndian ? i : width - 1 - i)
    bytes[at + i] = Math.floor(value / 2 ** shift) & 0xff
  }
}

function readInteger(bytes: Uint8Array, at: number, width: number): number {
  let value = 0
  for (let i = 0; i < width; i++) value = value * 256 + (bytes[at + i] as number)
  return value
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

function randomBytes(random: Random, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = random.below(256)
  return out
}

/** A chunk length: mostly short, sometimes up to a quarter of the input. */
function chunkLength(random: Random, length: number): number {
  const max = random.chance(4) ? Math.max(1, length >> 2) : 16
  return 1 + random.below(max)
}

type Mutator = (bytes: Uint8Array, random: Random, donor: () => Uint8Array) => Uint8Array

const MUTATORS: readonly Mutator[] = [
  function flipBit(bytes, random) {
    if (bytes.length === 0) return bytes
    const at = random.below(bytes.length)
    bytes[at] = (bytes[at] as number) ^ (1 << random.below(8))
    return bytes
  },
  function randomByte(bytes, random) {
    if (bytes.length > 0) bytes[random.below(bytes.length)] = random.below(256)
    return bytes
  },
  function interestingInteger(bytes, random) {
    const width = random.pick([1, 2, 4, 4])
    const at = offset(random, bytes.length, width)
    if (at >= 0) writeInteger(bytes, at, width, lengthValue(random, bytes, at, width), random.chance(8))
    return bytes
  },
  function addToInteger(bytes, random) {
    const width = random.pick([1, 2, 4])
    const at = offset(random, bytes.length, width)
    if (at < 0) return bytes
    const delta = (1 + random.below(35)) * (random.chance(2) ? 1 : -1)
    const max = 2 ** (8 * width)
    writeInteger(bytes, at, width, (((readInteger(bytes, at, width) + delta) % max) + max) % max, false)
    return bytes
  },
  function insertBytes(bytes, random) {
    const at = random.below(bytes.length + 1)
    const inserted = random.chance(2)
      ? randomBytes(random, 1 + random.below(16))
      : new Uint8Array(1 + random.below(16)).fill(random.pick(INTERESTING_8))
    return concat(bytes.subarray(0, at), inserted, bytes.subarray(at))
  },
  function deleteChunk(bytes, random) {
    if (bytes.length === 0) return bytes
    const at = random.below(bytes.length)
    return concat(bytes.subarray(0, at), bytes.subarray(at + chunkLength(random, bytes.length)))
  },
  function truncate(bytes, random) {
    return bytes.slice(0, random.below(bytes.length + 1))
  },
  function duplicateChunk(bytes, random) {
    if (bytes.length === 0) return bytes
    const from = random.below(bytes.length)
    const chunk = bytes.slice(from, from + chunkLength(random, bytes.length))
    const to = random.below(bytes.length + 1)
    return random.chance(2)
      ? concat(bytes.subarray(0, to), chunk, bytes.subarray(to))
      : concat(bytes.subarray(0, to), chunk, bytes.subarray(to + chunk.length))
  },
  function repeatChunk(bytes, random) {
    // Kilobytes of one pattern: chunks past the ByteQueue's 4 KiB small-chunk copy, long lists.
    const from = random.below(bytes.length)
    const unit =
      bytes.length === 0 ? Uint8Array.of(random.below(256)) : bytes.slice(from, from + 1 + random.below(8))
    const copies = 1 + random.below(Math.ceil(8192 / unit.length))
    const run = new Uint8Array(unit.length * copies)
    for (let i = 0; i < copies; i++) run.set(unit, i * unit.length)
    const at = random.below(bytes.length + 1)
    return concat(bytes.subarray(0, at), run, bytes.subarray(at))
  },
  function splice(bytes, random, donor) {
    const other = donor()
    return concat(
      bytes.subarray(0, random.below(bytes.length + 1)),
      other.subarray(random.below(other.length + 1)),
    )
  },
  function insertFromDonor(bytes, random, donor) {
    const other = donor()
    const from = random.below(other.length)
    const chunk = other.subarray(from, from + chunkLength(random, other.length))
    const at = random.below(bytes.length + 1)
    return concat(bytes.subarray(0, at), chunk, bytes.subarray(at))
  },
]

/**
 * A mutant of `bytes` (which is not modified): 1 to 8 stacked edits, fewer more often,
 * at most `maxLength` bytes. `donor` supplies another input for splices.
 */
export function mutate(
  bytes: Uint8Array,
  random: Random,
  donor: () => Uint8Array,
  maxLength: number,
): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes)
  const edits = 1 << random.below(4)
  for (let i = 0; i < edits; i++) out = random.pick(MUTATORS)(out, random, donor)
  return out.length > maxLength ? out.slice(0, maxLength) : out
}

/** New cut points for an input of `length` bytes (fed as chunks), or undefined for one buffer. */
export function mutateCuts(cuts: number[] | undefined, length: number, random: Random): number[] | undefined {
  if (length < 2 || random.chance(3)) return undefined
  const count = 1 + random.below(4)
  const out = random.chance(2) && cuts !== undefined ? [...cuts] : []
  while (out.length < count) out.push(1 + random.below(length - 1))
  return [...new Set(out)].sort((a, b) => a - b)
}
