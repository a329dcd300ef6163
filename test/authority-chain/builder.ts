/**
 * Authority chains for tests: a devnet, blocks proposed by whichever validator's turn it
 * is, transfers between its funded accounts.
 */
import {
  type AuthorityFullChain,
  type AuthorityHeader,
  type AuthorityKey,
  type AuthorityTransaction,
  blockHash,
  type Devnet,
  encodeBlock,
  encodeTransaction,
  nextProposer,
  type Proposal,
  propose,
  signHeader,
  txRoot,
} from '../../src/authority-chain/index.ts'
import { signTransfer } from '../../src/authority-chain/keys.ts'
import { equalBytes } from '../../src/wire/bytes.ts'

/** The devnet key whose turn the next block on `chain` is. */
export function proposerKey(devnet: Devnet, chain: AuthorityFullChain): AuthorityKey {
  const { publicKey } = nextProposer(chain)
  const key = devnet.validators.find((validator) => equalBytes(validator.publicKey, publicKey))
  if (key === undefined) throw new Error('the proposer is not a devnet validator')
  return key
}

/** The next block on `chain`'s tip, from its pool, signed by the validator whose turn it is. */
export function nextBlock(
  devnet: Devnet,
  chain: AuthorityFullChain,
  options: { timestamp?: number; maxTransactions?: number } = {},
): Proposal {
  return propose(chain, proposerKey(devnet, chain), options)
}

/** Proposes and imports `count` blocks on `chain`'s tip. */
export async function grow(devnet: Devnet, chain: AuthorityFullChain, count: number): Promise<Proposal[]> {
  const made: Proposal[] = []
  for (let i = 0; i < count; i++) {
    const proposal = nextBlock(devnet, chain)
    const judgement = await chain.importBlock(proposal.encoded)
    if (judgement.status !== 'accepted') throw new Error(`own block refused: ${judgement.reason}`)
    made.push(proposal)
  }
  return made
}

/** A transfer from devnet account `from` to account `to`, expiring 100 blocks past `height`. */
export function transfer(
  devnet: Devnet,
  from: number,
  to: number,
  options: { amount?: bigint; height?: number; expiry?: number } = {},
): { transaction: AuthorityTransaction; encoded: Uint8Array } {
  const sender = devnet.accounts[from] as AuthorityKey
  const recipient = devnet.accounts[to] as AuthorityKey
  const transaction = signTransfer(
    {
      to: recipient.publicKey,
      amount: options.amount ?? 1_000n,
      expiry: options.expiry ?? (options.height ?? 0) + 100,
    },
    sender,
    devnet.genesis.chainId,
  )
  return { transaction, encoded: encodeTransaction(transaction) }
}

/**
 * A block on `parent` holding `transactions`, signed by the validator whose turn its height
 * is (or `signer`, with `proposer` as its index): for blocks propose would never make.
 */
export function blockOn(
  devnet: Devnet,
  parent: AuthorityHeader,
  transactions: AuthorityTransaction[],
  options: { timestamp?: number; proposer?: number; signer?: AuthorityKey } = {},
): Proposal {
  const height = parent.height + 1
  const turn = height % devnet.validators.length
  const header = signHeader(
    {
      version: 1,
      height,
      parentHash: blockHash(parent),
      timestamp: options.timestamp ?? parent.timestamp + 1_000,
      txRoot: txRoot(transactions),
      proposer: options.proposer ?? turn,
    },
    options.signer ?? (devnet.validators[turn] as AuthorityKey),
    devnet.genesis.chainId,
  )
  const block = { header, transactions }
  return { block, encoded: encodeBlock(block), hash: blockHash(header) }
}
