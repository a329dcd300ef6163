/** The reference chain's side of the transaction pool port (src/chain/mempool/pool-port.ts). */
import { describe, expect, it } from 'vitest'
import { encodeTransaction } from '../../src/chain/encoding.ts'
import type { ChainError } from '../../src/chain/errors.ts'
import { txHash } from '../../src/chain/hashing.ts'
import { transactionPoolPort } from '../../src/chain/mempool/pool-port.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { openTestFullChain, testAccounts, testChainParams, transfer } from '../support/chain-nodes.ts'

const [alice, bob] = testAccounts(2) as [
  ReturnType<typeof testAccounts>[number],
  ReturnType<typeof testAccounts>[number],
]
const params = testChainParams([alice, bob])

function fetched(encoded: Uint8Array) {
  return { id: toHex(txHash(transfer(params, alice, bob.address, 0n))), encoded }
}

describe('transactionPoolPort', () => {
  it("admits a sender's transactions in nonce order whatever order they came in, and reports each", async () => {
    const { mempool } = await openTestFullChain(params)
    const admitted: string[] = []
    const port = transactionPoolPort(mempool, { admitted: (_, id) => admitted.push(id), invalid: () => {} })
    const first = transfer(params, alice, bob.address, 0n)
    const second = transfer(params, alice, bob.address, 1n)
    const entries = [second, first].map((tx) => ({ id: toHex(txHash(tx)), encoded: encodeTransaction(tx) }))
    const outcomes = port.admitFetched(entries, 'peer')
    expect([...outcomes.values()]).toEqual(['admitted', 'admitted'])
    expect(admitted).toEqual([toHex(txHash(first)), toHex(txHash(second))])
    expect(port.has(toHex(txHash(first)))).toBe(true)
    expect(port.encoded(toHex(txHash(second)))).toEqual(encodeTransaction(second))
    expect(port.bestIds(10)).toHaveLength(2)
  })

  it('reports a transaction no valid one can be as invalid (and who sent it), one refused for now as refused', async () => {
    const { mempool } = await openTestFullChain(params)
    const invalid: Array<[string, ChainError]> = []
    const port = transactionPoolPort(mempool, {
      admitted: () => {},
      invalid: (from, error) => invalid.push([from, error]),
    })
    const badSignature = encodeTransaction({ ...transfer(params, alice, bob.address, 0n), amount: 7n })
    const gap = transfer(params, bob, alice.address, 5n)
    const outcomes = port.admitFetched(
      [fetched(badSignature), { id: toHex(txHash(gap)), encoded: encodeTransaction(gap) }],
      'peer',
    )
    expect([...outcomes.values()]).toEqual(['invalid', 'refused'])
    expect(invalid.map(([from, error]) => [from, error.code])).toEqual([['peer', 'BAD_SIGNATURE']])
    expect(port.encoded(toHex(txHash(gap)))).toBeUndefined()
  })
})
