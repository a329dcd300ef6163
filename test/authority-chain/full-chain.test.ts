import { describe, expect, it } from 'vitest'
import {
  type AuthorityBlock,
  AuthorityFullChain,
  authorityDevnet,
  encodeBlock,
  genesisBlock,
  HEADER_BYTES,
  MAX_FUTURE_DRIFT_MS,
  type Proposal,
  ProposeError,
  propose,
} from '../../src/authority-chain/index.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { blockOn, grow, nextBlock, transfer } from './builder.ts'

const devnet = authorityDevnet()
const fresh = (now?: () => number) =>
  new AuthorityFullChain({ genesis: devnet.genesis, ...(now ? { now } : {}) })

async function judged(chain: AuthorityFullChain, proposal: Pick<Proposal, 'encoded'>) {
  const judgement = await chain.importBlock(proposal.encoded)
  return judgement.status === 'accepted' ? judgement.value.outcome : `${judgement.status} ${judgement.code}`
}

describe('AuthorityFullChain: the proposer rule and the judgements', () => {
  it('extends with the block of the validator whose turn it is, and moves balances', async () => {
    const chain = fresh()
    const tips: number[] = []
    chain.addEventListener('tip', (event) => tips.push(event.detail.tip.height))
    const { encoded } = transfer(devnet, 0, 1, { amount: 250n })
    expect(chain.pool.admit(encoded).status).toBe('accepted')
    const proposal = nextBlock(devnet, chain)
    expect(proposal.block.header.proposer).toBe(1)
    expect(proposal.block.transactions).toHaveLength(1)
    expect(await judged(chain, proposal)).toBe('extended')
    expect(await judged(chain, proposal)).toBe('duplicate')
    expect(chain.tip()).toMatchObject({ height: 1, totalWeight: 2n })
    expect(toHex(chain.tip().hash)).toBe(toHex(proposal.hash))
    expect(chain.balance(devnet.accounts[1]?.publicKey as Uint8Array)).toBe(1_000_000_000_250n)
    expect(chain.pool.size).toBe(0)
    expect(tips).toEqual([1])
  })

  it('lets only the next height’s validator propose', () => {
    const chain = fresh()
    expect(() => propose(chain, devnet.validators[0] as never)).toThrow(ProposeError)
    expect(propose(chain, devnet.validators[1] as never).block.header.height).toBe(1)
  })

  it('judges a bad signature, another validator and a wrong turn invalid', async () => {
    const chain = fresh()
    const genesis = genesisBlock(devnet.genesis).header
    const good = blockOn(devnet, genesis, [])
    const forged = good.encoded.slice()
    forged[HEADER_BYTES - 1] = (forged[HEADER_BYTES - 1] as number) ^ 1
    expect(await judged(chain, { encoded: forged })).toBe('invalid BAD_SIGNATURE')
    const impostor = blockOn(devnet, genesis, [], { signer: devnet.validators[2] })
    expect(await judged(chain, impostor)).toBe('invalid BAD_SIGNATURE')
    const outOfTurn = blockOn(devnet, genesis, [], { proposer: 2, signer: devnet.validators[2] })
    expect(await judged(chain, outOfTurn)).toBe('invalid WRONG_PROPOSER')
    // Refused once, refused again without being judged anew.
    expect(await judged(chain, outOfTurn)).toBe('invalid KNOWN_INVALID')
    expect(await judged(chain, good)).toBe('extended')
  })

  it('judges an unknown parent, a timestamp and malformed bytes', async () => {
    const now = Date.now()
    const chain = fresh(() => now)
    const genesis = genesisBlock(devnet.genesis).header
    const orphanParent = blockOn(devnet, genesis, []).block.header
    expect(await judged(chain, blockOn(devnet, orphanParent, []))).toBe('unknown-parent UNKNOWN_PARENT')
    expect(await judged(chain, blockOn(devnet, genesis, [], { timestamp: genesis.timestamp }))).toBe(
      'invalid BAD_TIMESTAMP',
    )
    const ahead = blockOn(devnet, genesis, [], { timestamp: now + MAX_FUTURE_DRIFT_MS + 1 })
    expect(await judged(chain, ahead)).toBe('refused FUTURE_TIMESTAMP')
    expect(await judged(chain, { encoded: new Uint8Array(200) })).toBe('invalid MALFORMED')
  })

  it('a body that is not its header’s condemns the encoding, not the block', async () => {
    const chain = fresh()
    const genesis = genesisBlock(devnet.genesis).header
    const { transaction } = transfer(devnet, 0, 1)
    const right = blockOn(devnet, genesis, [transaction])
    const emptied = encodeBlock({ header: right.block.header, transactions: [] })
    expect(await judged(chain, { encoded: emptied })).toBe('invalid BAD_TX_ROOT')
    expect(await judged(chain, right)).toBe('extended')
  })

  it('refuses a replay, an expired transfer and one its sender cannot afford', async () => {
    const chain = fresh()
    const { transaction } = transfer(devnet, 0, 1)
    const first = blockOn(devnet, chain.tipHeader(), [transaction])
    expect(await judged(chain, first)).toBe('extended')
    expect(await judged(chain, blockOn(devnet, chain.tipHeader(), [transaction]))).toBe('invalid REPLAYED')
    const stale = transfer(devnet, 0, 1, { expiry: 1 }).transaction
    expect(await judged(chain, blockOn(devnet, chain.tipHeader(), [stale]))).toBe('invalid EXPIRED')
    const far = transfer(devnet, 0, 1, { expiry: 2_000 }).transaction
    expect(await judged(chain, blockOn(devnet, chain.tipHeader(), [far]))).toBe('invalid EXPIRY_TOO_FAR')
    const rich = transfer(devnet, 0, 1, { amount: 2_000_000_000_000n }).transaction
    expect(await judged(chain, blockOn(devnet, chain.tipHeader(), [rich]))).toBe(
      'invalid INSUFFICIENT_BALANCE',
    )
    expect(chain.tip().height).toBe(1)
  })

  it('serves its best chain: header encodings by height and blocks by hash', async () => {
    const chain = fresh()
    const made = await grow(devnet, chain, 4)
    const headers = await chain.encodedHeaders(2, 10)
    expect(headers.map((h) => toHex(h))).toEqual(
      made.slice(1).map((p) => toHex(p.encoded.subarray(0, HEADER_BYTES))),
    )
    expect(await chain.encodedBlock(made[2]?.hash as Uint8Array)).toEqual(made[2]?.encoded)
    expect(await chain.encodedBlock(new Uint8Array(32))).toBeUndefined()
    const summary = chain.readBlock(made[0]?.encoded as Uint8Array)
    expect(summary?.header).toMatchObject({ height: 1, weight: 1n })
    expect(
      chain.readBlock(encodeBlock({ ...(made[0]?.block as AuthorityBlock), transactions: [] })),
    ).toBeDefined()
  })
})

