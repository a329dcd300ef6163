/**
 * The mempool (issue 4): typed refusals, bounds in count and bytes, eviction lowest fee per
 * byte first with the evicted sender's later nonces, selection for a block, and what a new
 * tip and a reorg do to the pool.
 */
import { describe, expect, it } from 'vitest'
import { type ChainErrorCodeValue, isChainError } from '../../src/chain/errors.ts'
import { Mempool } from '../../src/chain/mempool/index.ts'
import type { Transaction } from '../../src/chain/types.ts'
import { address, block, Ledger, type TransferSpec, TX_SIZE, transfer, txId } from './mempool-model.ts'

function refusal(pool: Mempool, tx: Transaction): ChainErrorCodeValue | undefined {
  try {
    pool.add(tx)
    return undefined
  } catch (err) {
    if (!isChainError(err)) throw err
    return err.code
  }
}

/** A pool whose senders 1…20 hold 1,000 each. */
function setup(init: { maxCount?: number; maxBytes?: number } = {}) {
  const ledger = new Ledger(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [i + 1, 1_000n])))
  const pool = new Mempool(ledger.init(init))
  const add = (spec: TransferSpec) => {
    const tx = transfer(spec)
    return { tx, ...pool.add(tx) }
  }
  return { ledger, pool, add }
}

describe('Mempool: admission', () => {
  it('refuses a duplicate with DUPLICATE_TRANSACTION and counts it', () => {
    const { pool, add } = setup()
    const { tx, id } = add({ from: 1 })
    expect(id).toBe(txId(tx))
    expect(refusal(pool, { ...tx })).toBe('DUPLICATE_TRANSACTION')
    expect(pool.size).toBe(1)
    expect(pool.stats()).toMatchObject({ added: 1, rejected: { DUPLICATE_TRANSACTION: 1 } })
  })

  it('refuses what validate refuses, with its code', () => {
    const { pool } = setup()
    expect(refusal(pool, transfer({ from: 1, amount: 0n }))).toBe('BAD_TRANSACTION')
    expect(refusal(pool, transfer({ from: 1, amount: 1_000n }))).toBe('INSUFFICIENT_BALANCE')
    expect(refusal(pool, transfer({ from: 99 }))).toBe('INSUFFICIENT_BALANCE')
    expect(pool.size).toBe(0)
    expect(pool.stats().rejected).toEqual({ BAD_TRANSACTION: 1, INSUFFICIENT_BALANCE: 2 })
  })

  it("takes a sender's nonces only in order: no future-nonce queue, no replacement", () => {
    const { pool, add } = setup()
    expect(refusal(pool, transfer({ from: 1, nonce: 1n }))).toBe('BAD_NONCE')
    add({ from: 1, nonce: 0n })
    expect(refusal(pool, transfer({ from: 1, nonce: 2n }))).toBe('BAD_NONCE')
    expect(refusal(pool, transfer({ from: 1, nonce: 0n, fee: 9n }))).toBe('BAD_NONCE')
    add({ from: 1, nonce: 1n })
    expect(pool.pendingForSender(address(1)).map((tx) => tx.nonce)).toEqual([0n, 1n])
  })

  it("validates against the tip plus the sender's pending spend", () => {
    const { pool, add } = setup()
    add({ from: 1, amount: 400n, fee: 50n, nonce: 0n })
    add({ from: 1, amount: 400n, fee: 50n, nonce: 1n })
    expect(refusal(pool, transfer({ from: 1, amount: 100n, fee: 1n, nonce: 2n }))).toBe(
      'INSUFFICIENT_BALANCE',
    )
    add({ from: 1, amount: 99n, fee: 1n, nonce: 2n })
  })

  it('get, has, pending and the byte count', () => {
    const { pool, add } = setup()
    const a = add({ from: 1 })
    const b = add({ from: 2, pad: 92 })
    expect(pool.has(a.id) && pool.has(b.id)).toBe(true)
    expect(pool.get(b.id)).toBe(b.tx)
    expect(pool.get('00')).toBeUndefined()
    expect(pool.bytes).toBe(2 * TX_SIZE + 92)
    expect([...pool.pending()].map((entry) => entry.id)).toEqual([a.id, b.id])
  })

  it('refuses bad bounds loudly, naming the field', () => {
    const ledger = new Ledger()
    expect(() => new Mempool(ledger.init({ maxCount: 0 }))).toThrow(/maxCount/)
    expect(() => new Mempool(ledger.init({ maxBytes: 1.5 }))).toThrow(/maxBytes/)
  })
})

