import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeTransaction } from '../../src/chain/encoding.ts'
import { txHash } from '../../src/chain/hashing.ts'
import { REFERENCE_SHAPE } from '../../src/chain/port/shape.ts'
import { verifyTransactionSignature } from '../../src/chain/signing.ts'
import { ErrorCode, isPawError } from '../../src/errors.ts'
import { FrameType } from '../../src/wire/constants.ts'
import { encodeFrame, type Frame } from '../../src/wire/frame.ts'
import { FrameDecoder } from '../../src/wire/frame-decoder.ts'
import {
  decodeGetTransactions,
  decodeMempoolHashes,
  decodeTransactions,
  encodeGetTransactions,
  encodeMempoolHashes,
  encodeTransactions,
  MAX_MEMPOOL_HASHES,
  MAX_TRANSACTIONS_PER_REQUEST,
  MEMPOOL_HASH_LENGTH,
} from '../../src/wire/mempool.ts'
import { type ByteSpec, bytesOf, errorCode, hex, loadVectors, wireCodeOf } from '../support/vectors.ts'

/** `{ counter: N, width: W }`: N entries of W bytes, the i-th W − 4 zero bytes then i as u32 BE. */
interface Counter {
  counter: number
  width: number
}
type Payload = string | Array<string | { hex: string; repeat: number } | Counter>
type List = string[] | Counter

interface HashVectors {
  valid: Array<{ name: string; payload: Payload; hashes: List }>
  invalid: Array<{ name: string; payload: Payload; error: string }>
  encodeInvalid: Array<{ name: string; hashes: List; error: string }>
}
interface MempoolVectors {
  limits: {
    hashLength: number
    transactionLength: number
    maxMempoolHashes: number
    maxTransactionsPerRequest: number
  }
  samples: { chainId: string; transactions: Array<{ name: string; hex: string; hash: string }> }
  frames: Array<{ name: string; type: string; payload: string; hex: string }>
  mempoolHashes: HashVectors
  getTransactions: HashVectors
  transactions: {
    valid: Array<{ name: string; payload: Payload; transactions: List; notFound: List }>
    invalid: Array<{ name: string; payload: Payload; error: string }>
    encodeInvalid: Array<{ name: string; transactions: List; notFound: List; error: string }>
  }
}

const vectors = loadVectors<MempoolVectors>('mempool')
const isCounter = (value: unknown): value is Counter =>
  typeof value === 'object' && value !== null && 'counter' in value

function counterEntries({ counter, width }: Counter): Uint8Array[] {
  return Array.from({ length: counter }, (_, i) => {
    const entry = new Uint8Array(width)
    new DataView(entry.buffer).setUint32(width - 4, i)
    return entry
  })
}

/** A byte field of protocols/README.md, plus `counter` segments (mempool.vectors.json). */
function payloadOf(spec: Payload): Uint8Array {
  if (typeof spec === 'string') return bytesOf(spec)
  const parts = spec.map((segment) =>
    isCounter(segment) ? Buffer.concat(counterEntries(segment)) : bytesOf([segment] as ByteSpec),
  )
  return new Uint8Array(Buffer.concat(parts))
}

const listOf = (spec: List): Uint8Array[] =>
  isCounter(spec) ? counterEntries(spec) : spec.map((h) => bytesOf(h))
const hexList = (list: Uint8Array[]) => list.map(hex)
/** The reference chain's transaction size: the one protocols/mempool.vectors.json is written for. */
const TX_BYTES = REFERENCE_SHAPE.transactionBytes

