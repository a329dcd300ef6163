/**
 * Value codecs of the LevelDB store's own records (layouts in keys.ts). Total work is a
 * big-endian unsigned integer in as few bytes as it needs, so it has no ceiling. Decoded
 * hashes are copied into plain Uint8Arrays (classic-level hands out Buffers).
 */
import type { ChainPosition } from '../types.ts'
import type { BlockMeta } from './block-store.ts'
import { HASH_BYTES } from './change.ts'
import { StoreError, StoreErrorCode } from './errors.ts'

function workBytes(work: bigint): Uint8Array {
  const hex = work === 0n ? '' : work.toString(16)
  const padded = hex.length % 2 === 0 ? hex : `0${hex}`
  const bytes = new Uint8Array(padded.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(padded.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

function readWork(bytes: Uint8Array): bigint {
  let work = 0n
  for (const byte of bytes) work = (work << 8n) | BigInt(byte)
  return work
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function corrupt(what: string, path: string | undefined): StoreError {
  return new StoreError(StoreErrorCode.Corrupt, `corrupt ${what} record in the block store at ${path}`, {
    path,
  })
}

export function encodeMeta(meta: BlockMeta): Uint8Array {
  const work = workBytes(meta.totalWork)
  const bytes = new Uint8Array(8 + HASH_BYTES + work.length)
  view(bytes).setBigUint64(0, BigInt(meta.height))
  bytes.set(meta.parent, 8)
  bytes.set(work, 8 + HASH_BYTES)
  return bytes
}

export function decodeMeta(bytes: Uint8Array, path?: string): BlockMeta {
  if (bytes.length < 8 + HASH_BYTES) throw corrupt('block meta', path)
  return {
    height: Number(view(bytes).getBigUint64(0)),
    parent: new Uint8Array(bytes.subarray(8, 8 + HASH_BYTES)),
    totalWork: readWork(bytes.subarray(8 + HASH_BYTES)),
  }
}

export function encodeTip(tip: ChainPosition): Uint8Array {
  const work = workBytes(tip.totalWork)
  const bytes = new Uint8Array(HASH_BYTES + 8 + work.length)
  bytes.set(tip.hash, 0)
  view(bytes).setBigUint64(HASH_BYTES, BigInt(tip.height))
  bytes.set(work, HASH_BYTES + 8)
  return bytes
}

export function decodeTip(bytes: Uint8Array, path?: string): ChainPosition {
  if (bytes.length < HASH_BYTES + 8) throw corrupt('tip', path)
  return {
    hash: new Uint8Array(bytes.subarray(0, HASH_BYTES)),
    height: Number(view(bytes).getBigUint64(HASH_BYTES)),
    totalWork: readWork(bytes.subarray(HASH_BYTES + 8)),
  }
}

export function encodeVersion(version: number): Uint8Array {
  const bytes = new Uint8Array(4)
  view(bytes).setUint32(0, version)
  return bytes
}

export function decodeVersion(bytes: Uint8Array, path?: string): number {
  if (bytes.length !== 4) throw corrupt('format version', path)
  return view(bytes).getUint32(0)
}
