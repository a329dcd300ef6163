/**
 * Each consensus rule: a block or transaction breaking exactly that rule (then re-mined,
 * so nothing else is wrong) is refused with the rule's ChainError code.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { BLOCK_PREFIX_LENGTH, MAX_U64, TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { type ChainErrorCodeValue, isChainError } from '../../src/chain/errors.ts'
import { blockHash, txRoot } from '../../src/chain/hashing.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import { bigIntToTarget, meetsTarget, targetToBigInt } from '../../src/chain/pow.ts'
import { newAccount } from '../../src/chain/signing.ts'
import { applyBlock, getAccount, StateOverlay, type StateView } from '../../src/chain/state.ts'
import { stateRootOf } from '../../src/chain/state-commitment.ts'
import type { Block, ChainParams, Transaction } from '../../src/chain/types.ts'
import {
  checkBlockBody,
  medianTimePast,
  validateBlock,
  validateHeader,
  validateTransaction,
} from '../../src/chain/validation.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { alice, bob, carol, coinbase, MINER, mine, reseal, TestChain } from '../support/chain-builder.ts'

/** The code a promise or call fails with, or 'ok'. */
async function outcome(run: () => unknown): Promise<ChainErrorCodeValue | 'ok'> {
  try {
    await run()
    return 'ok'
  } catch (error) {
    if (!isChainError(error)) throw error
    return error.code
  }
}

const reward = PAW_DEVNET.blockReward

