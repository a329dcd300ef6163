/**
 * `/paw/state/1` payloads (protocols/state.md): a light client asks a full node for an
 * account as of a block it names, or for a transaction's status, and gets the answer with a
 * proof it checks against a header it holds (the block's state root or transaction root).
 *
 *   get_account:            [32 block id][u8 A, 1..64][A address bytes]
 *   account:                [32 block id][u8 status] then, by status:
 *                             0x00 found          [u16 BE V, 1..1024][V value][u16 BE P][P proof]
 *                             0x01 absent         [u16 BE P][P proof]
 *                             0x02 unknown_block  (nothing)
 *   get_transaction_status: [32 transaction id]
 *   transaction_status:     [32 transaction id][u8 status] then, by status:
 *                             0x00 pending        (nothing)
 *                             0x01 included       [32 block id][u16 BE P][P proof]
 *                             0x02 unknown        (nothing)
 *
 * with P ≤ 16384. Addresses, values and proofs are the chain's (the reference chain: a
 * 32-byte address, a 16-byte account, docs/chain.md "State tree"); the codec checks their
 * framing only, and the chain verifies proofs (src/ports/chain.ts). Every fault is structural
 * and rejects the whole message with 0x05 InvalidMessageFormat: a field that does not fit,
 * an unknown status, bytes left over.
 */
import { InvalidMessageFormatError } from '../errors.ts'
import { type ByteInput, contiguous } from './bytes.ts'

/** Bytes of a block id and of a transaction id (protocols/state.md: 32, the chain's hashes). */
export const STATE_ID_LENGTH = 32
/** Longest address a chain may use: the reference chain's is 32 bytes. */
export const MAX_ADDRESS_BYTES = 64
/** Longest account value: the reference chain's is 16 bytes (balance, nonce). */
export const MAX_ACCOUNT_VALUE_BYTES = 1024
/**
 * Longest proof: a sparse Merkle path of 256 siblings (8 KiB) with its bitmap and leaf fits
 * twice over; a Merkle path to a transaction root of a 10 MiB block is 17 hashes.
 */
export const MAX_STATE_PROOF_BYTES = 16_384

export type AccountAnswer =
  | { status: 'found'; block: Uint8Array; value: Uint8Array; proof: Uint8Array }
  | { status: 'absent'; block: Uint8Array; proof: Uint8Array }
  | { status: 'unknown-block'; block: Uint8Array }

export type TransactionStatusAnswer =
  | { status: 'pending'; transaction: Uint8Array }
  | { status: 'included'; transaction: Uint8Array; block: Uint8Array; proof: Uint8Array }
  | { status: 'unknown'; transaction: Uint8Array }

export interface AccountQuery {
  /** The block whose state the answer must prove against (its id, the header hash). */
  block: Uint8Array
  address: Uint8Array
}

const ACCOUNT_STATUS = { found: 0x00, absent: 0x01, 'unknown-block': 0x02 } as const
const TRANSACTION_STATUS = { pending: 0x00, included: 0x01, unknown: 0x02 } as const

function fail(what: string, message: string): never {
  throw new InvalidMessageFormatError(`${what}: ${message}`)
}

/** Writes fields into one buffer; each field's size was checked by the caller. */
class Writer {
  readonly #parts: Uint8Array[] = []
  #length = 0

  bytes(bytes: Uint8Array): this {
    this.#parts.push(bytes)
    this.#length += bytes.length
    return this
  }

  u8(value: number): this {
    return this.bytes(Uint8Array.of(value))
  }

  u16(value: number): this {
    return this.bytes(Uint8Array.of(value >> 8, value & 0xff))
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length)
    let at = 0
    for (const part of this.#parts) {
      out.set(part, at)
      at += part.length
    }
    return out
  }
}

/** Reads fields in order; any shortfall is 0x05 naming the field. */
class Reader {
  readonly #what: string
  readonly #payload: Uint8Array
  #at = 0

  constructor(what: string, input: ByteInput) {
    this.#what = what
    this.#payload = contiguous(input)
  }