describe('protocols/mempool.vectors.json', () => {
  it("limits match the codec and the reference chain's shape (src/chain/port/shape.ts)", () => {
    expect(REFERENCE_SHAPE.hashBytes).toBe(MEMPOOL_HASH_LENGTH)
    expect(vectors.limits).toEqual({
      hashLength: MEMPOOL_HASH_LENGTH,
      transactionLength: REFERENCE_SHAPE.transactionBytes,
      maxMempoolHashes: MAX_MEMPOOL_HASHES,
      maxTransactionsPerRequest: MAX_TRANSACTIONS_PER_REQUEST,
    })
  })

  describe('sample transactions: hashes are SHA-256 of the encoding, signatures verify', () => {
    for (const sample of vectors.samples.transactions) {
      it(sample.name, () => {
        const tx = decodeTransaction(bytesOf(sample.hex))
        expect(hex(txHash(tx))).toBe(sample.hash)
        expect(verifyTransactionSignature(tx, vectors.samples.chainId)).toBe(true)
      })
    }
  })

  describe('frames on the wire', () => {
    for (const vector of vectors.frames) {
      it(vector.name, () => {
        const items = new FrameDecoder().decode(bytesOf(vector.hex))
        expect(items).toHaveLength(1)
        expect(isPawError(items[0])).toBe(false)
        const { type, payload } = items[0] as Frame
        expect(type).toBe(vector.type)
        expect(hex(payload.subarray())).toBe(vector.payload)
        expect(hex(encodeFrame(vector.type, payload.subarray()))).toBe(vector.hex)
      })
    }
    it('frame types are in FrameType', () => {
      expect(Object.values(FrameType)).toEqual(
        expect.arrayContaining(['mempool_hashes', 'get_transactions', 'transactions']),
      )
    })
  })

  const hashCodecs = [
    ['mempool_hashes', vectors.mempoolHashes, decodeMempoolHashes, encodeMempoolHashes],
    ['get_transactions', vectors.getTransactions, decodeGetTransactions, encodeGetTransactions],
  ] as const
  for (const [type, set, decode, encode] of hashCodecs) {
    describe(`${type}: valid`, () => {
      for (const vector of set.valid) {
        it(vector.name, () => {
          const payload = payloadOf(vector.payload)
          const decoded = decode(payload)
          expect(hexList(decoded)).toEqual(hexList(listOf(vector.hashes)))
          expect(hex(encode(listOf(vector.hashes)))).toBe(hex(payload))
        })
      }
    })
    describe(`${type}: invalid (the whole message is rejected)`, () => {
      for (const vector of set.invalid) {
        it(`${vector.name} → ${vector.error}`, () => {
          expect(wireCodeOf(() => decode(payloadOf(vector.payload)))).toBe(errorCode(vector.error))
        })
      }
    })
    describe(`${type}: lists this node refuses to send`, () => {
      for (const vector of set.encodeInvalid) {
        it(`${vector.name} → ${vector.error}`, () => {
          expect(wireCodeOf(() => encode(listOf(vector.hashes)))).toBe(errorCode(vector.error))
        })
      }
    })
  }

  describe('transactions: valid', () => {
    for (const vector of vectors.transactions.valid) {
      it(vector.name, () => {
        const payload = payloadOf(vector.payload)
        const decoded = decodeTransactions(payload, TX_BYTES)
        expect(hexList(decoded.transactions)).toEqual(hexList(listOf(vector.transactions)))
        expect(hexList(decoded.notFound)).toEqual(hexList(listOf(vector.notFound)))
        const encoded = encodeTransactions(
          { transactions: listOf(vector.transactions), notFound: listOf(vector.notFound) },
          TX_BYTES,
        )
        expect(hex(encoded)).toBe(hex(payload))
      })
    }
  })

  describe('transactions: invalid (the whole message is rejected)', () => {
    for (const vector of vectors.transactions.invalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        const payload = payloadOf(vector.payload)
        expect(wireCodeOf(() => decodeTransactions(payload, TX_BYTES))).toBe(errorCode(vector.error))
      })
    }
  })

  describe('transactions: answers this node refuses to send', () => {
    for (const vector of vectors.transactions.encodeInvalid) {
      it(`${vector.name} → ${vector.error}`, () => {
        const response = { transactions: listOf(vector.transactions), notFound: listOf(vector.notFound) }
        expect(wireCodeOf(() => encodeTransactions(response, TX_BYTES))).toBe(errorCode(vector.error))
      })
    }
  })
})