describe('block validation', () => {
  // A chain with a few blocks of history, so the median-time rule has something to bite.
  const chain = new TestChain()
  const check = (block: Block, now?: number) =>
    outcome(() => validateBlock(block, chain.tip, chain.state, chain.context(now), chain.stateRootAfter))

  beforeAll(async () => {
    await chain.extend()
    await chain.extend({ transactions: [chain.transfer(alice, bob.address, 5_000n)] })
    await chain.extend()
  })

  it('accepts a valid block with transfers, and does not change the parent state', async () => {
    const before = new Map(chain.state)
    const block = await chain.build({
      transactions: [
        chain.transfer(alice, bob.address, 10n, { fee: 7n }),
        chain.transfer(bob, carol.address, 3n),
      ],
    })
    expect(await check(block)).toBe('ok')
    expect(chain.state).toEqual(before)
  })

  it('accepts several transfers from one sender with consecutive nonces', async () => {
    const { nonce } = getAccount(chain.state, alice.address)
    const block = await chain.build({
      transactions: [
        chain.transfer(alice, bob.address, 1n, { nonce }),
        chain.transfer(alice, bob.address, 2n, { nonce: nonce + 1n }),
        chain.transfer(alice, carol.address, 3n, { nonce: nonce + 2n }),
      ],
    })
    expect(await check(block)).toBe('ok')
  })

  describe('header rules', () => {
    it('MALFORMED: a header of an unknown version', async () => {
      const block = await chain.build()
      expect(await check({ ...block, header: { ...block.header, version: 1 } })).toBe('MALFORMED')
      expect(await check({ ...block, header: { ...block.header, version: 3 } })).toBe('MALFORMED')
    })

    it('WRONG_CHAIN: another chain ID', async () => {
      expect(await check(await chain.build({ header: { chainId: 'paw-testnet' } }))).toBe('WRONG_CHAIN')
    })

    it('BAD_HEIGHT: a height that skips one (coinbase nonce following it)', async () => {
      expect(await check(await chain.build({ header: { height: chain.tip.height + 2 } }))).toBe('BAD_HEIGHT')
    })

    it('UNKNOWN_PARENT: previousHash is not the parent hash', async () => {
      const previousHash = blockHash(chain.blocks[1]?.header as Block['header'])
      expect(await check(await chain.build({ header: { previousHash } }))).toBe('UNKNOWN_PARENT')
    })

    it('BAD_TIMESTAMP: not after the median of the previous blocks', async () => {
      const median = await medianTimePast(chain.tip, chain.context().getHeaderAtHeight)
      expect(await check(await chain.build({ header: { timestamp: median } }))).toBe('BAD_TIMESTAMP')
      expect(await check(await chain.build({ header: { timestamp: median + 1 } }))).toBe('ok')
    })

    it('BAD_TIMESTAMP: more than maxFutureDriftMs ahead of the clock', async () => {
      const now = chain.tip.timestamp + 10_000
      const latest = now + PAW_DEVNET.maxFutureDriftMs
      expect(await check(await chain.build({ header: { timestamp: latest + 1 } }), now)).toBe('BAD_TIMESTAMP')
      expect(await check(await chain.build({ header: { timestamp: latest } }), now)).toBe('ok')
    })

    it('BAD_TARGET: a target other than the required one (here, harder)', async () => {
      const harder = bigIntToTarget(targetToBigInt(PAW_DEVNET.initialTarget) / 2n)
      expect(await check(await chain.build({ header: { target: harder } }))).toBe('BAD_TARGET')
    })

    it('BAD_PROOF_OF_WORK: a hash above the target', async () => {
      const block = await chain.build()
      let header = { ...block.header }
      while (meetsTarget(blockHash(header), header.target)) header = { ...header, nonce: header.nonce + 1n }
      expect(await check({ ...block, header })).toBe('BAD_PROOF_OF_WORK')
    })

    it('validateHeader alone checks what a light node can', async () => {
      const block = await chain.build()
      expect(await outcome(() => validateHeader(block.header, chain.tip, chain.context()))).toBe('ok')
      const wrong = await mine({ ...block.header, height: block.header.height + 1 })
      expect(await outcome(() => validateHeader(wrong, chain.tip, chain.context()))).toBe('BAD_HEIGHT')
    })

    it('UNKNOWN_PARENT: the context lacks the branch headers the median time needs', async () => {
      const block = await chain.build()
      const context = { ...chain.context(), getHeaderAtHeight: () => undefined }
      expect(
        await outcome(() => validateBlock(block, chain.tip, chain.state, context, chain.stateRootAfter)),
      ).toBe('UNKNOWN_PARENT')
    })
  })

  describe('body rules', () => {
    it('BAD_TX_ROOT: txRoot does not commit to the transactions', async () => {
      const block = await chain.build({ transactions: [chain.transfer(alice, bob.address, 1n)] })
      const txRoot = block.header.txRoot.slice()
      txRoot[0] = (txRoot[0] as number) ^ 1
      expect(await check({ ...block, header: await mine({ ...block.header, txRoot }) })).toBe('BAD_TX_ROOT')
    })

    it('BAD_TX_ROOT: a transaction changed after mining', async () => {
      const block = await chain.build({ transactions: [chain.transfer(alice, bob.address, 1n)] })
      const moved = { ...block, transactions: [...block.transactions].reverse() }
      expect(await check(moved)).toBe('BAD_TX_ROOT')
    })

    it('BLOCK_TOO_LARGE: one transaction more than maxBlockBytes allows', async () => {
      const small: ChainParams = {
        ...PAW_DEVNET,
        maxBlockBytes: BLOCK_PREFIX_LENGTH + 2 * TRANSACTION_LENGTH,
      }
      const tight = new TestChain(small)
      const two = await tight.build({ transactions: [tight.transfer(alice, bob.address, 1n)] })
      expect(
        await outcome(() =>
          validateBlock(two, tight.tip, tight.state, tight.context(), tight.stateRootAfter),
        ),
      ).toBe('ok')
      const three = await tight.build({
        transactions: [tight.transfer(alice, bob.address, 1n), tight.transfer(bob, alice.address, 1n)],
      })
      expect(
        await outcome(() =>
          validateBlock(three, tight.tip, tight.state, tight.context(), tight.stateRootAfter),
        ),
      ).toBe('BLOCK_TOO_LARGE')
    })

    it('BLOCK_TOO_LARGE: the devnet limit, checked before anything is hashed', async () => {
      const block = await chain.build()
      const count = Math.floor((PAW_DEVNET.maxBlockBytes - BLOCK_PREFIX_LENGTH) / TRANSACTION_LENGTH) + 1
      const huge = {
        ...block,
        transactions: new Array<Transaction>(count).fill(block.transactions[0] as Transaction),
      }
      expect(await check(huge)).toBe('BLOCK_TOO_LARGE')
    })

    it('DUPLICATE_TRANSACTION: the same transfer twice', async () => {
      const tx = chain.transfer(alice, bob.address, 1n)
      expect(await check(await chain.build({ transactions: [tx, tx] }))).toBe('DUPLICATE_TRANSACTION')
    })

    it('DUPLICATE_TRANSACTION: the CVE-2012-2459 twin of a valid block (same txRoot, same hash)', async () => {
      const block = await chain.build({
        transactions: [chain.transfer(alice, bob.address, 1n), chain.transfer(bob, alice.address, 1n)],
      })
      expect(await check(block)).toBe('ok')
      const last = block.transactions[2] as Transaction
      const twin = { header: block.header, transactions: [...block.transactions, last] }
      expect(txRoot(twin.transactions)).toEqual(block.header.txRoot)
      expect(await check(twin)).toBe('DUPLICATE_TRANSACTION')
    })

    it('MALFORMED: a transaction field of the wrong length', async () => {
      const tx = { ...chain.transfer(alice, bob.address, 1n), to: new Uint8Array(31) }
      const block = await chain.build()
      expect(await check({ ...block, transactions: [...block.transactions, tx] })).toBe('MALFORMED')
    })
  })

  describe('coinbase rule (BAD_COINBASE)', () => {
    const transfer = () => chain.transfer(alice, bob.address, 100n, { fee: 25n })
    const height = () => chain.tip.height + 1

    it('no transactions at all', async () => {
      const block = await chain.build()
      expect(await check(await reseal({ ...block, transactions: [] }))).toBe('BAD_COINBASE')
    })

    it('the coinbase not first', async () => {
      const block = await chain.build({ transactions: [transfer()] })
      const swapped = await reseal({ ...block, transactions: [...block.transactions].reverse() })
      expect(await check(swapped)).toBe('BAD_COINBASE')
    })

    it('a second coinbase', async () => {
      const extra = coinbase(height(), 1n, bob.address)
      const block = await chain.build({ coinbase: coinbase(height(), reward + 1n) })
      expect(await check(await reseal({ ...block, transactions: [...block.transactions, extra] }))).toBe(
        'BAD_COINBASE',
      )
    })

    it.each([
      ['from a non-zero address', (cb: Transaction) => ({ ...cb, from: new Uint8Array(32).fill(1) })],
      ['nonce ≠ height', (cb: Transaction) => ({ ...cb, nonce: cb.nonce + 1n })],
      ['a non-zero signature', (cb: Transaction) => ({ ...cb, signature: new Uint8Array(64).fill(1) })],
      ['a fee (amount still reward + fees)', (cb: Transaction) => ({ ...cb, fee: 1n })],
      ['amount over reward + fees', (cb: Transaction) => ({ ...cb, amount: cb.amount + 1n })],
      ['amount without the fees', (cb: Transaction) => ({ ...cb, amount: reward })],
    ])('%s', async (_name, breakIt) => {
      const tx = transfer()
      const good = coinbase(height(), reward + tx.fee)
      expect(await check(await chain.build({ transactions: [tx], coinbase: good }))).toBe('ok')
      expect(await check(await chain.build({ transactions: [tx], coinbase: breakIt(good) }))).toBe(
        'BAD_COINBASE',
      )
    })

    it('pays the miner after the transfers: the reward is not spendable in its own block', async () => {
      const miner = newAccount()
      const spend = chain.transfer(miner, bob.address, 1n, { fee: 0n })
      const block = await chain.build({
        transactions: [spend],
        coinbase: coinbase(height(), reward, miner.address),
      })
      expect(await check(block)).toBe('INSUFFICIENT_BALANCE')
    })
  })

  describe('transaction rules in a block', () => {
    it('BAD_SIGNATURE: signed for another chain', async () => {
      const tx = chain.transfer(alice, bob.address, 1n, { chainId: 'paw-testnet' })
      expect(await check(await chain.build({ transactions: [tx] }))).toBe('BAD_SIGNATURE')
    })

    it('BAD_SIGNATURE: a field changed after signing', async () => {
      const tx = { ...chain.transfer(alice, bob.address, 1n), to: carol.address }
      expect(await check(await chain.build({ transactions: [tx] }))).toBe('BAD_SIGNATURE')
    })

    it('BAD_NONCE: skipping a nonce', async () => {
      const tx = chain.transfer(alice, bob.address, 1n, { nonce: 99n })
      expect(await check(await chain.build({ transactions: [tx] }))).toBe('BAD_NONCE')
    })

    it('BAD_NONCE: one sender, nonces not consecutive within the block', async () => {
      const first = chain.transfer(alice, bob.address, 1n)
      const again = chain.transfer(alice, bob.address, 2n, { nonce: first.nonce })
      expect(await check(await chain.build({ transactions: [first, again] }))).toBe('BAD_NONCE')
      const next = chain.transfer(alice, bob.address, 2n, { nonce: first.nonce + 1n })
      expect(await check(await chain.build({ transactions: [next, first] }))).toBe('BAD_NONCE')
    })

    it('INSUFFICIENT_BALANCE: an amount + fee over the balance', async () => {
      const pauper = newAccount()
      const tx = chain.transfer(pauper, bob.address, 1n, { fee: 0n })
      expect(await check(await chain.build({ transactions: [tx] }))).toBe('INSUFFICIENT_BALANCE')
    })

    it('INSUFFICIENT_BALANCE: the second transfer of a sender overspends', async () => {
      const fresh = newAccount()
      await chain.extend({ transactions: [chain.transfer(alice, fresh.address, 100n)] })
      const first = chain.transfer(fresh, bob.address, 60n, { fee: 0n })
      const second = chain.transfer(fresh, bob.address, 40n, { fee: 1n, nonce: 1n })
      expect(await check(await chain.build({ transactions: [first, second] }))).toBe('INSUFFICIENT_BALANCE')
    })

    it.each([
      ['amount 0', () => chain.transfer(alice, bob.address, 0n)],
      ['sender = recipient', () => chain.transfer(alice, alice.address, 1n)],
      ['amount + fee over a u64', () => chain.transfer(alice, bob.address, MAX_U64, { fee: 1n })],
    ])('BAD_TRANSACTION: %s', async (_name, make) => {
      expect(await check(await chain.build({ transactions: [make()] }))).toBe('BAD_TRANSACTION')
    })

    it('BAD_TRANSACTION: a recipient balance that would overflow a u64', async () => {
      const rich = newAccount()
      const params: ChainParams = {
        ...PAW_DEVNET,
        allocations: [...PAW_DEVNET.allocations, { address: rich.address, amount: MAX_U64 - 500_000_000n }],
      }
      const big = new TestChain(params)
      const tx = big.transfer(alice, rich.address, 1_000_000_000n)
      const block = await big.build({ transactions: [tx] })
      expect(
        await outcome(() => validateBlock(block, big.tip, big.state, big.context(), big.stateRootAfter)),
      ).toBe('BAD_TRANSACTION')
    })
  })
})

