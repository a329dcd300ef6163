/**
 * A fake but realistic transaction model for the mempool tests: ids are SHA-256 over the
 * fields, sizes are 208 bytes (a PAW transfer) unless a test pads one, and `validate` is a
 * small account model (balances and nonces) the test controls.
 */
import { createHash } from 'node:crypto'
import { ChainError, ChainErrorCode } from '../../src/chain/errors.ts'
import type { MempoolInit, PendingView } from '../../src/chain/mempool/index.ts'
import type { Address, Block, Transaction } from '../../src/chain/types.ts'

export const TX_SIZE = 208
const ZERO = new Uint8Array(32)
const padding = new WeakMap<Transaction, number>()

export function address(n: number): Address {
  return new Uint8Array(32).fill(n)
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export interface TransferSpec {
  from: number
  to?: number
  amount?: bigint
  fee?: bigint
  nonce?: bigint
  /** Bytes over 208, to test fee per byte and the byte bound. */
  pad?: number
}

export function transfer(spec: TransferSpec): Transaction {
  const tx: Transaction = {
    from: address(spec.from),
    to: address(spec.to ?? 200),
    amount: spec.amount ?? 1n,
    fee: spec.fee ?? 1n,
    nonce: spec.nonce ?? 0n,
    signature: new Uint8Array(64).fill(7),
  }
  if (spec.pad !== undefined) padding.set(tx, spec.pad)
  return tx
}

export function txId(tx: Transaction): string {
  const hash = createHash('sha256')
  hash.update(tx.from).update(tx.to)
  for (const value of [tx.amount, tx.fee, tx.nonce]) hash.update(value.toString(16).padStart(16, '0'), 'hex')
  return hash.update(tx.signature).digest('hex')
}

export function txSize(tx: Transaction): number {
  return TX_SIZE + (padding.get(tx) ?? 0)
}

export function block(height: number, transactions: Transaction[], miner = 250): Block {
  const coinbase: Transaction = {
    from: ZERO,
    to: address(miner),
    amount: 50n,
    fee: 0n,
    nonce: BigInt(height),
    signature: new Uint8Array(64),
  }
  return {
    header: {
      version: 2,
      chainId: 'paw-test',
      height,
      previousHash: new Uint8Array(32),
      timestamp: height * 1000,
      txRoot: new Uint8Array(32),
      stateRoot: new Uint8Array(32),
      target: new Uint8Array(32).fill(0xff),
      nonce: 0n,
    },
    transactions: [coinbase, ...transactions],
  }
}

interface Account {
  balance: bigint
  nonce: bigint
}

/** The tip state: balances and nonces, with `apply` for a new block. */
export class Ledger {
  readonly accounts = new Map<string, Account>()

  constructor(balances: Record<number, bigint> = {}) {
    for (const [n, balance] of Object.entries(balances)) {
      this.accounts.set(hex(address(Number(n))), { balance, nonce: 0n })
    }
  }

  account(who: Address): Account {
    return this.accounts.get(hex(who)) ?? { balance: 0n, nonce: 0n }
  }

  readonly validate = (tx: Transaction, pending: PendingView): void => {
    if (tx.amount === 0n) throw new ChainError(ChainErrorCode.BadTransaction, 'zero amount')
    const { balance, nonce } = this.account(tx.from)
    if (tx.nonce !== nonce + BigInt(pending.count)) {
      throw new ChainError(
        ChainErrorCode.BadNonce,
        `nonce ${tx.nonce}, expected ${nonce + BigInt(pending.count)}`,
      )
    }
    if (balance < pending.spent + tx.amount + tx.fee) {
      throw new ChainError(ChainErrorCode.InsufficientBalance, 'insufficient balance')
    }
  }

  /** Applies a block as the chain would (coinbase first, credited). */
  apply(b: Block): void {
    for (const [index, tx] of b.transactions.entries()) {
      if (index > 0) {
        const sender = this.account(tx.from)
        this.accounts.set(hex(tx.from), {
          balance: sender.balance - tx.amount - tx.fee,
          nonce: sender.nonce + 1n,
        })
      }
      const recipient = this.account(tx.to)
      this.accounts.set(hex(tx.to), { ...recipient, balance: recipient.balance + tx.amount })
    }
  }

  clone(): Ledger {
    const copy = new Ledger()
    for (const [key, account] of this.accounts) copy.accounts.set(key, { ...account })
    return copy
  }

  /** Moves this ledger to another state (a reorg's new tip), in place so bound validators see it. */
  reset(to: Ledger): void {
    this.accounts.clear()
    for (const [key, account] of to.accounts) this.accounts.set(key, { ...account })
  }

  /** Mempool init validating against this ledger. */
  init(extra: Partial<MempoolInit> = {}): MempoolInit {
    return { txId, txSize, validate: this.validate, ...extra }
  }
}
