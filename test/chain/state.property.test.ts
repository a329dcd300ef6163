/**
 * Account state: applying random valid blocks and reverting them all gives back the
 * initial state exactly; a refused block changes nothing; overlays leave their base alone.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isChainError } from '../../src/chain/errors.ts'
import { genesisBlock, genesisState } from '../../src/chain/genesis.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import {
  applyBlock,
  type BlockUndo,
  type ChainState,
  cloneState,
  getAccount,
  type MutableState,
  revertBlock,
  StateOverlay,
} from '../../src/chain/state.ts'
import type { Address, Block, Transaction } from '../../src/chain/types.ts'

const RUNS = { numRuns: 300 }

/** The funded devnet accounts, then addresses that start empty. */
const ADDRESSES: Address[] = [
  ...PAW_DEVNET.allocations.map((a) => a.address),
  ...[1, 2, 3].map((i) => new Uint8Array(32).fill(0x10 + i)),
]

const intentArb = fc.record({
  from: fc.nat({ max: ADDRESSES.length - 1 }),
  to: fc.nat({ max: ADDRESSES.length - 1 }),
  percent: fc.integer({ min: 1, max: 100 }),
  fee: fc.bigInt({ min: 0n, max: 1_000n }),
})
const blockIntentArb = fc.record({
  miner: fc.nat({ max: ADDRESSES.length - 1 }),
  transfers: fc.array(intentArb, { maxLength: 8 }),
})

interface BlockIntent {
  miner: number
  transfers: Array<{ from: number; to: number; percent: number; fee: bigint }>
}

/** Turns intents into a block valid against `state` (skipping transfers it cannot make). */
function buildBlock(state: MutableState, height: number, intent: BlockIntent): Block {
  const scratch = new StateOverlay(state)
  const transactions: Transaction[] = []
  let fees = 0n
  for (const { from, to, percent, fee } of intent.transfers) {
    if (from === to) continue
    const sender = getAccount(scratch, ADDRESSES[from] as Address)
    if (sender.balance <= fee) continue
    const amount = ((sender.balance - fee) * BigInt(percent)) / 100n
    if (amount === 0n) continue
    const tx: Transaction = {
      from: ADDRESSES[from] as Address,
      to: ADDRESSES[to] as Address,
      amount,
      fee,
      nonce: sender.nonce,
      signature: new Uint8Array(64),
    }
    // Apply to the scratch state so the next intent sees it (nonce, balance).
    applyBlock(scratch, {
      header: { ...genesisBlock(PAW_DEVNET).header, height },
      transactions: [coinbaseTo(0, 0n, 0), tx],
    })
    transactions.push(tx)
    fees += fee
  }
  return {
    header: { ...genesisBlock(PAW_DEVNET).header, height },
    transactions: [coinbaseTo(intent.miner, PAW_DEVNET.blockReward + fees, height), ...transactions],
  }
}

function coinbaseTo(index: number, amount: bigint, height: number): Transaction {
  return {
    from: new Uint8Array(32),
    to: ADDRESSES[index] as Address,
    amount,
    fee: 0n,
    nonce: BigInt(height),
    signature: new Uint8Array(64),
  }
}