describe('Mempool: bounds and eviction', () => {
  it('when full in count, evicts the lowest fee first', () => {
    const { pool, add } = setup({ maxCount: 3 })
    add({ from: 1, fee: 5n })
    const low = add({ from: 2, fee: 1n })
    add({ from: 3, fee: 3n })
    const incoming = add({ from: 4, fee: 4n })
    expect(incoming.evicted).toEqual([low.id])
    expect(pool.size).toBe(3)
    expect(pool.has(low.id)).toBe(false)
    expect(pool.stats().evicted).toBe(1)
  })

  it('when full in bytes, evicts by fee per byte, not by absolute fee', () => {
    const { pool, add } = setup({ maxBytes: 3 * TX_SIZE + 200 })
    const big = add({ from: 1, fee: 30n, pad: 200 }) // 30 for 408 bytes: 0.074/byte
    const small = add({ from: 2, fee: 20n }) // 20 for 208 bytes: 0.096/byte
    add({ from: 3, fee: 40n })
    expect(pool.bytes).toBe(3 * TX_SIZE + 200)
    const incoming = add({ from: 4, fee: 25n })
    expect(incoming.evicted).toEqual([big.id])
    expect(pool.has(small.id)).toBe(true)
    expect(pool.bytes).toBeLessThanOrEqual(3 * TX_SIZE + 200)
  })

  it("an evicted transaction takes its sender's later nonces with it", () => {
    const { pool, add } = setup({ maxCount: 4 })
    const a0 = add({ from: 1, fee: 1n, nonce: 0n })
    const a1 = add({ from: 1, fee: 6n, nonce: 1n })
    const b = add({ from: 2, fee: 5n })
    const c = add({ from: 3, fee: 8n })
    const incoming = add({ from: 4, fee: 7n })
    expect(incoming.evicted).toEqual([a0.id, a1.id])
    expect(pool.pendingForSender(address(1))).toEqual([])
    expect([...pool.pending()].map((entry) => entry.id).sort()).toEqual([b.id, c.id, incoming.id].sort())
  })

  it('refuses with MEMPOOL_FULL a transaction that pays too little, changing nothing', () => {
    const { pool, add } = setup({ maxCount: 3 })
    add({ from: 1, fee: 2n, nonce: 0n })
    add({ from: 1, fee: 9n, nonce: 1n })
    add({ from: 2, fee: 5n })
    const before = [...pool.pending()].map((entry) => entry.id)
    // Below the lowest; equal to it (the earlier arrival wins the tie).
    expect(refusal(pool, transfer({ from: 3, fee: 1n }))).toBe('MEMPOOL_FULL')
    expect(refusal(pool, transfer({ from: 3, fee: 2n }))).toBe('MEMPOOL_FULL')
    // Beats the lowest, but evicting it would also drop its sender's later nonce paying 9.
    expect(refusal(pool, transfer({ from: 3, fee: 6n }))).toBe('MEMPOOL_FULL')
    // Would evict its own sender's lower nonce.
    expect(refusal(pool, transfer({ from: 1, fee: 50n, nonce: 2n }))).toBe('MEMPOOL_FULL')
    // Larger than the whole pool.
    expect(refusal(new Mempool(new Ledger({ 1: 10n }).init({ maxBytes: 100 })), transfer({ from: 1 }))).toBe(
      'MEMPOOL_FULL',
    )
    expect([...pool.pending()].map((entry) => entry.id)).toEqual(before)
    expect(pool.stats().rejected).toEqual({ MEMPOOL_FULL: 4 })
    // Paying more than all of sender 1's run displaces it.
    expect(add({ from: 3, fee: 10n }).evicted).toHaveLength(2)
  })
})