describe('mempool codec properties (1,000 runs each)', () => {
  const RUNS = { numRuns: 1000 }
  // The codec knows a transaction's size only through the chain's shape: the reference
  // chain's, and a made-up chain's.
  const OTHER_TX_BYTES = 64
  const hashKey = (bytes: Uint8Array) => hex(bytes)
  const hashes = (min: number, max: number) =>
    fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), {
      minLength: min,
      maxLength: max,
      selector: hashKey,
    })
  const transactions = (max: number, size: number) =>
    fc.uniqueArray(fc.uint8Array({ minLength: size, maxLength: size }), { maxLength: max, selector: hashKey })
  const responseOf = (size: number) =>
    fc
      .tuple(transactions(20, size), hashes(0, 20))
      .filter(([found, missing]) => found.length + missing.length >= 1)
      .map(([found, missing]) => ({ transactions: found, notFound: missing }))
  const response = responseOf(TX_BYTES)

  it('mempool_hashes round trip', () => {
    fc.assert(
      fc.property(hashes(0, 64), (list) => {
        expect(hexList(decodeMempoolHashes(encodeMempoolHashes(list)))).toEqual(hexList(list))
      }),
      RUNS,
    )
  })

  it('get_transactions round trip', () => {
    fc.assert(
      fc.property(hashes(1, 64), (list) => {
        expect(hexList(decodeGetTransactions(encodeGetTransactions(list)))).toEqual(hexList(list))
      }),
      RUNS,
    )
  })

  for (const size of [TX_BYTES, OTHER_TX_BYTES]) {
    it(`transactions of ${size} bytes round trip`, () => {
      fc.assert(
        fc.property(responseOf(size), (value) => {
          const decoded = decodeTransactions(encodeTransactions(value, size), size)
          expect(hexList(decoded.transactions)).toEqual(hexList(value.transactions))
          expect(hexList(decoded.notFound)).toEqual(hexList(value.notFound))
        }),
        RUNS,
      )
    })
  }

  const decoders = [
    ['mempool_hashes', decodeMempoolHashes, encodeMempoolHashes],
    ['get_transactions', decodeGetTransactions, encodeGetTransactions],
  ] as const
  for (const [type, decode, encode] of decoders) {
    it(`${type}: arbitrary bytes decode to a list that re-encodes to them, or fail with 0x05`, () => {
      const shaped = fc
        .tuple(fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 300 }))
        .map(([count, rest]) => Uint8Array.of(0, count, ...rest))
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), shaped), (bytes) => {
          let decoded: Uint8Array[] | undefined
          const code = wireCodeOf(() => {
            decoded = decode(bytes)
          })
          if (code === undefined) expect(hex(encode(decoded as Uint8Array[]))).toBe(hex(bytes))
          else expect(code).toBe(ErrorCode.InvalidMessageFormat)
        }),
        RUNS,
      )
    })
  }

  it('transactions: arbitrary bytes decode to an answer that re-encodes to them, or fail with 0x05', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        let decoded: ReturnType<typeof decodeTransactions> | undefined
        const code = wireCodeOf(() => {
          decoded = decodeTransactions(bytes, TX_BYTES)
        })
        if (code === undefined) expect(hex(encodeTransactions(decoded as never, TX_BYTES))).toBe(hex(bytes))
        else expect(code).toBe(ErrorCode.InvalidMessageFormat)
      }),
      RUNS,
    )
  })

  it('cutting or extending a valid message anywhere is rejected with 0x05', () => {
    fc.assert(
      fc.property(
        response,
        hashes(1, 10),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        (value, list, cut, extra) => {
          for (const [payload, decode] of [
            [encodeTransactions(value, TX_BYTES), (bytes: Uint8Array) => decodeTransactions(bytes, TX_BYTES)],
            [encodeMempoolHashes(list), decodeMempoolHashes],
            [encodeGetTransactions(list), decodeGetTransactions],
          ] as const) {
            const short = payload.subarray(0, cut % payload.length)
            expect(wireCodeOf(() => decode(short))).toBe(ErrorCode.InvalidMessageFormat)
            const long = new Uint8Array([...payload, ...extra])
            expect(wireCodeOf(() => decode(long))).toBe(ErrorCode.InvalidMessageFormat)
          }
        },
      ),
      RUNS,
    )
  })
})
