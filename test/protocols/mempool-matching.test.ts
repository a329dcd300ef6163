/**
 * Matching a `transactions` answer to its request (protocols/mempool.md "Answering",
 * "Unsolicited or mismatched answers") with the chain's ids only: the protocol never
 * decodes or hashes a transaction, so a chain of another kind (here: 64-byte transactions
 * whose id is their first 32 bytes) is matched the same way as the reference chain.
 */
import { describe, expect, it } from 'vitest'
import { UnexpectedMessageError } from '../../src/errors.ts'
import { matchAnswer } from '../../src/protocols/mempool/matching.ts'
import type { MempoolChain } from '../../src/protocols/mempool/types.ts'
import { toHex } from '../../src/wire/bytes.ts'

/** A made-up chain: a transaction is 64 bytes, its id its first 32, and one starting 0xff is none. */
const OTHER_CHAIN: MempoolChain = {
  shape: {
    headerBytes: 100,
    transactionBytes: 64,
    hashBytes: 32,
    maxBlockBytes: 1_000_000,
    isBlockLength: () => true,
  },
  transactionId: (encoded) => (encoded[0] === 0xff ? undefined : encoded.slice(0, 32)),
}

function transaction(tag: number): Uint8Array {
  return new Uint8Array(64).fill(tag, 0, 32).fill(0xee, 32)
}
const idOf = (encoded: Uint8Array): Uint8Array => encoded.slice(0, 32)

describe('matchAnswer by the chain port', () => {
  const [t1, t2, t3] = [transaction(1), transaction(2), transaction(3)]
  const requested = [idOf(t1), idOf(t2), idOf(t3)]

  it("accepts found transactions and missing hashes, each in request order, by the chain's ids", () => {
    const matched = matchAnswer(requested, { transactions: [t1, t3], notFound: [idOf(t2)] }, OTHER_CHAIN)
    expect(matched.found.map((entry) => entry.id)).toEqual([toHex(idOf(t1)), toHex(idOf(t3))])
    expect(matched.found[1]?.encoded).toBe(t3)
    expect(matched.notFound).toEqual([toHex(idOf(t2))])
  })

  it.each([
    ['a transaction not requested', { transactions: [transaction(9)], notFound: [idOf(t2), idOf(t3)] }],
    ['found out of request order', { transactions: [t2, t1], notFound: [idOf(t3)] }],
    ['a hash answered twice', { transactions: [t1, t2], notFound: [idOf(t1)] }],
    ['a requested hash left out', { transactions: [t1, t2], notFound: [] }],
    [
      'an encoding the chain gives no id',
      { transactions: [new Uint8Array(64).fill(0xff)], notFound: [idOf(t2), idOf(t3)] },
    ],
  ])('refuses %s (0x0A)', (_name, answer) => {
    expect(() => matchAnswer(requested, answer, OTHER_CHAIN)).toThrow(UnexpectedMessageError)
  })
})
