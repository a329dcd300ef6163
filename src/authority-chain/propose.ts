/**
 * A validator's side: building and signing the next block on the best tip from the pool
 * (docs/authority-chain.md "Proposing"). The block is returned, not imported: the caller
 * announces it (node.announceEncodedBlock), which imports it and floods it. Browser-safe.
 */
import { toHex } from '../wire/bytes.ts'
import { HEADER_VERSION, MAX_BLOCK_TRANSACTIONS } from './constants.ts'
import { encodeBlock } from './encoding.ts'
import type { AuthorityFullChain } from './full-chain.ts'
import { blockHash, txRoot } from './hashing.ts'
import { isKeyOf, signHeader } from './keys.ts'
import { checkExpiry, proposerIndex } from './rules.ts'
import type { AuthorityBlock, AuthorityKey, AuthorityTransaction, Hash, PublicKey } from './types.ts'

export interface ProposeOptions {
  /** The block's timestamp. @default the clock, or its parent's plus 1 ms if that is later */
  timestamp?: number
  /** @default as many as fit 1 MiB (6,720) */
  maxTransactions?: number
  /** @default Date.now */
  now?: () => number
}

export interface Proposal {
  block: AuthorityBlock
  encoded: Uint8Array
  hash: Hash
}

const NOT_YOUR_TURN = 'NOT_YOUR_TURN'
const PROPOSE_ERROR_BRAND = Symbol.for('paw-node/authority-propose-error')

/** The key given is not the validator whose turn the next height is. */
export class ProposeError extends Error {
  override readonly name = 'ProposeError'
  readonly code = NOT_YOUR_TURN
  readonly [PROPOSE_ERROR_BRAND] = true
}

/** The validator whose turn the next block on `chain`'s tip is, and its index. */
export function nextProposer(chain: AuthorityFullChain): { index: number; publicKey: PublicKey } {
  const index = proposerIndex(chain.tipHeader().height + 1, chain.genesis.validators.length)
  return { index, publicKey: chain.genesis.validators[index] as PublicKey }
}

/**
 * The next block on `chain`'s best tip, holding the oldest pending transfers that fit
 * (each affordable after those before it, none expired), signed by `validator`.
 * @throws ProposeError NOT_YOUR_TURN unless `validator` is the next height's proposer
 */
export function propose(
  chain: AuthorityFullChain,
  validator: AuthorityKey,
  options: ProposeOptions = {},
): Proposal {
  const parent = chain.tipHeader()
  const height = parent.height + 1
  const turn = nextProposer(chain)
  if (!isKeyOf(validator, turn.publicKey)) {
    throw new ProposeError(`height ${height} is validator ${turn.index}'s (${toHex(turn.publicKey)})`)
  }
  const transactions = selectTransfers(chain, height, options.maxTransactions ?? MAX_BLOCK_TRANSACTIONS)
  const now = (options.now ?? Date.now)()
  const header = signHeader(
    {
      version: HEADER_VERSION,
      height,
      parentHash: blockHash(parent),
      timestamp: options.timestamp ?? Math.max(now, parent.timestamp + 1),
      txRoot: txRoot(transactions),
      proposer: turn.index,
    },
    validator,
    chain.chainId,
  )
  const block = { header, transactions }
  return { block, encoded: encodeBlock(block), hash: blockHash(header) }
}

function selectTransfers(chain: AuthorityFullChain, height: number, max: number): AuthorityTransaction[] {
  const chosen: AuthorityTransaction[] = []
  const left = new Map<string, bigint>()
  for (const { transaction } of chain.pool.pending()) {
    if (chosen.length >= Math.min(max, MAX_BLOCK_TRANSACTIONS)) break
    if (checkExpiry(transaction, height) !== undefined) continue
    const from = toHex(transaction.from)
    const balance = left.get(from) ?? chain.balance(transaction.from)
    if (balance < transaction.amount) continue
    left.set(from, balance - transaction.amount)
    chosen.push(transaction)
  }
  return chosen
}