describe('retargeting under validation', () => {
  it('BAD_TARGET at a retarget height: blocks came fast, so the target must fall 4×', async () => {
    const chain = new TestChain()
    // Block 20's window is blocks 0..19: 19 block times expected (38 s), 19 ms taken.
    for (let i = 1; i < PAW_DEVNET.retargetInterval; i++) {
      await chain.extend({ header: { timestamp: chain.tip.timestamp + 1 } })
    }
    const keep = await chain.build({
      header: { target: chain.tip.target, timestamp: chain.tip.timestamp + 1 },
    })
    expect(await outcome(() => chain.add(keep))).toBe('BAD_TARGET')
    const retargeted = await chain.build({ header: { timestamp: chain.tip.timestamp + 1 } })
    expect(targetToBigInt(retargeted.header.target)).toBe(targetToBigInt(PAW_DEVNET.initialTarget) / 4n)
    expect(await outcome(() => chain.add(retargeted))).toBe('ok')
  })
})

describe('validateTransaction (mempool)', () => {
  const chain = new TestChain()
  const check = (tx: Transaction, state: StateView = chain.state) =>
    outcome(() => validateTransaction(tx, state, chain.params))

  it('accepts a valid transfer; a second from the same sender against a state with the first', async () => {
    const first = chain.transfer(alice, bob.address, 10n)
    expect(await check(first)).toBe('ok')
    const second = chain.transfer(alice, bob.address, 10n, { nonce: 1n })
    expect(await check(second)).toBe('BAD_NONCE')
    const pending = new StateOverlay(chain.state)
    applyBlock(pending, { header: { ...chain.tip, height: 1 }, transactions: [coinbase(1, 0n), first] })
    expect(await check(second, pending)).toBe('ok')
  })

  it.each([
    ['BAD_SIGNATURE', () => chain.transfer(alice, bob.address, 1n, { chainId: 'paw-mainnet' })],
    ['BAD_NONCE', () => chain.transfer(alice, bob.address, 1n, { nonce: 5n })],
    ['INSUFFICIENT_BALANCE', () => chain.transfer(alice, bob.address, 2_000_000n * 10n ** 8n)],
    ['BAD_TRANSACTION', () => chain.transfer(alice, bob.address, 0n)],
    ['BAD_TRANSACTION', () => coinbase(1, 5n, bob.address)],
    ['MALFORMED', () => ({ ...chain.transfer(alice, bob.address, 1n), signature: new Uint8Array(63) })],
    ['MALFORMED', () => ({ ...chain.transfer(alice, bob.address, 1n), fee: -1n })],
  ])('%s', async (code, make) => {
    expect(await check(make())).toBe(code)
  })
})

