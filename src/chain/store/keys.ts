/**
 * The LevelDB key space: one prefix byte per kind of record, then the hash, height or
 * state key. Heights are u64 big-endian so the best-chain index sorts by height and a
 * range scan (or a reverse seek for the top) is one iterator.
 *
 *   prefix  key                   value
 *   0x00    (nothing)             store format version, u32 BE (FORMAT_VERSION)
 *   0x01    block hash (32)       the block's encoding, as the chain gave it
 *   0x02    block hash (32)       meta: height u64 | parent hash (32) | total work (BE, minimal)
 *   0x03    height u64            best-chain block hash (32)
 *   0x04    (nothing)             tip: hash (32) | height u64 | total work (BE, minimal)
 *   0x05    block hash (32)       state-undo record of the block (opaque to the store)
 *   0x06    state key (any)       state value (opaque to the store)
 *
 * A prefix is never reused for another meaning: a format change bumps FORMAT_VERSION.
 */

export const FORMAT_VERSION = 1

export const Prefix = {
  Version: 0x00,
  Block: 0x01,
  Meta: 0x02,
  BestChain: 0x03,
  Tip: 0x04,
  Undo: 0x05,
  State: 0x06,
} as const

export const VERSION_KEY = Uint8Array.of(Prefix.Version)
export const TIP_KEY = Uint8Array.of(Prefix.Tip)

function prefixed(prefix: number, rest: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + rest.length)
  key[0] = prefix
  key.set(rest, 1)
  return key
}

export function blockKey(hash: Uint8Array): Uint8Array {
  return prefixed(Prefix.Block, hash)
}

export function metaKey(hash: Uint8Array): Uint8Array {
  return prefixed(Prefix.Meta, hash)
}

export function undoKey(hash: Uint8Array): Uint8Array {
  return prefixed(Prefix.Undo, hash)
}

export function stateKey(key: Uint8Array): Uint8Array {
  return prefixed(Prefix.State, key)
}

export function heightKey(height: number): Uint8Array {
  const key = new Uint8Array(9)
  key[0] = Prefix.BestChain
  new DataView(key.buffer).setBigUint64(1, BigInt(height))
  return key
}

export function heightFromKey(key: Uint8Array): number {
  return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1))
}

/** The bounds of one kind's keys, for an iterator: `gte` inclusive, `lt` exclusive. */
export function prefixRange(prefix: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) }
}