describe('Mempool: select', () => {
  it('highest fee per byte first, but a sender only in nonce order', () => {
    const { pool, add } = setup()
    const a0 = add({ from: 1, fee: 1n, nonce: 0n })
    const a1 = add({ from: 1, fee: 100n, nonce: 1n })
    const b0 = add({ from: 2, fee: 50n })
    const c0 = add({ from: 3, fee: 80n, pad: 208 }) // 80 for 416 bytes ranks below 50 for 208
    expect(pool.select()).toEqual([b0.tx, c0.tx, a0.tx, a1.tx])
    expect(pool.select({ maxCount: 2 })).toEqual([b0.tx, c0.tx])
  })

  it('skips a transaction that does not fit the bytes left, with its later nonces, and fills in', () => {
    const { pool, add } = setup()
    const big = add({ from: 1, fee: 500n, pad: 500, nonce: 0n })
    add({ from: 1, fee: 400n, nonce: 1n })
    const b = add({ from: 2, fee: 1n })
    const c = add({ from: 3, fee: 2n })
    expect(pool.select({ maxBytes: 2 * TX_SIZE + 100 })).toEqual([c.tx, b.tx])
    expect(pool.select({ maxBytes: TX_SIZE + 500 })).toEqual([big.tx])
    expect(pool.select({ maxBytes: 0 })).toEqual([])
  })
})

