import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import {
  AuthorityFullChain,
  authorityDevnet,
  decodeTransaction,
  encodeTransaction,
  signTransfer,
} from '../../src/authority-chain/index.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { grow, nextBlock, transfer } from './builder.ts'

const devnet = authorityDevnet()
const fresh = (poolCapacity?: number) =>
  new AuthorityFullChain({ genesis: devnet.genesis, ...(poolCapacity ? { poolCapacity } : {}) })

function outcome(judgement: { status: string; code?: string }): string {
  return judgement.status === 'accepted' ? 'accepted' : `${judgement.status} ${judgement.code}`
}

describe('AuthorityPool: admission', () => {
  it('admits a signed transfer under its id, and serves it as it came', () => {
    const chain = fresh()
    const { encoded } = transfer(devnet, 0, 1)
    const judgement = chain.pool.admitGossiped(encoded, 'peer')
    expect(judgement.status).toBe('accepted')
    const id = toHex(sha256(encoded))
    expect(judgement.status === 'accepted' && toHex(judgement.value.id)).toBe(id)
    expect(chain.transactionId(encoded)).toEqual(sha256(encoded))
    expect(chain.pool.has(id)).toBe(true)
    expect(chain.pool.encoded(id)).toEqual(encoded)
    expect(outcome(chain.pool.admitGossiped(encoded, 'peer'))).toBe('refused ALREADY_PENDING')
  })

  it('invalid: malformed bytes, a bad signature, a zero amount, a transfer to oneself', () => {
    const chain = fresh()
    expect(outcome(chain.pool.admitGossiped(new Uint8Array(100), 'peer'))).toBe('invalid MALFORMED')
    const { encoded } = transfer(devnet, 0, 1)
    const forged = encoded.slice()
    forged[70] = (forged[70] as number) ^ 1
    expect(outcome(chain.pool.admitGossiped(forged, 'peer'))).toBe('invalid BAD_TRANSACTION_SIGNATURE')
    const sender = devnet.accounts[0] as never
    const zero = signTransfer(
      { to: devnet.accounts[1]?.publicKey as Uint8Array, amount: 0n, expiry: 50 },
      sender,
      devnet.genesis.chainId,
    )
    expect(outcome(chain.pool.admitLocal(encodeTransaction(zero)))).toBe('invalid BAD_TRANSACTION')
    const self = transfer(devnet, 0, 0)
    expect(outcome(chain.pool.admitLocal(self.encoded))).toBe('invalid BAD_TRANSACTION')
  })

  it('refused, never early: what depends on the tip, the balance or the room', async () => {
    const chain = fresh(3)
    expect(outcome(chain.pool.admitGossiped(transfer(devnet, 0, 1, { expiry: 0 }).encoded, 'p'))).toBe(
      'refused EXPIRED',
    )
    expect(outcome(chain.pool.admitGossiped(transfer(devnet, 0, 1, { expiry: 5_000 }).encoded, 'p'))).toBe(
      'refused EXPIRY_TOO_FAR',
    )
    const most = transfer(devnet, 0, 1, { amount: 999_999_999_999n })
    expect(outcome(chain.pool.admitGossiped(most.encoded, 'p'))).toBe('accepted')
    // The balance less what its pending transfers spend.
    expect(outcome(chain.pool.admitGossiped(transfer(devnet, 0, 1, { amount: 2n }).encoded, 'p'))).toBe(
      'refused INSUFFICIENT_BALANCE',
    )
    chain.pool.admitGossiped(transfer(devnet, 1, 2).encoded, 'p')
    chain.pool.admitGossiped(transfer(devnet, 2, 3).encoded, 'p')
    expect(outcome(chain.pool.admitGossiped(transfer(devnet, 3, 0).encoded, 'p'))).toBe('refused POOL_FULL')
    // Included: gone from the pool, and refused as a replay until it expires.
    await grow(devnet, chain, 1)
    expect(chain.pool.size).toBe(0)
    expect(outcome(chain.pool.admitGossiped(most.encoded, 'p'))).toBe('refused REPLAYED')
  })

  it('admitFetched reports each by id; bestIds lists the oldest first', () => {
    const chain = fresh()
    const txs = [transfer(devnet, 0, 1), transfer(devnet, 1, 2), transfer(devnet, 2, 3)]
    const bad = transfer(devnet, 3, 0).encoded.slice()
    bad[100] = (bad[100] as number) ^ 1
    const fetched = [...txs.map((t) => t.encoded), bad].map((encoded) => ({
      id: toHex(sha256(encoded)),
      encoded,
    }))
    const outcomes = chain.pool.admitFetched(fetched, 'peer')
    expect([...outcomes.values()]).toEqual(['admitted', 'admitted', 'admitted', 'invalid'])
    expect(chain.pool.bestIds(2)).toEqual(fetched.slice(0, 2).map((f) => f.id))
    expect(chain.pool.admitFetched(fetched.slice(0, 1), 'peer').get(fetched[0]?.id as string)).toBe('refused')
  })

  it('drops what expires as the chain grows; a proposer includes the oldest first', async () => {
    const chain = fresh()
    const soon = transfer(devnet, 0, 1, { expiry: 2 })
    const later = transfer(devnet, 1, 2, { expiry: 10 })
    chain.pool.admitLocal(soon.encoded)
    chain.pool.admitLocal(later.encoded)
    const block = nextBlock(devnet, chain)
    expect(block.block.transactions.map((tx) => toHex(encodeTransaction(tx)))).toEqual([
      toHex(soon.encoded),
      toHex(later.encoded),
    ])
    // Two empty blocks instead: at height 2 `soon` may still be included, not at 3.
    await chain.importBlock(nextBlock(devnet, chain, { maxTransactions: 0 }).encoded)
    expect(chain.pool.size).toBe(2)
    await chain.importBlock(nextBlock(devnet, chain, { maxTransactions: 0 }).encoded)
    expect(chain.pool.size).toBe(1)
    expect(decodeTransaction(chain.pool.encoded(chain.pool.bestIds(1)[0] as string) as Uint8Array)).toEqual(
      later.transaction,
    )
  })
})
