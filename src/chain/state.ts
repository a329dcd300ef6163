/**
 * Account state: a balance and a nonce per address, keyed by the address in lowercase
 * hex (docs/chain.md "State"). `applyBlock` moves it forward one block and returns an
 * undo record; `revertBlock` takes it back, exactly, so a reorg rolls back and forward.
 * Browser-safe.
 */
import { toHex } from '../wire/bytes.ts'
import { describeAmount } from './amount.ts'
import { MAX_U64 } from './encoding.ts'
import { ChainError, ChainErrorCode } from './errors.ts'
import { blockHash } from './hashing.ts'
import type { AccountState, Address, Block, Hash, Transaction } from './types.ts'

export type { AccountState }

/** What an address that never appeared holds. */
export const EMPTY_ACCOUNT: AccountState = Object.freeze({ balance: 0n, nonce: 0n })

/** Read access to a state: a Map, a StateOverlay, or a mempool's own view. */
export interface StateView {
  get(key: string): AccountState | undefined
}

/** A state that blocks can be applied to. AccountState values are never mutated in place. */
export interface MutableState extends StateView {
  set(key: string, account: AccountState): unknown
  delete(key: string): unknown
}

/** The whole state: hex address → account. */
export type ChainState = Map<string, AccountState>

export function createState(): ChainState {
  return new Map()
}

/** An independent copy (accounts are immutable, so sharing them is safe). O(accounts). */
export function cloneState(state: ReadonlyMap<string, AccountState>): ChainState {
  return new Map(state)
}

export function addressKey(address: Address): string {
  return toHex(address)
}

export function getAccount(state: StateView, address: Address): AccountState {
  return state.get(addressKey(address)) ?? EMPTY_ACCOUNT
}

/**
 * Writes over a base state without touching it: O(changes) to make and to drop. Validate
 * a block against a parent state, or reach a side branch's state (revertBlock the best
 * chain down to the fork, then applyBlock the branch) on an overlay of the best state,
 * then either drop it or `commit()` it.
 */
export class StateOverlay implements MutableState {
  readonly #base: StateView
  /** undefined marks an account deleted in the overlay. */
  readonly #changes = new Map<string, AccountState | undefined>()

  constructor(base: StateView) {
    this.#base = base
  }

  get(key: string): AccountState | undefined {
    return this.#changes.has(key) ? this.#changes.get(key) : this.#base.get(key)
  }

  set(key: string, account: AccountState): this {
    this.#changes.set(key, account)
    return this
  }

  delete(key: string): boolean {
    const had = this.get(key) !== undefined
    this.#changes.set(key, undefined)
    return had
  }

  /** Writes the overlay's changes into `target` (normally its base) and empties it. */
  commit(target: MutableState): void {
    for (const [key, account] of this.#changes) {
      if (account === undefined) target.delete(key)
      else target.set(key, account)
    }
    this.#changes.clear()
  }
}

/** How to take a state back from after a block to before it. */
export interface BlockUndo {
  height: number
  blockHash: Hash
  /** Every account the block touched, as it was before (undefined: it did not exist). */
  previous: Array<[key: string, account: AccountState | undefined]>
}

/** Records each account's value before its first change, so revert is exact. */
class Recorder {
  readonly state: MutableState
  readonly previous = new Map<string, AccountState | undefined>()

  constructor(state: MutableState) {
    this.state = state
  }

  get(key: string): AccountState {
    return this.state.get(key) ?? EMPTY_ACCOUNT
  }

  set(key: string, account: AccountState): void {
    if (!this.previous.has(key)) this.previous.set(key, this.state.get(key))
    this.state.set(key, account)
  }

  rollBack(): void {
    for (const [key, account] of this.previous) {
      if (account === undefined) this.state.delete(key)
      else this.state.set(key, account)
    }
  }
}

function credit(
  recorder: Recorder,
  to: Address,
  amount: bigint,
  code: typeof ChainErrorCode.BadCoinbase | typeof ChainErrorCode.BadTransaction,
): void {
  const key = addressKey(to)
  const account = recorder.get(key)
  const balance = account.balance + amount
  if (balance > MAX_U64) throw new ChainError(code, `balance of ${key} would overflow a u64`)
  recorder.set(key, { balance, nonce: account.nonce })
}

/**
 * The stateful rules of one transfer: `tx.nonce` is the sender's next (BAD_NONCE), the
 * sender holds amount + fee (INSUFFICIENT_BALANCE), the recipient's balance stays a u64
 * (BAD_TRANSACTION). The sender pays amount + fee; the fee goes to the coinbase.
 */
function applyTransfer(recorder: Recorder, tx: Transaction): void {
  const fromKey = addressKey(tx.from)
  const sender = recorder.get(fromKey)
  if (tx.nonce !== sender.nonce) {
    throw new ChainError(ChainErrorCode.BadNonce, `nonce ${tx.nonce} of ${fromKey}, expected ${sender.nonce}`)
  }
  const cost = tx.amount + tx.fee
  if (sender.balance < cost) {
    throw new ChainError(
      ChainErrorCode.InsufficientBalance,
      `${fromKey} holds ${describeAmount(sender.balance)}, needs ${describeAmount(cost)}`,
    )
  }
  recorder.set(fromKey, { balance: sender.balance - cost, nonce: sender.nonce + 1n })
  credit(recorder, tx.to, tx.amount, ChainErrorCode.BadTransaction)
}

/**
 * Applies a block's transactions to `state`. Height 0 (genesis): every transaction
 * mints its amount to its recipient. Any other height: the transfers in order, then the
 * first transaction (the coinbase) credits its recipient, so a miner cannot spend a
 * block's reward or fees within that block.
 *
 * Checks only the stateful rules (nonce, balance, overflow); the rest is validateBlock's.
 * On a ChainError the state is left exactly as it was.
 * @returns the record revertBlock needs to undo it
 */
export function applyBlock(state: MutableState, block: Block): BlockUndo {
  const recorder = new Recorder(state)
  const { transactions } = block
  try {
    if (block.header.height === 0) {
      for (const tx of transactions) credit(recorder, tx.to, tx.amount, ChainErrorCode.BadTransaction)
    } else {
      const coinbase = transactions[0]
      if (coinbase === undefined) throw new ChainError(ChainErrorCode.BadCoinbase, 'block has no coinbase')
      for (let i = 1; i < transactions.length; i++) applyTransfer(recorder, transactions[i] as Transaction)
      credit(recorder, coinbase.to, coinbase.amount, ChainErrorCode.BadCoinbase)
    }
  } catch (error) {
    recorder.rollBack()
    throw error
  }
  return { height: block.header.height, blockHash: blockHash(block.header), previous: [...recorder.previous] }
}

/** Undoes `applyBlock`: restores every account the block touched. Revert newest first. */
export function revertBlock(state: MutableState, undo: BlockUndo): void {
  for (const [key, account] of undo.previous) {
    if (account === undefined) state.delete(key)
    else state.set(key, account)
  }
}