describe('Mempool: new tips and reorgs', () => {
  it('a new block drops its transactions and keeps the rest', () => {
    const { ledger, pool, add } = setup()
    const a0 = add({ from: 1, nonce: 0n })
    const a1 = add({ from: 1, nonce: 1n })
    const b0 = add({ from: 2 })
    const b1 = block(1, [a0.tx, b0.tx])
    ledger.apply(b1)
    const change = pool.onBlockConnected(b1)
    expect(change.included.sort()).toEqual([a0.id, b0.id].sort())
    expect(change.dropped).toEqual([])
    expect([...pool.pending()].map((entry) => entry.id)).toEqual([a1.id])
    expect(pool.bytes).toBe(TX_SIZE)
    expect(pool.stats().included).toBe(2)
  })

  it('a block spending a pending nonce differently drops the pending one; the rest is re-validated', () => {
    const { ledger, pool, add } = setup()
    const a0 = add({ from: 1, nonce: 0n, amount: 10n })
    const a1 = add({ from: 1, nonce: 1n, amount: 10n })
    const a2 = add({ from: 1, nonce: 2n, amount: 500n })
    const rival = transfer({ from: 1, nonce: 0n, amount: 600n, to: 9 })
    const b1 = block(1, [rival])
    ledger.apply(b1)
    const change = pool.onBlockConnected(b1)
    // a0's nonce is spent; a1 is the sender's next and still affordable; a2 no longer is.
    expect(change.dropped).toEqual([a0.id, a2.id])
    expect(pool.pendingForSender(address(1))).toEqual([a1.tx])
    expect(pool.stats().droppedInvalid).toBe(2)
  })

  it("a reorg restores the losing branch's transactions, not its coinbase, and drops what the new branch spent", () => {
    const { ledger, pool, add } = setup()
    const genesis = ledger.clone()
    const spent = add({ from: 1, to: 2, amount: 500n, nonce: 0n }) // mined only on the losing branch
    const both = add({ from: 3 }) // mined on both branches
    const doubleSpent = add({ from: 4, nonce: 0n }) // its nonce spent differently on the winning branch
    const losing = block(1, [spent.tx, both.tx, doubleSpent.tx], 240)
    ledger.apply(losing)
    pool.onBlockConnected(losing)
    expect(pool.size).toBe(0)
    // Spends the credit from `spent`, which only the losing branch has.
    const onCredit = add({ from: 2, amount: 1_400n, nonce: 0n })
    const stays = add({ from: 5 })

    const rival = transfer({ from: 4, nonce: 0n, amount: 7n })
    const winning = [block(1, [both.tx, rival]), block(2, [])]
    const state = genesis.clone()
    for (const b of winning) state.apply(b)
    ledger.reset(state)
    const change = pool.onReorg({ disconnected: [losing], connected: winning })

    expect(change.restored).toEqual([spent.id])
    expect(pool.has(spent.id)).toBe(true)
    expect(pool.has(both.id)).toBe(false)
    expect(pool.has(doubleSpent.id)).toBe(false)
    expect(pool.has(txId(losing.transactions[0] as Transaction))).toBe(false)
    // The losing branch's double-spent transaction is restored only to fail validation.
    expect(change.dropped.sort()).toEqual([doubleSpent.id, onCredit.id].sort())
    expect([...pool.pending()].map((entry) => entry.id).sort()).toEqual([spent.id, stays.id].sort())
    expect(pool.stats()).toMatchObject({ restored: 1, droppedInvalid: 2 })
  })

  it('a restored transaction goes back before the pending later nonces of its sender', () => {
    const { ledger, pool, add } = setup()
    const genesis = ledger.clone()
    const a0 = add({ from: 1, nonce: 0n })
    const losing = block(1, [a0.tx])
    ledger.apply(losing)
    pool.onBlockConnected(losing)
    const a1 = add({ from: 1, nonce: 1n })
    const winning = block(1, [])
    const state = genesis.clone()
    state.apply(winning)
    ledger.reset(state)
    pool.onReorg({ disconnected: [losing], connected: [winning] })
    expect(pool.pendingForSender(address(1))).toEqual([a0.tx, a1.tx])
  })

  it('restored transactions that overfill the pool are evicted lowest fee first', () => {
    const { ledger, pool, add } = setup({ maxCount: 2 })
    const genesis = ledger.clone()
    const mined = [transfer({ from: 1, fee: 1n }), transfer({ from: 2, fee: 9n })]
    const losing = block(1, mined)
    ledger.apply(losing)
    pool.onBlockConnected(losing)
    const pending = add({ from: 3, fee: 5n })
    const winning = block(1, [])
    const state = genesis.clone()
    state.apply(winning)
    ledger.reset(state)
    const change = pool.onReorg({ disconnected: [losing], connected: [winning] })
    expect(change.evicted).toEqual([txId(mined[0] as Transaction)])
    expect([...pool.pending()].map((entry) => entry.id).sort()).toEqual(
      [pending.id, txId(mined[1] as Transaction)].sort(),
    )
    expect(pool.size).toBe(2)
  })

  it("evicting a restored transaction after a reorg takes its sender's later nonces too", () => {
    const { ledger, pool, add } = setup({ maxCount: 2 })
    const genesis = ledger.clone()
    const a0 = transfer({ from: 1, fee: 1n, nonce: 0n })
    const losing = block(1, [a0])
    ledger.apply(losing)
    pool.onBlockConnected(losing)
    const a1 = add({ from: 1, fee: 9n, nonce: 1n })
    const b0 = add({ from: 2, fee: 5n })
    const winning = block(1, [])
    const state = genesis.clone()
    state.apply(winning)
    ledger.reset(state)
    const change = pool.onReorg({ disconnected: [losing], connected: [winning] })
    expect(change.restored).toEqual([txId(a0)])
    expect(change.evicted).toEqual([txId(a0), a1.id])
    expect([...pool.pending()].map((entry) => entry.id)).toEqual([b0.id])
  })
})
