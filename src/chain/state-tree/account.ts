/**
 * Accounts in the state tree (docs/chain.md "State tree"): the key is SHA-256(address),
 * the value the 16-byte account encoding, balance u64 BE ‖ nonce u64 BE (the layout the
 * block store already uses for state records, undo-codec.ts).
 *
 * Why hash the address: a transfer may pay any 32 bytes (a coinbase pays whatever the miner
 * writes; no key has to exist), so anyone can create accounts at addresses of their
 * choosing, 0x00…01, 0x00…02, …, sharing 255 leading bits: keyed by address, their leaves
 * would sit 256 deep, every proof near them would carry 256 siblings and every update
 * there 256 hashes, for the price of a few transactions. Keyed by SHA-256(address), sharing
 * d leading bits with any key costs about 2^d hashes of grinding, so the depth stays near
 * log2(accounts) for everyone. (Diem's tree is likewise keyed by the hash of the address.)
 *
 * An account that holds nothing (balance 0, nonce 0: what a never-seen address holds,
 * state.ts EMPTY_ACCOUNT) is not stored, so the root depends on what accounts hold, not on
 * whether a zero entry happens to exist in a node's state map.
 */
import { ADDRESS_LENGTH, MAX_U64 } from '../encoding.ts'
import { digest32 } from '../fixed-sha256.ts'
import type { AccountState } from '../state.ts'
import type { Address } from '../types.ts'
import { StateTreeError, StateTreeErrorCode } from './errors.ts'
import { type StateProof, verifyStateProof } from './proof.ts'

export const ACCOUNT_VALUE_LENGTH = 16

function checkU64(value: bigint, field: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) throw new TypeError(`${field} is not a u64`)
}

/** balance u64 BE ‖ nonce u64 BE. */
export function encodeAccountValue(account: AccountState): Uint8Array {
  checkU64(account.balance, 'balance')
  checkU64(account.nonce, 'nonce')
  const bytes = new Uint8Array(ACCOUNT_VALUE_LENGTH)
  const view = new DataView(bytes.buffer)
  view.setBigUint64(0, account.balance)
  view.setBigUint64(8, account.nonce)
  return bytes
}

/** @throws StateTreeError ERR_MALFORMED_ACCOUNT unless exactly 16 bytes */
export function decodeAccountValue(bytes: Uint8Array): AccountState {
  if (bytes.length !== ACCOUNT_VALUE_LENGTH) {
    throw new StateTreeError(
      StateTreeErrorCode.MalformedAccount,
      `account of ${bytes.length} bytes, expected 16`,
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { balance: view.getBigUint64(0), nonce: view.getBigUint64(8) }
}

/** The state key of an address: SHA-256 of its 32 bytes. */
export function accountKey(address: Address): Uint8Array {
  if (!(address instanceof Uint8Array) || address.length !== ADDRESS_LENGTH) {
    throw new TypeError(`an address is 32 bytes, got ${address.length}`)
  }
  return digest32(address)
}

/** The tree value of an account: undefined (no leaf) for none, or for one holding nothing. */
export function accountValue(account: AccountState | undefined): Uint8Array | undefined {
  if (account === undefined || (account.balance === 0n && account.nonce === 0n)) return undefined
  return encodeAccountValue(account)
}

/**
 * The tree changes for accounts a block touched, as `update` takes them: each address's
 * state key and its new value (undefined where it now holds nothing).
 */
export function accountChanges(
  accounts: Iterable<readonly [Address, AccountState | undefined]>,
): Map<Uint8Array, Uint8Array | undefined> {
  const changes = new Map<Uint8Array, Uint8Array | undefined>()
  for (const [address, account] of accounts) changes.set(accountKey(address), accountValue(account))
  return changes
}

/**
 * Checks an account proof for `address` against a trusted state root.
 * @returns the account, or undefined when the proof shows the address holds nothing
 *   (state.ts: it then holds EMPTY_ACCOUNT)
 * @throws StateTreeError ERR_BAD_STATE_PROOF if the proof does not verify
 */
export function verifyAccountProof(
  root: Uint8Array,
  address: Address,
  proof: StateProof,
): AccountState | undefined {
  const value = verifyStateProof(root, accountKey(address), proof)
  if (value === undefined) return undefined
  if (value.length !== ACCOUNT_VALUE_LENGTH) {
    throw new StateTreeError(
      StateTreeErrorCode.BadProof,
      `the proven value is ${value.length} bytes, not an account`,
    )
  }
  return decodeAccountValue(value)
}
