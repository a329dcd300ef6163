/**
 * Properties of the mempool, each on 1,000 generated cases: whatever is added, mined or
 * reorganised, the bounds hold, no sender has a nonce gap, everything held is valid, and a
 * selection is fee-ordered except where nonce order forbids it.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isChainError } from '../../src/chain/errors.ts'
import { Mempool, type MempoolEntry } from '../../src/chain/mempool/index.ts'
import type { Block, Transaction } from '../../src/chain/types.ts'
import { address, block, hex, Ledger, transfer, txId, txSize } from './mempool-model.ts'

const RUNS = { numRuns: 1000 }
const SENDERS = 5

const addArb = fc.record({
  kind: fc.constant('add' as const),
  sender: fc.integer({ min: 1, max: SENDERS }),
  /** Mostly the sender's next nonce; sometimes one off either way. */
  nonceShift: fc.constantFrom(0, 0, 0, 0, 0, 0, -1, 1),
  amount: fc.bigInt({ min: 1n, max: 400n }),
  fee: fc.bigInt({ min: 0n, max: 60n }),
  pad: fc.constantFrom(0, 0, 0, 40, 150, 400),
})
const mineArb = fc.record({ kind: fc.constant('mine' as const), maxCount: fc.integer({ min: 0, max: 6 }) })
const reorgArb = fc.record({
  kind: fc.constant('reorg' as const),
  /** The winning block spends this sender's tip nonce differently (0: it is empty). */
  rival: fc.integer({ min: 0, max: SENDERS }),
})
const opsArb = fc.array(fc.oneof({ arbitrary: addArb, weight: 8 }, mineArb, reorgArb), { maxLength: 40 })
const boundsArb = fc.record({
  maxCount: fc.integer({ min: 1, max: 8 }),
  maxBytes: fc.integer({ min: 608, max: 2500 }),
})

function fundedLedger(): Ledger {
  return new Ledger(Object.fromEntries(Array.from({ length: SENDERS }, (_, i) => [i + 1, 2_000n])))
}

/** Fee per byte, then arrival: negative if `a` ranks first. */
function rank(a: MempoolEntry, b: MempoolEntry): number {
  const left = a.tx.fee * BigInt(b.size)
  const right = b.tx.fee * BigInt(a.size)
  return left === right ? a.seq - b.seq : left > right ? -1 : 1
}

function bySender(pool: Mempool): Map<string, MempoolEntry[]> {
  const runs = new Map<string, MempoolEntry[]>()
  for (const entry of pool.pending()) runs.set(entry.sender, [...(runs.get(entry.sender) ?? []), entry])
  return runs
}

function checkInvariants(
  pool: Mempool,
  ledger: Ledger,
  bounds: { maxCount: number; maxBytes: number },
): void {
  const entries = [...pool.pending()]
  expect(pool.size).toBe(entries.length)
  expect(pool.size).toBeLessThanOrEqual(bounds.maxCount)
  expect(pool.bytes).toBe(entries.reduce((sum, entry) => sum + entry.size, 0))
  expect(pool.bytes).toBeLessThanOrEqual(bounds.maxBytes)
  for (const run of bySender(pool).values()) {
    const ahead: Transaction[] = []
    let spent = 0n
    for (const entry of run) {
      // No gap: each nonce follows the tip nonce and the sender's pending ones before it.
      expect(entry.tx.nonce).toBe(ledger.account(entry.tx.from).nonce + BigInt(ahead.length))
      expect(() =>
        ledger.validate(entry.tx, { count: ahead.length, spent, transactions: ahead }),
      ).not.toThrow()
      expect(pool.has(entry.id) && pool.get(entry.id) === entry.tx).toBe(true)
      ahead.push(entry.tx)
      spent += entry.tx.amount + entry.tx.fee
    }
  }
}