describe('state root rule (BAD_STATE_ROOT)', () => {
  /** The root of the whole state after `block`, from a fresh tree: independent of the chain's tree and its versions. */
  function rootFromScratch(chain: TestChain, block: Block): string {
    const after = new Map(chain.state)
    applyBlock(after, block)
    return toHex(stateRootOf(after))
  }

  it('a header carries the root of the state after its block; the state and the tree stay as they were', async () => {
    const chain = new TestChain()
    await chain.extend({ transactions: [chain.transfer(alice, bob.address, 7n)] })
    const block = await chain.build({
      transactions: [chain.transfer(bob, carol.address, 3n), chain.transfer(alice, newAccount().address, 5n)],
    })
    expect(toHex(block.header.stateRoot)).toBe(rootFromScratch(chain, block))
    expect(toHex(block.header.stateRoot)).not.toBe(toHex(chain.tip.stateRoot))
    const before = new Map(chain.state)
    const roots = chain.tree.roots.length
    const validated = await validateBlock(
      block,
      chain.tip,
      chain.state,
      chain.context(),
      chain.stateRootAfter,
    )
    expect(toHex(validated.stateRoot.root)).toBe(toHex(block.header.stateRoot))
    expect(chain.state).toEqual(before)
    expect(chain.tree.roots.length).toBe(roots)
  })

  it('refuses the parent root, a root one base unit off, and a random root', async () => {
    const chain = new TestChain()
    const check = (block: Block) =>
      outcome(() => validateBlock(block, chain.tip, chain.state, chain.context(), chain.stateRootAfter))
    const tx = chain.transfer(alice, bob.address, 1_000n)
    const good = await chain.build({ transactions: [tx] })
    expect(await check(good)).toBe('ok')
    expect(
      await check(await chain.build({ transactions: [tx], header: { stateRoot: chain.tip.stateRoot } })),
    ).toBe('BAD_STATE_ROOT')
    // What the block would commit to had bob received one base unit more.
    const after = new Map(chain.state)
    applyBlock(after, good)
    const bobKey = toHex(bob.address)
    const bobAfter = after.get(bobKey) as { balance: bigint; nonce: bigint }
    after.set(bobKey, { ...bobAfter, balance: bobAfter.balance + 1n })
    expect(
      await check(await chain.build({ transactions: [tx], header: { stateRoot: stateRootOf(after) } })),
    ).toBe('BAD_STATE_ROOT')
    const random = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff)
    expect(await check(await chain.build({ transactions: [tx], header: { stateRoot: random } }))).toBe(
      'BAD_STATE_ROOT',
    )
  })
})

describe('checkBlockBody', () => {
  it('checks a body against a header without state', async () => {
    const chain = new TestChain()
    const block = await chain.build({ transactions: [chain.transfer(alice, bob.address, 1n)] })
    expect(await outcome(() => checkBlockBody(block, chain.params))).toBe('ok')
    const tampered = { ...block, transactions: [coinbase(1, 1n, MINER), block.transactions[1]] }
    expect(await outcome(() => checkBlockBody(tampered as Block, chain.params))).toBe('BAD_TX_ROOT')
  })
})
