/**
 * `/paw/state/1` payloads against protocols/state.vectors.json (protocols/state.md): every
 * frame decodes to its listed fields and encodes back to its bytes; every invalid payload is
 * 0x05; and, beyond the vectors, any answer within the limits round-trips (fast-check).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import { encodeFrame } from '../../src/wire/frame.ts'
import {
  type AccountAnswer,
  decodeAccount,
  decodeGetAccount,
  decodeGetTransactionStatus,
  decodeTransactionStatus,
  encodeAccount,
  encodeGetAccount,
  encodeGetTransactionStatus,
  encodeTransactionStatus,
  MAX_ACCOUNT_VALUE_BYTES,
  MAX_ADDRESS_BYTES,
  MAX_STATE_PROOF_BYTES,
  STATE_ID_LENGTH,
  type TransactionStatusAnswer,
} from '../../src/wire/state.ts'
import { errorCode, loadVectors, wireCodeOf } from '../support/vectors.ts'

interface FrameVector {
  name: string
  type: string
  payload: string
  hex: string
  decoded: Record<string, string>
}

interface Vectors {
  limits: { idLength: number; maxAddressBytes: number; maxAccountValueBytes: number; maxProofBytes: number }
  frames: FrameVector[]
  invalid: { name: string; type: string; payload: string; error: string }[]
}

const vectors = loadVectors<Vectors>('state')

/** Decoded fields as the vectors write them: byte fields in hex. */
function hexFields(value: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      field instanceof Uint8Array ? toHex(field) : String(field),
    ]),
  )
}

function bytesFields<T>(fields: Record<string, string>): T {
  return Object.fromEntries(
    Object.entries(fields).map(([key, field]) => [key, key === 'status' ? field : fromHex(field)]),
  ) as T
}

const CODECS: Record<
  string,
  { decode(payload: Uint8Array): object; encode(fields: Record<string, string>): Uint8Array }
> = {
  get_account: { decode: decodeGetAccount, encode: (f) => encodeGetAccount(bytesFields(f)) },
  account: { decode: decodeAccount, encode: (f) => encodeAccount(bytesFields<AccountAnswer>(f)) },
  get_transaction_status: {
    decode: (payload) => ({ transaction: decodeGetTransactionStatus(payload) }),
    encode: (f) => encodeGetTransactionStatus(fromHex(f.transaction as string)),
  },
  transaction_status: {
    decode: decodeTransactionStatus,
    encode: (f) => encodeTransactionStatus(bytesFields<TransactionStatusAnswer>(f)),
  },
}

function codecOf(type: string) {
  const codec = CODECS[type]
  if (codec === undefined) throw new Error(`no codec for ${type}`)
  return codec
}

describe('protocols/state.vectors.json', () => {
  it('states the limits the codec has', () => {
    expect(vectors.limits).toEqual({
      idLength: STATE_ID_LENGTH,
      maxAddressBytes: MAX_ADDRESS_BYTES,
      maxAccountValueBytes: MAX_ACCOUNT_VALUE_BYTES,
      maxProofBytes: MAX_STATE_PROOF_BYTES,
    })
  })

  it.each(vectors.frames.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const codec = codecOf(vector.type)
    const payload = fromHex(vector.payload)
    expect(hexFields(codec.decode(payload))).toEqual(vector.decoded)
    expect(toHex(codec.encode(vector.decoded))).toBe(vector.payload)
    expect(toHex(encodeFrame(vector.type, payload))).toBe(vector.hex)
  })

  it.each(vectors.invalid.map((v) => [v.name, v] as const))('refuses %s', (_name, vector) => {
    expect(wireCodeOf(() => codecOf(vector.type).decode(fromHex(vector.payload)))).toBe(
      errorCode(vector.error),
    )
  })
})

const id = fc.uint8Array({ minLength: STATE_ID_LENGTH, maxLength: STATE_ID_LENGTH })
const proof = fc.uint8Array({ minLength: 0, maxLength: 300 })

describe('state codec properties (500 runs each)', () => {
  it('an account answer round-trips', () => {
    const answer: fc.Arbitrary<AccountAnswer> = fc.oneof(
      fc.record({
        status: fc.constant('found' as const),
        block: id,
        value: fc.uint8Array({ minLength: 1, maxLength: 64 }),
        proof,
      }),
      fc.record({ status: fc.constant('absent' as const), block: id, proof }),
      fc.record({ status: fc.constant('unknown-block' as const), block: id }),
    )
    fc.assert(
      fc.property(answer, (a) => {
        expect(decodeAccount(encodeAccount(a))).toEqual(a)
      }),
      { numRuns: 500 },
    )
  })

  it('a transaction status round-trips', () => {
    const answer: fc.Arbitrary<TransactionStatusAnswer> = fc.oneof(
      fc.record({ status: fc.constant('pending' as const), transaction: id }),
      fc.record({ status: fc.constant('included' as const), transaction: id, block: id, proof }),
      fc.record({ status: fc.constant('unknown' as const), transaction: id }),
    )
    fc.assert(
      fc.property(answer, (a) => {
        expect(decodeTransactionStatus(encodeTransactionStatus(a))).toEqual(a)
      }),
      { numRuns: 500 },
    )
  })

  it('a truncated answer is always 0x05, never a shorter answer', () => {
    fc.assert(
      fc.property(id, fc.uint8Array({ minLength: 1, maxLength: 64 }), proof, (block, value, p) => {
        const bytes = encodeAccount({ status: 'found', block, value, proof: p })
        for (const cut of [1, Math.floor(bytes.length / 2), bytes.length - 1]) {
          expect(wireCodeOf(() => decodeAccount(bytes.subarray(0, cut)))).toBe(0x05)
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('protocols/state.md "Frame limits"', () => {
  it('gives each type the largest frame the codec can produce', async () => {
    const { readFile } = await import('node:fs/promises')
    const doc = await readFile(new URL('../../protocols/state.md', import.meta.url), 'utf8')
    const documented = Object.fromEntries(
      [...doc.matchAll(/^\| `([a-z_]+)` +\| [\d.,]+ +\| +([\d,]+) +\|$/gm)].map((m) => [
        m[1],
        Number((m[2] as string).replace(/,/g, '')),
      ]),
    )
    const full = (length: number) => new Uint8Array(length).fill(7)
    const block = full(STATE_ID_LENGTH)
    const largest = {
      get_account: encodeGetAccount({ block, address: full(MAX_ADDRESS_BYTES) }),
      account: encodeAccount({
        status: 'found',
        block,
        value: full(MAX_ACCOUNT_VALUE_BYTES),
        proof: full(MAX_STATE_PROOF_BYTES),
      }),
      get_transaction_status: encodeGetTransactionStatus(block),
      transaction_status: encodeTransactionStatus({
        status: 'included',
        transaction: block,
        block,
        proof: full(MAX_STATE_PROOF_BYTES),
      }),
    }
    const sizes = Object.fromEntries(
      Object.entries(largest).map(([type, payload]) => [type, encodeFrame(type, payload).length - 4]),
    )
    expect(documented).toEqual(sizes)
  })
})
