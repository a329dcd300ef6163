/** The reference chain's side of the transaction pool port (src/chain/mempool/pool-port.ts). */
import { describe, expect, it } from 'vitest'
import { encodeTransaction } from '../../src/chain/encoding.ts'
import type { ChainError } from '../../src/chain/errors.ts'
import { txHash } from '../../src/chain/hashing.ts'
import { referenceChainPool, transactionPoolPort } from '../../src/chain/mempool/pool-port.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { alice, bob, openFull, transfer } from './port/fixtures.ts'

const noEvents = { admitted: () => {}, invalid: () => {} }

function fetched(encoded: Uint8Array) {
  return { id: toHex(txHash(transfer(alice, bob.address, 0n))), encoded }
}

describe('transactionPoolPort', () => {
  it("admits a sender's transactions in nonce order whatever order they came in, and reports each", async () => {
    const { mempool } = await openFull()
    const admitted: string[] = []
    const port = transactionPoolPort(mempool, { admitted: (_, id) => admitted.push(id), invalid: () => {} })
    const first = transfer(alice, bob.address, 0n)
    const second = transfer(alice, bob.address, 1n)
    const entries = [second, first].map((tx) => ({ id: toHex(txHash(tx)), encoded: encodeTransaction(tx) }))
    const outcomes = port.admitFetched(entries, 'peer')
    expect([...outcomes.values()]).toEqual(['admitted', 'admitted'])
    expect(admitted).toEqual([toHex(txHash(first)), toHex(txHash(second))])
    expect(port.has(toHex(txHash(first)))).toBe(true)
    expect(port.encoded(toHex(txHash(second)))).toEqual(encodeTransaction(second))
    expect(port.bestIds(10)).toHaveLength(2)
  })

  it('reports a transaction no valid one can be as invalid (and who sent it), one refused for now as refused', async () => {
    const { mempool } = await openFull()
    const invalid: Array<[string, ChainError]> = []
    const port = transactionPoolPort(mempool, {
      admitted: () => {},
      invalid: (from, error) => invalid.push([from, error]),
    })
    const badSignature = encodeTransaction({ ...transfer(alice, bob.address, 0n), amount: 7n })
    const gap = transfer(bob, alice.address, 5n)
    const outcomes = port.admitFetched(
      [fetched(badSignature), { id: toHex(txHash(gap)), encoded: encodeTransaction(gap) }],
      'peer',
    )
    expect([...outcomes.values()]).toEqual(['invalid', 'refused'])
    expect(invalid.map(([from, error]) => [from, error.code])).toEqual([['peer', 'BAD_SIGNATURE']])
    expect(port.encoded(toHex(txHash(gap)))).toBeUndefined()
  })
})

describe('referenceChainPool admitGossiped', () => {
  const sender = toHex(alice.address)

  it('a nonce that overtook its predecessor is early, waiting for it; once that is in, it is accepted', async () => {
    const { mempool } = await openFull()
    const pool = referenceChainPool(mempool, noEvents)
    const first = transfer(alice, bob.address, 0n)
    const second = transfer(alice, bob.address, 1n)
    expect(pool.admitGossiped(encodeTransaction(second), 'peer')).toMatchObject({
      status: 'early',
      waitsFor: `${sender}:0`,
      group: sender,
      code: 'BAD_NONCE',
    })
    expect(pool.admitGossiped(encodeTransaction(first), 'peer')).toEqual({
      status: 'accepted',
      value: { id: txHash(first), decoded: first, provides: `${sender}:0` },
    })
    expect(pool.admitGossiped(encodeTransaction(second), 'peer')).toMatchObject({
      status: 'accepted',
      value: { id: txHash(second), provides: `${sender}:1` },
    })
    expect(pool.bestIds(10)).toHaveLength(2)
  })

  it('judges the rest: not a transaction or a forged one invalid, a duplicate or a spent first nonce refused', async () => {
    const { mempool } = await openFull()
    const pool = referenceChainPool(mempool, noEvents)
    const first = transfer(alice, bob.address, 0n)
    expect(pool.admitGossiped(new Uint8Array(151), 'peer')).toMatchObject({
      status: 'invalid',
      code: 'MALFORMED',
    })
    const forged = encodeTransaction({ ...first, amount: 7n })
    expect(pool.admitGossiped(forged, 'peer')).toMatchObject({ status: 'invalid', code: 'BAD_SIGNATURE' })
    pool.admitGossiped(encodeTransaction(first), 'peer')
    expect(pool.admitGossiped(encodeTransaction(first), 'peer')).toMatchObject({
      status: 'refused',
      code: 'DUPLICATE_TRANSACTION',
    })
    // Another transaction for nonce 0 can wait for no predecessor.
    expect(
      pool.admitGossiped(encodeTransaction(transfer(alice, bob.address, 0n, 2_000n)), 'peer'),
    ).toMatchObject({
      status: 'refused',
      code: 'BAD_NONCE',
    })
  })
})