  bytes(length: number, field: string): Uint8Array {
    if (this.#at + length > this.#payload.length) {
      fail(this.#what, `payload ends inside the ${length}-byte ${field}`)
    }
    const out = this.#payload.slice(this.#at, this.#at + length)
    this.#at += length
    return out
  }

  u8(field: string): number {
    return this.bytes(1, field)[0] as number
  }

  u16(field: string): number {
    const [high, low] = this.bytes(2, field) as unknown as [number, number]
    return (high << 8) | low
  }

  /** A u16 length in `min..max`, then that many bytes. */
  sized(field: string, min: number, max: number): Uint8Array {
    const length = this.u16(`${field} length`)
    if (length < min || length > max) fail(this.#what, `${field} length ${length} is outside ${min}..${max}`)
    return this.bytes(length, field)
  }

  end(): void {
    const left = this.#payload.length - this.#at
    if (left !== 0) fail(this.#what, `${left} bytes after the last field`)
  }
}

function checkId(what: string, id: Uint8Array, field: string): void {
  if (!(id instanceof Uint8Array) || id.length !== STATE_ID_LENGTH) {
    fail(what, `${field} must be ${STATE_ID_LENGTH} bytes`)
  }
}

function checkSized(what: string, bytes: Uint8Array, field: string, min: number, max: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length < min || bytes.length > max) {
    fail(what, `${field} must be ${min}..${max} bytes`)
  }
}

/** @throws InvalidMessageFormatError */
export function encodeGetAccount(query: AccountQuery): Uint8Array {
  const what = 'get_account'
  checkId(what, query.block, 'block id')
  checkSized(what, query.address, 'address', 1, MAX_ADDRESS_BYTES)
  return new Writer().bytes(query.block).u8(query.address.length).bytes(query.address).finish()
}

/** @throws InvalidMessageFormatError */
export function decodeGetAccount(input: ByteInput): AccountQuery {
  const reader = new Reader('get_account', input)
  const block = reader.bytes(STATE_ID_LENGTH, 'block id')
  const length = reader.u8('address length')
  if (length < 1 || length > MAX_ADDRESS_BYTES) {
    fail('get_account', `address length ${length} is outside 1..${MAX_ADDRESS_BYTES}`)
  }
  const address = reader.bytes(length, 'address')
  reader.end()
  return { block, address }
}

/** @throws InvalidMessageFormatError */
export function encodeAccount(answer: AccountAnswer): Uint8Array {
  const what = 'account'
  checkId(what, answer.block, 'block id')
  const writer = new Writer().bytes(answer.block).u8(ACCOUNT_STATUS[answer.status])
  if (answer.status === 'found') {
    checkSized(what, answer.value, 'value', 1, MAX_ACCOUNT_VALUE_BYTES)
    writer.u16(answer.value.length).bytes(answer.value)
  }
  if (answer.status !== 'unknown-block') {
    checkSized(what, answer.proof, 'proof', 0, MAX_STATE_PROOF_BYTES)
    writer.u16(answer.proof.length).bytes(answer.proof)
  }
  return writer.finish()
}

/** @throws InvalidMessageFormatError */
export function decodeAccount(input: ByteInput): AccountAnswer {
  const reader = new Reader('account', input)
  const block = reader.bytes(STATE_ID_LENGTH, 'block id')
  const status = reader.u8('status')
  let answer: AccountAnswer
  if (status === ACCOUNT_STATUS.found) {
    const value = reader.sized('value', 1, MAX_ACCOUNT_VALUE_BYTES)
    const proof = reader.sized('proof', 0, MAX_STATE_PROOF_BYTES)
    answer = { status: 'found', block, value, proof }
  } else if (status === ACCOUNT_STATUS.absent) {
    answer = { status: 'absent', block, proof: reader.sized('proof', 0, MAX_STATE_PROOF_BYTES) }
  } else if (status === ACCOUNT_STATUS['unknown-block']) {
    answer = { status: 'unknown-block', block }
  } else {
    fail('account', `unknown status 0x${status.toString(16).padStart(2, '0')}`)
  }
  reader.end()
  return answer
}

/** @throws InvalidMessageFormatError */
export function encodeGetTransactionStatus(transaction: Uint8Array): Uint8Array {
  checkId('get_transaction_status', transaction, 'transaction id')
  return transaction.slice()
}

/** @throws InvalidMessageFormatError */
export function decodeGetTransactionStatus(input: ByteInput): Uint8Array {
  const reader = new Reader('get_transaction_status', input)
  const transaction = reader.bytes(STATE_ID_LENGTH, 'transaction id')
  reader.end()
  return transaction
}

/** @throws InvalidMessageFormatError */
export function encodeTransactionStatus(answer: TransactionStatusAnswer): Uint8Array {
  const what = 'transaction_status'
  checkId(what, answer.transaction, 'transaction id')
  const writer = new Writer().bytes(answer.transaction).u8(TRANSACTION_STATUS[answer.status])
  if (answer.status === 'included') {
    checkId(what, answer.block, 'block id')
    checkSized(what, answer.proof, 'proof', 0, MAX_STATE_PROOF_BYTES)
    writer.bytes(answer.block).u16(answer.proof.length).bytes(answer.proof)
  }
  return writer.finish()
}

/** @throws InvalidMessageFormatError */
export function decodeTransactionStatus(input: ByteInput): TransactionStatusAnswer {
  const reader = new Reader('transaction_status', input)
  const transaction = reader.bytes(STATE_ID_LENGTH, 'transaction id')
  const status = reader.u8('status')
  let answer: TransactionStatusAnswer
  if (status === TRANSACTION_STATUS.pending) answer = { status: 'pending', transaction }
  else if (status === TRANSACTION_STATUS.unknown) answer = { status: 'unknown', transaction }
  else if (status === TRANSACTION_STATUS.included) {
    const block = reader.bytes(STATE_ID_LENGTH, 'block id')
    answer = {
      status: 'included',
      transaction,
      block,
      proof: reader.sized('proof', 0, MAX_STATE_PROOF_BYTES),
    }
  } else {
    fail('transaction_status', `unknown status 0x${status.toString(16).padStart(2, '0')}`)
  }
  reader.end()
  return answer
}