describe('applyBlock / revertBlock', () => {
  it('apply N random valid blocks, revert them all: the initial state, deep-equal', () => {
    fc.assert(
      fc.property(fc.array(blockIntentArb, { minLength: 1, maxLength: 12 }), (intents) => {
        const state = genesisState(PAW_DEVNET)
        const initial = cloneState(state)
        const snapshots: ChainState[] = []
        const undos: BlockUndo[] = []
        intents.forEach((intent, i) => {
          snapshots.push(cloneState(state))
          undos.push(applyBlock(state, buildBlock(state, i + 1, intent)))
        })
        // Supply grows by exactly the rewards: fees move, they are not made.
        const total = [...state.values()].reduce((sum, a) => sum + a.balance, 0n)
        const initialTotal = [...initial.values()].reduce((sum, a) => sum + a.balance, 0n)
        expect(total).toBe(initialTotal + BigInt(intents.length) * PAW_DEVNET.blockReward)
        for (let i = undos.length - 1; i >= 0; i--) {
          revertBlock(state, undos[i] as BlockUndo)
          expect(state).toEqual(snapshots[i])
        }
        expect(state).toEqual(initial)
      }),
      RUNS,
    )
  })

  it('a reorg: roll back k blocks, apply another branch, roll back, re-apply: the same state', () => {
    fc.assert(
      fc.property(
        fc.array(blockIntentArb, { minLength: 2, maxLength: 8 }),
        fc.array(blockIntentArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (main, side, cut) => {
          const state = genesisState(PAW_DEVNET)
          const blocks = main.map((intent, i) => {
            const block = buildBlock(state, i + 1, intent)
            applyBlock(state, block)
            return block
          })
          const tipState = cloneState(state)
          // Recompute undos by replaying: undo records are what a chain keeps per block.
          const replay = genesisState(PAW_DEVNET)
          const undos = blocks.map((block) => applyBlock(replay, block))
          const fork = cut % blocks.length
          for (let i = blocks.length - 1; i >= fork; i--) revertBlock(state, undos[i] as BlockUndo)
          const sideUndos = side.map((intent, i) =>
            applyBlock(state, buildBlock(state, fork + i + 1, intent)),
          )
          for (let i = sideUndos.length - 1; i >= 0; i--) revertBlock(state, sideUndos[i] as BlockUndo)
          for (let i = fork; i < blocks.length; i++) applyBlock(state, blocks[i] as Block)
          expect(state).toEqual(tipState)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('a block refused part-way through changes nothing', () => {
    fc.assert(
      fc.property(blockIntentArb, fc.constantFrom('nonce', 'balance'), (intent, breakIt) => {
        const state = genesisState(PAW_DEVNET)
        const block = buildBlock(state, 1, intent)
        const sender = new Uint8Array(32).fill(0x77) // never funded
        const bad: Transaction = {
          from: breakIt === 'balance' ? sender : (ADDRESSES[0] as Address),
          to: ADDRESSES[1] as Address,
          amount: 1n,
          fee: 0n,
          nonce: breakIt === 'balance' ? 0n : 1_000n,
          signature: new Uint8Array(64),
        }
        const before = cloneState(state)
        let code: string | undefined
        try {
          applyBlock(state, { ...block, transactions: [...block.transactions, bad] })
        } catch (error) {
          code = isChainError(error) ? error.code : 'other'
        }
        expect(code).toBe(breakIt === 'balance' ? 'INSUFFICIENT_BALANCE' : 'BAD_NONCE')
        expect(state).toEqual(before)
      }),
      RUNS,
    )
  })
})

describe('StateOverlay', () => {
  it('leaves its base alone, and commit() equals applying to the base directly', () => {
    fc.assert(
      fc.property(fc.array(blockIntentArb, { minLength: 1, maxLength: 6 }), (intents) => {
        const base = genesisState(PAW_DEVNET)
        const before = cloneState(base)
        const overlay = new StateOverlay(base)
        const direct = cloneState(base)
        intents.forEach((intent, i) => {
          const block = buildBlock(overlay, i + 1, intent)
          applyBlock(overlay, block)
          applyBlock(direct, block)
        })
        expect(base).toEqual(before)
        overlay.commit(base)
        expect(base).toEqual(direct)
      }),
      { numRuns: 200 },
    )
  })

  it('reverting on an overlay reaches an older state without touching the base', () => {
    const base = genesisState(PAW_DEVNET)
    const genesis = cloneState(base)
    const undo = applyBlock(
      base,
      buildBlock(base, 1, { miner: 5, transfers: [{ from: 0, to: 6, percent: 50, fee: 3n }] }),
    )
    const after = cloneState(base)
    const overlay = new StateOverlay(base)
    revertBlock(overlay, undo)
    expect(base).toEqual(after)
    for (const address of ADDRESSES)
      expect(getAccount(overlay, address)).toEqual(getAccount(genesis, address))
    expect(overlay.get(Buffer.from(ADDRESSES[6] as Address).toString('hex'))).toBeUndefined()
  })
})