describe('Mempool properties', () => {
  it('adds, blocks and reorgs never break the bounds, the nonce runs or validity', () => {
    fc.assert(
      fc.property(boundsArb, opsArb, (bounds, ops) => {
        const ledger = fundedLedger()
        const pool = new Mempool(ledger.init(bounds))
        const history: { block: Block; before: Ledger }[] = []
        for (const op of ops) {
          if (op.kind === 'add') {
            const from = address(op.sender)
            const next = ledger.account(from).nonce + BigInt(pool.pendingForSender(from).length)
            const nonce = next + BigInt(op.nonceShift)
            if (nonce < 0n) continue
            const tx = transfer({ from: op.sender, amount: op.amount, fee: op.fee, nonce, pad: op.pad })
            const before = new Map([...pool.pending()].map((entry) => [entry.id, entry]))
            try {
              const { evicted } = pool.add(tx)
              const incoming = [...pool.pending()].find((entry) => entry.id === txId(tx)) as MempoolEntry
              for (const id of evicted) {
                // Only what ranks below the incoming transaction is displaced.
                expect(rank(before.get(id) as MempoolEntry, incoming)).toBeGreaterThan(0)
                expect(pool.has(id)).toBe(false)
              }
            } catch (err) {
              if (!isChainError(err)) throw err
              expect(new Set([...pool.pending()].map((entry) => entry.id))).toEqual(new Set(before.keys()))
            }
          } else if (op.kind === 'mine') {
            const b = block(history.length + 1, pool.select({ maxCount: op.maxCount }))
            history.push({ block: b, before: ledger.clone() })
            ledger.apply(b)
            const change = pool.onBlockConnected(b)
            expect(change.included).toHaveLength(b.transactions.length - 1)
            expect(change.dropped).toEqual([])
          } else {
            const last = history.pop()
            if (last === undefined) continue
            const rivals: Transaction[] = []
            const rivalAccount = last.before.account(address(op.rival))
            if (op.rival > 0 && rivalAccount.balance >= 3n) {
              rivals.push(
                transfer({ from: op.rival, nonce: rivalAccount.nonce, amount: 2n, fee: 1n, to: 100 }),
              )
            }
            const winning = block(last.block.header.height, rivals, 241)
            const state = last.before.clone()
            state.apply(winning)
            ledger.reset(state)
            const change = pool.onReorg({ disconnected: [last.block], connected: [winning] })
            const stillMined = new Set(winning.transactions.map(txId))
            for (const tx of last.block.transactions.slice(1)) {
              const id = txId(tx)
              if (stillMined.has(id)) {
                expect(pool.has(id)).toBe(false)
                continue
              }
              expect(change.restored.includes(id) || change.dropped.includes(id)).toBe(true)
              expect(pool.has(id)).toBe(change.restored.includes(id) && !change.evicted.includes(id))
            }
            history.push({ block: winning, before: last.before })
          }
          checkInvariants(pool, ledger, bounds)
        }
      }),
      RUNS,
    )
  })

  it('select is highest fee per byte first except where a lower nonce must come first', () => {
    const poolArb = fc.array(addArb, { minLength: 1, maxLength: 40 })
    const limitsArb = fc.record({
      maxCount: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      maxBytes: fc.option(fc.integer({ min: 0, max: 8_000 }), { nil: undefined }),
    })
    fc.assert(
      fc.property(poolArb, limitsArb, (adds, limits) => {
        const ledger = fundedLedger()
        const pool = new Mempool(ledger.init())
        for (const op of adds) {
          const from = address(op.sender)
          const nonce = ledger.account(from).nonce + BigInt(pool.pendingForSender(from).length)
          try {
            pool.add(transfer({ from: op.sender, amount: op.amount, fee: op.fee, nonce, pad: op.pad }))
          } catch (err) {
            if (!isChainError(err)) throw err
          }
        }
        const entryOf = new Map([...pool.pending()].map((entry) => [entry.id, entry]))
        const chosen = pool.select(limits).map((tx) => entryOf.get(txId(tx)) as MempoolEntry)
        expect(chosen.length).toBeLessThanOrEqual(limits.maxCount ?? Number.POSITIVE_INFINITY)
        expect(chosen.reduce((sum, entry) => sum + txSize(entry.tx), 0)).toBeLessThanOrEqual(
          limits.maxBytes ?? Number.POSITIVE_INFINITY,
        )
        const position = new Map(chosen.map((entry, index) => [entry.id, index]))
        for (const run of bySender(pool).values()) {
          // A sender's chosen transactions are a prefix of its run, in nonce order.
          const picked = run.filter((entry) => position.has(entry.id))
          expect(picked).toEqual(run.slice(0, picked.length))
          expect(picked.map((entry) => position.get(entry.id))).toEqual(
            picked.map((entry) => position.get(entry.id)).sort((a, b) => (a as number) - (b as number)),
          )
        }
        // When a better transaction comes after a worse one, it was not yet available: its
        // lower nonce came at or after the worse one.
        const availableFrom = (entry: MempoolEntry): number => {
          const run = bySender(pool).get(hex(entry.tx.from)) as MempoolEntry[]
          const index = run.indexOf(entry)
          return index === 0
            ? -1
            : (position.get((run[index - 1] as MempoolEntry).id) ?? Number.POSITIVE_INFINITY)
        }
        for (let j = 0; j < chosen.length; j++) {
          for (let i = 0; i < j; i++) {
            if (rank(chosen[j] as MempoolEntry, chosen[i] as MempoolEntry) < 0) {
              expect(availableFrom(chosen[j] as MempoolEntry)).toBeGreaterThanOrEqual(i)
            }
          }
        }
        // Without a byte limit, anything left out that was available ranks below whatever
        // was chosen while it waited.
        if (limits.maxBytes === undefined) {
          for (const entry of entryOf.values()) {
            if (position.has(entry.id)) continue
            const from = availableFrom(entry)
            if (from === Number.POSITIVE_INFINITY) continue
            for (const taken of chosen.slice(from + 1)) expect(rank(taken, entry)).toBeLessThan(0)
          }
        }
      }),
      RUNS,
    )
  })
})
