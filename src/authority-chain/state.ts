/**
 * The best tip's state: balances, and the ids of included transactions not yet expired
 * (docs/authority-chain.md "Replay"). Applying a block returns its undo record, so a reorg
 * rolls the state back block by block and applies the other branch. Browser-safe.
 */
import { toHex } from '../wire/bytes.ts'
import { AuthorityCode, invalid, type Refusal } from './errors.ts'
import type { AuthorityBlock, AuthorityGenesis, Hash, PublicKey } from './types.ts'

/** What applying one block changed, to undo it. */
export interface BlockUndo {
  height: number
  /** Balances before the block, of the accounts it touched (undefined: never funded). */
  balances: Array<[string, bigint | undefined]>
  /** Ids it included, each remembered until its expiry. */
  included: string[]
  /** Ids whose expiry was this height, forgotten after it: remembered again on undo. */
  forgotten: Array<[string, number]>
}

export class AuthorityState {
  readonly #balances = new Map<string, bigint>()
  /** Included id (hex) → its expiry height. */
  readonly #included = new Map<string, number>()
  /** Expiry height → the included ids expiring there. */
  readonly #byExpiry = new Map<number, Set<string>>()

  constructor(genesis: AuthorityGenesis) {
    for (const { address, amount } of genesis.allocations) this.#balances.set(toHex(address), amount)
  }

  balance(address: PublicKey | string): bigint {
    return this.#balances.get(typeof address === 'string' ? address : toHex(address)) ?? 0n
  }

  /** Whether the id (hex) is included and not expired: a block including it again is a replay. */
  isIncluded(id: string): boolean {
    return this.#included.has(id)
  }

  /** How many included ids are remembered now (bounded by MAX_TRANSACTION_LIFETIME). */
  get remembered(): number {
    return this.#included.size
  }

  /**
   * Applies `block` (its stateless rules passed, `ids` its transaction ids) on this state,
   * whose tip is its parent: each sender must afford its transfer in block order and no id
   * may be one remembered. Nothing changes if it returns a Refusal.
   */
  apply(block: AuthorityBlock, ids: readonly Hash[]): BlockUndo | Refusal {
    const { height } = block.header
    const next = new Map<string, bigint>()
    const hexIds = ids.map(toHex)
    for (const [i, tx] of block.transactions.entries()) {
      const id = hexIds[i] as string
      if (this.#included.has(id))
        return invalid(AuthorityCode.Replayed, `transaction ${id} is already included`)
      const from = toHex(tx.from)
      const to = toHex(tx.to)
      const balance = next.get(from) ?? this.balance(from)
      if (balance < tx.amount) {
        return invalid(AuthorityCode.InsufficientBalance, `transaction ${id} spends more than ${from} holds`)
      }
      next.set(from, balance - tx.amount)
      next.set(to, (next.get(to) ?? this.balance(to)) + tx.amount)
    }
    const undo: BlockUndo = { height, balances: [], included: hexIds, forgotten: [] }
    for (const [account, balance] of next) {
      undo.balances.push([account, this.#balances.get(account)])
      this.#balances.set(account, balance)
    }
    block.transactions.forEach((tx, i) => {
      this.#remember(hexIds[i] as string, tx.expiry)
    })
    // An id expiring at this height can be in no later block (rules.ts checkExpiry).
    for (const id of this.#byExpiry.get(height) ?? []) {
      undo.forgotten.push([id, height])
      this.#included.delete(id)
    }
    this.#byExpiry.delete(height)
    return undo
  }

  /** Reverts the last block applied, whose undo record `undo` is. */
  undo(undo: BlockUndo): void {
    for (const [id, expiry] of undo.forgotten) this.#remember(id, expiry)
    for (const id of undo.included) {
      const expiry = this.#included.get(id)
      this.#included.delete(id)
      if (expiry === undefined) continue
      const bucket = this.#byExpiry.get(expiry)
      bucket?.delete(id)
      if (bucket?.size === 0) this.#byExpiry.delete(expiry)
    }
    for (const [account, balance] of undo.balances) {
      if (balance === undefined) this.#balances.delete(account)
      else this.#balances.set(account, balance)
    }
  }

  #remember(id: string, expiry: number): void {
    this.#included.set(id, expiry)
    let ids = this.#byExpiry.get(expiry)
    if (ids === undefined) {
      ids = new Set()
      this.#byExpiry.set(expiry, ids)
    }
    ids.add(id)
  }
}
