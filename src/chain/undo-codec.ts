/**
 * How the reference chain keeps account state and state-undo records in the block store,
 * which holds them as opaque bytes (store/block-store.ts). Browser-safe.
 *
 *   state key     the address, 32 bytes (the state's hex key, decoded)
 *   state value   balance u64 | nonce u64                                   16 bytes
 *   undo record   height u64 | block hash (32) | count u32 | count × entry
 *   entry         address (32) | present u8 (0 or 1) | [balance u64 | nonce u64 if 1]
 *
 * All integers big-endian, as everywhere in docs/chain.md. An entry with present = 0 is an
 * account the block created: reverting the block removes it. Each value has one encoding,
 * and a record that does not decode is STORE_CORRUPT: it came from our own disk.
 */
import { fromHex, toHex } from '../wire/bytes.ts'
import { ADDRESS_LENGTH, HASH_LENGTH } from './encoding.ts'
import type { AccountState, BlockUndo } from './state.ts'
import { StoreError, StoreErrorCode } from './store/errors.ts'

const ACCOUNT_LENGTH = 16
const UNDO_PREFIX_LENGTH = 8 + HASH_LENGTH + 4

function corrupt(what: string): StoreError {
  return new StoreError(StoreErrorCode.Corrupt, `corrupt ${what} in the block store`)
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The store key of a state entry: the address bytes behind its hex key. */
export function encodeStateKey(key: string): Uint8Array {
  const bytes = fromHex(key)
  if (bytes.length !== ADDRESS_LENGTH) throw new RangeError(`state key ${key} is not an address`)
  return bytes
}

export function decodeStateKey(bytes: Uint8Array): string {
  if (bytes.length !== ADDRESS_LENGTH) throw corrupt('state key')
  return toHex(bytes)
}

export function encodeAccount(account: AccountState): Uint8Array {
  const bytes = new Uint8Array(ACCOUNT_LENGTH)
  const view = viewOf(bytes)
  view.setBigUint64(0, account.balance)
  view.setBigUint64(8, account.nonce)
  return bytes
}

export function decodeAccount(bytes: Uint8Array): AccountState {
  if (bytes.length !== ACCOUNT_LENGTH) throw corrupt('account state')
  const view = viewOf(bytes)
  return { balance: view.getBigUint64(0), nonce: view.getBigUint64(8) }
}

export function encodeUndo(undo: BlockUndo): Uint8Array {
  let length = UNDO_PREFIX_LENGTH
  for (const [, account] of undo.previous) length += ADDRESS_LENGTH + 1 + (account ? ACCOUNT_LENGTH : 0)
  const bytes = new Uint8Array(length)
  const view = viewOf(bytes)
  view.setBigUint64(0, BigInt(undo.height))
  bytes.set(undo.blockHash, 8)
  view.setUint32(8 + HASH_LENGTH, undo.previous.length)
  let offset = UNDO_PREFIX_LENGTH
  for (const [key, account] of undo.previous) {
    bytes.set(encodeStateKey(key), offset)
    offset += ADDRESS_LENGTH
    bytes[offset++] = account === undefined ? 0 : 1
    if (account !== undefined) {
      bytes.set(encodeAccount(account), offset)
      offset += ACCOUNT_LENGTH
    }
  }
  return bytes
}

export function decodeUndo(bytes: Uint8Array): BlockUndo {
  if (bytes.length < UNDO_PREFIX_LENGTH) throw corrupt('undo record')
  const view = viewOf(bytes)
  const height = view.getBigUint64(0)
  if (height > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('undo record')
  const count = view.getUint32(8 + HASH_LENGTH)
  const previous: BlockUndo['previous'] = []
  let offset = UNDO_PREFIX_LENGTH
  for (let i = 0; i < count; i++) {
    if (offset + ADDRESS_LENGTH + 1 > bytes.length) throw corrupt('undo record')
    const key = toHex(bytes.subarray(offset, offset + ADDRESS_LENGTH))
    offset += ADDRESS_LENGTH
    const present = bytes[offset++]
    if (present === 0) {
      previous.push([key, undefined])
    } else if (present === 1 && offset + ACCOUNT_LENGTH <= bytes.length) {
      previous.push([key, decodeAccount(bytes.subarray(offset, offset + ACCOUNT_LENGTH))])
      offset += ACCOUNT_LENGTH
    } else {
      throw corrupt('undo record')
    }
  }
  if (offset !== bytes.length) throw corrupt('undo record')
  return { height: Number(height), blockHash: bytes.slice(8, 8 + HASH_LENGTH), previous }
}