describe('AuthorityFullChain: fork choice by length', () => {
  /** Two chains from one genesis: `blocks` on each, with different timestamps and transfers. */
  async function twoBranches(left: number, right: number) {
    const main = fresh()
    const other = fresh()
    main.pool.admit(transfer(devnet, 0, 1, { amount: 100n }).encoded)
    other.pool.admit(transfer(devnet, 2, 3, { amount: 700n }).encoded)
    const a = await grow(devnet, main, left)
    const b: Proposal[] = []
    for (let i = 0; i < right; i++) {
      const proposal = nextBlock(devnet, other, { timestamp: other.tipHeader().timestamp + 7 })
      await other.importBlock(proposal.encoded)
      b.push(proposal)
    }
    return { main, other, a, b }
  }

  it('a tie keeps the tip seen first; the longer branch wins, state and pool follow it', async () => {
    const { main, other, a, b } = await twoBranches(3, 5)
    const reorgs: Array<{ disconnected: string[]; connected: string[] }> = []
    main.addEventListener('reorg', ({ detail }) =>
      reorgs.push({ disconnected: detail.disconnected.map(toHex), connected: detail.connected.map(toHex) }),
    )
    for (const proposal of b.slice(0, 3)) expect(await judged(main, proposal)).toBe('side-branch')
    expect(toHex(main.tip().hash)).toBe(toHex(a[2]?.hash as Uint8Array))
    expect(await judged(main, b[3] as Proposal)).toBe('reorg')
    expect(reorgs).toEqual([
      { disconnected: a.map((p) => toHex(p.hash)), connected: b.slice(0, 4).map((p) => toHex(p.hash)) },
    ])
    expect(await judged(main, b[4] as Proposal)).toBe('extended')
    expect(toHex(main.tip().hash)).toBe(toHex(other.tip().hash))
    for (const account of devnet.accounts) {
      expect(main.balance(account.publicKey)).toBe(other.balance(account.publicKey))
    }
    // The rolled-back transfer is pending again, to be included on the new branch.
    expect(main.pool.size).toBe(1)
    expect(await judged(main, nextBlock(devnet, main))).toBe('extended')
    expect(main.balance(devnet.accounts[1]?.publicKey as Uint8Array)).toBe(1_000_000_000_100n)
  })

  it('a longer branch holding a block that breaks a state rule is refused; the best chain stays', async () => {
    const main = fresh()
    const [a1] = await grow(devnet, main, 1)
    const genesis = genesisBlock(devnet.genesis).header
    const rich = transfer(devnet, 0, 1, { amount: 2_000_000_000_000n }).transaction
    const b1 = blockOn(devnet, genesis, [rich], { timestamp: genesis.timestamp + 3 })
    expect(await judged(main, b1)).toBe('side-branch')
    const b2 = blockOn(devnet, b1.block.header, [])
    expect(await judged(main, b2)).toBe('invalid KNOWN_INVALID')
    expect(toHex(main.tip().hash)).toBe(toHex(a1?.hash as Uint8Array))
    expect(await judged(main, b1)).toBe('invalid KNOWN_INVALID')
    expect(await judged(main, blockOn(devnet, b2.block.header, []))).toBe('invalid KNOWN_INVALID')
    expect(main.balance(devnet.accounts[0]?.publicKey as Uint8Array)).toBe(1_000_000_000_000n)
    expect(await judged(main, nextBlock(devnet, main))).toBe('extended')
  })
})
