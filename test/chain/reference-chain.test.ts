import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { encodeBlock, TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { type ChainErrorCodeValue, isChainError } from '../../src/chain/errors.ts'
import { genesisBlock, genesisHash } from '../../src/chain/genesis.ts'
import { blockHash, txHash } from '../../src/chain/hashing.ts'
import { Mempool } from '../../src/chain/mempool/index.ts'
import { DEVNET_ALLOCATION, PAW_DEVNET } from '../../src/chain/params.ts'
import { bigIntToTarget, meetsTarget } from '../../src/chain/pow.ts'
import { ReferenceChain } from '../../src/chain/reference-chain.ts'
import { getAccount } from '../../src/chain/state.ts'
import type { BlockStore } from '../../src/chain/store/block-store.ts'
import type { Address, Block, ChainEvents, Transaction } from '../../src/chain/types.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { alice, bob, carol, coinbase, MINER, TestChain } from '../support/chain-builder.ts'
import { forkAt, type Harness, levelHarness, memoryHarness, NOW, OTHER } from '../support/store-harness.ts'

const REWARD = PAW_DEVNET.blockReward
const ADDRESSES = [alice.address, bob.address, carol.address, MINER, OTHER]

/** Extends `chain` by a block paying `miner`, with `transactions` after the coinbase. */
function extend(chain: TestChain, miner: Address, transactions: Transaction[] = []): Promise<Block> {
  const height = chain.tip.height + 1
  const fees = transactions.reduce((sum, tx) => sum + tx.fee, 0n)
  return chain.extend({ transactions, coinbase: coinbase(height, REWARD + fees, miner) })
}

function hashes(blocks: Block[]): string[] {
  return blocks.map((block) => toHex(blockHash(block.header)))
}

async function refusal(promise: Promise<unknown>): Promise<ChainErrorCodeValue> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!isChainError(error)) throw new Error(`expected a ChainError, got ${String(error)}`)
  return error.code
}

describe.each([
  ['memory', memoryHarness],
  ['LevelDB', levelHarness],
])('ReferenceChain on the %s store', (_, makeHarness) => {
  let harness: Harness
  let chain: ReferenceChain
  let mempool: Mempool

  function open(store: BlockStore): Promise<ReferenceChain> {
    return ReferenceChain.open({ params: PAW_DEVNET, store, mempool, now: () => NOW })
  }

  async function reopen(): Promise<void> {
    await chain.close()
    chain = await open(await harness.reopen())
  }

  function expectStateOf(reference: TestChain): void {
    for (const address of ADDRESSES) {
      expect(chain.accountOf(address), toHex(address)).toEqual(getAccount(reference.state, address))
    }
  }

  beforeEach(async () => {
    harness = await makeHarness()
    mempool = new Mempool({
      txId: (tx) => toHex(txHash(tx)),
      txSize: () => TRANSACTION_LENGTH,
      validate: (tx, pending) => chain.mempoolValidator()(tx, pending),
    })
    chain = await open(harness.store)
  })

  afterEach(async () => {
    await chain.close()
    await harness.cleanup()
  })

  it('writes the genesis once and reopens to the same tip and state', async () => {
    const genesis = genesisBlock(PAW_DEVNET)
    expect(toHex(chain.tip().hash)).toBe(toHex(genesisHash(PAW_DEVNET)))
    expect(chain.tip().height).toBe(0)
    expect(chain.accountOf(alice.address)).toEqual({ balance: DEVNET_ALLOCATION, nonce: 0n })
    expect(await chain.getBlockAtHeight(0)).toEqual(genesis)
    expect(await chain.getEncodedBlock(chain.tip().hash)).toEqual(encodeBlock(genesis))
    const tip = chain.tip()

    await chain.close()
    const store = await harness.reopen()
    const commit = vi.spyOn(store, 'commit')
    chain = await open(store)
    expect(commit).not.toHaveBeenCalled()
    expect(chain.tip()).toEqual(tip)
    expect(chain.accountOf(alice.address)).toEqual({ balance: DEVNET_ALLOCATION, nonce: 0n })
    expect(chain.accountOf(MINER)).toEqual({ balance: 0n, nonce: 0n })
  })

  it('extends the tip, stores the block as given and announces it', async () => {
    const main = new TestChain()
    const tx = main.transfer(alice, bob.address, 5_000n)
    const block = await extend(main, MINER, [tx])
    const tips: Array<ChainEvents['tip']['detail']> = []
    chain.addEventListener('tip', (event) => tips.push(event.detail))

    expect(await chain.addBlock(block)).toBe('extended')
    const hash = blockHash(block.header)
    expect(chain.tip()).toMatchObject({ hash, height: 1 })
    expect(tips.map((t) => toHex(t.tip.hash))).toEqual([toHex(hash)])
    expectStateOf(main)
    expect(await chain.getEncodedBlock(hash)).toEqual(encodeBlock(block))
    expect(await chain.getBlockAtHeight(1)).toEqual(block)
    expect(await chain.getHeaders(0, 10)).toEqual(main.blocks.map((b) => b.header))
    expect(await chain.addBlock(block)).toBe('duplicate')
    expect(tips).toHaveLength(1)
  })

  it('stores a side branch with less work and keeps the tip', async () => {
    const main = new TestChain()
    await extend(main, MINER)
    await extend(main, MINER)
    const side = await forkAt(main, 0)
    const b1 = await extend(side, OTHER)
    for (const block of main.blocks.slice(1)) await chain.addBlock(block)

    expect(await chain.addBlock(b1)).toBe('side-branch')
    expect(chain.tip().hash).toEqual(blockHash(main.tip))
    expect(await chain.getBlock(blockHash(b1.header))).toEqual(b1)
    expect(await chain.getBlockAtHeight(1)).toEqual(main.blocks[1])
    expectStateOf(main)
  })

  it('reorgs to a heavier branch, rolling state back and forward, and restores the mempool', async () => {
    const main = new TestChain()
    const spent = main.transfer(alice, bob.address, 7_000n)
    const a1 = await extend(main, MINER, [spent])
    const side = await forkAt(main, 0)
    const b1 = await extend(side, OTHER, [side.transfer(carol, bob.address, 3_000n)])
    const b2 = await extend(side, OTHER)
    const reorgs: Array<ChainEvents['reorg']['detail']> = []
    chain.addEventListener('reorg', (event) => reorgs.push(event.detail))

    mempool.add(spent)
    expect(await chain.addBlock(a1)).toBe('extended')
    expect(mempool.has(toHex(txHash(spent)))).toBe(false)
    expect(await chain.addBlock(b1)).toBe('side-branch') // equal work: the first seen stays
    expect(await chain.addBlock(b2)).toBe('reorg')

    expect(chain.tip()).toMatchObject({ hash: blockHash(b2.header), height: 2 })
    expectStateOf(side)
    expect(chain.accountOf(alice.address)).toEqual({ balance: DEVNET_ALLOCATION, nonce: 0n })
    expect(chain.accountOf(MINER).balance).toBe(0n)
    expect(chain.accountOf(bob.address).balance).toBe(DEVNET_ALLOCATION + 3_000n)
    expect(reorgs).toHaveLength(1)
    expect(hashes(reorgs[0]?.disconnected ?? [])).toEqual(hashes([a1]))
    expect(hashes(reorgs[0]?.connected ?? [])).toEqual(hashes([b1, b2]))
    expect(mempool.has(toHex(txHash(spent)))).toBe(true)
    expect(await chain.getHeaders(0, 10)).toEqual(side.blocks.map((b) => b.header))

    // And forward again: the first branch grows heavier and wins back.
    const a2 = await extend(main, MINER)
    const a3 = await extend(main, MINER)
    expect(await chain.addBlock(a2)).toBe('side-branch')
    expect(await chain.addBlock(a3)).toBe('reorg')
    expectStateOf(main)
    expect(hashes(reorgs[1]?.disconnected ?? [])).toEqual(hashes([b1, b2]))
    expect(hashes(reorgs[1]?.connected ?? [])).toEqual(hashes([a1, a2, a3]))
    expect(mempool.has(toHex(txHash(spent)))).toBe(false)
  })

  it('reopens after a reorg with the same tip, state and headers, and can reorg back', async () => {
    const main = new TestChain()
    const a1 = await extend(main, MINER, [main.transfer(alice, bob.address, 7_000n)])
    const side = await forkAt(main, 0)
    const b1 = await extend(side, OTHER, [side.transfer(carol, alice.address, 3_000n)])
    const b2 = await extend(side, OTHER)
    for (const block of [a1, b1, b2]) await chain.addBlock(block)
    const tip = chain.tip()

    await reopen()
    expect(chain.tip()).toEqual(tip)
    expectStateOf(side)
    expect(await chain.getHeaders(0, 10)).toEqual(side.blocks.map((b) => b.header))
    expect(await chain.getBlock(blockHash(a1.header))).toEqual(a1)

    // The undo records of b1 and b2 survived the restart: the old branch can win back.
    await extend(main, MINER)
    await extend(main, MINER)
    for (const block of main.blocks.slice(2)) await chain.addBlock(block)
    expect(chain.tip().hash).toEqual(blockHash(main.tip))
    expectStateOf(main)
    await reopen()
    expectStateOf(main)
    expect(await chain.getHeaders(0, 10)).toEqual(main.blocks.map((b) => b.header))
  })

  const invalid: Array<[string, ChainErrorCodeValue, (t: TestChain) => Promise<Block>]> = [
    ['wrong chain', 'WRONG_CHAIN', (t) => t.build({ header: { chainId: 'paw-testnet' } })],
    ['wrong height', 'BAD_HEIGHT', (t) => t.build({ header: { height: 5 } })],
    [
      'a hash above its target',
      'BAD_PROOF_OF_WORK',
      async (t) => {
        const block = await t.build()
        let nonce = block.header.nonce
        while (meetsTarget(blockHash({ ...block.header, nonce }), block.header.target)) nonce++
        return { ...block, header: { ...block.header, nonce } }
      },
    ],
    [
      'a target retargeting does not require',
      'BAD_TARGET',
      (t) => t.build({ header: { target: bigIntToTarget((1n << 243n) - 1n) } }),
    ],
    [
      'a timestamp at the median',
      'BAD_TIMESTAMP',
      (t) => t.build({ header: { timestamp: t.tip.timestamp } }),
    ],
    [
      'a timestamp 3 h ahead',
      'BAD_TIMESTAMP',
      (t) => t.build({ header: { timestamp: NOW + 3 * 3_600_000 } }),
    ],
    ['a coinbase paying too much', 'BAD_COINBASE', (t) => t.build({ coinbase: coinbase(1, REWARD + 1n) })],
    [
      'a forged signature',
      'BAD_SIGNATURE',
      (t) => {
        const tx = t.transfer(alice, bob.address, 1_000n)
        return t.build({ transactions: [{ ...tx, amount: tx.amount + 1n }] })
      },
    ],
    [
      'a skipped nonce',
      'BAD_NONCE',
      (t) => t.build({ transactions: [t.transfer(alice, bob.address, 1_000n, { nonce: 1n })] }),
    ],
    [
      'a transfer over the balance',
      'INSUFFICIENT_BALANCE',
      (t) => t.build({ transactions: [t.transfer(alice, bob.address, DEVNET_ALLOCATION)] }),
    ],
  ]

  it.each(invalid)('refuses a block with %s (%s) and stores nothing', async (_, code, make) => {
    const block = await make(new TestChain())
    const tip = chain.tip()
    expect(await refusal(chain.addBlock(block))).toBe(code)
    expect(await chain.getBlock(blockHash(block.header))).toBeUndefined()
    expect(chain.tip()).toEqual(tip)
    expect(await refusal(chain.validateBlock(block))).toBe(code)
  })

  it('refuses a side-branch block failing a header rule, and a heavier branch failing a state rule', async () => {
    const main = new TestChain()
    const a1 = await extend(main, MINER)
    await chain.addBlock(a1)
    const side = new TestChain()
    const b1 = await side.build({ header: { target: bigIntToTarget((1n << 243n) - 1n) } })
    expect(await refusal(chain.addBlock(b1))).toBe('BAD_TARGET')
    expect(await chain.getBlock(blockHash(b1.header))).toBeUndefined()

    // b1 spends more than alice holds: stored while its branch is lighter, refused as b2 makes it heavier.
    const overspend = side.transfer(alice, bob.address, DEVNET_ALLOCATION)
    const bad = await side.build({
      transactions: [overspend],
      coinbase: coinbase(1, REWARD + overspend.fee, OTHER),
    })
    side.blocks.push(bad)
    const b2 = await side.build({ coinbase: coinbase(2, REWARD, OTHER) })
    expect(await chain.addBlock(bad)).toBe('side-branch')
    expect(await refusal(chain.addBlock(b2))).toBe('INSUFFICIENT_BALANCE')
    expect(await chain.getBlock(blockHash(b2.header))).toBeUndefined()
    expect(chain.tip().hash).toEqual(blockHash(a1.header))
    expectStateOf(main)
  })

  it('checks every state root: a branch block committing to a wrong state is refused when its branch would win', async () => {
    const main = new TestChain()
    const a1 = await extend(main, MINER)
    await chain.addBlock(a1)
    const side = new TestChain()
    const tx = side.transfer(alice, bob.address, 10n)
    // b1 is valid but for its stateRoot (the genesis root): stored while lighter, refused when b2 makes it heavier.
    const b1 = await side.build({
      transactions: [tx],
      coinbase: coinbase(1, REWARD + tx.fee, OTHER),
      header: { stateRoot: side.tip.stateRoot },
    })
    expect(await refusal(chain.validateBlock(b1))).toBe('BAD_STATE_ROOT')
    expect(await chain.addBlock(b1)).toBe('side-branch')
    side.blocks.push(b1)
    const b2 = await side.build({ coinbase: coinbase(2, REWARD, OTHER) })
    expect(await refusal(chain.addBlock(b2))).toBe('BAD_STATE_ROOT')
    expect(chain.tip().hash).toEqual(blockHash(a1.header))
    expectStateOf(main)
    // The tip's tree is untouched: a child of a1 with the right root is still accepted.
    expect(await chain.addBlock(await extend(main, MINER))).toBe('extended')
    expect(toHex(chain.stateTree.root)).toBe(toHex(main.tip.stateRoot))
  })

  it('rebuilds the state tree on reopen and serves the tip root', async () => {
    const main = new TestChain()
    await chain.addBlock(await extend(main, MINER, [main.transfer(alice, carol.address, 42n)]))
    await chain.addBlock(await extend(main, OTHER, [main.transfer(carol, bob.address, 2n, { fee: 0n })]))
    await reopen()
    expect(toHex(chain.stateTree.root)).toBe(toHex(main.tip.stateRoot))
    expect(await chain.addBlock(await extend(main, MINER))).toBe('extended')
    expectStateOf(main)
  })

  it('refuses a block whose parent it does not know', async () => {
    const main = new TestChain()
    await extend(main, MINER)
    const orphan = await extend(main, MINER)
    expect(await refusal(chain.addBlock(orphan))).toBe('UNKNOWN_PARENT')
  })

  it('serialises concurrent addBlock calls', async () => {
    const main = new TestChain()
    const [a1, a2, a3] = [await extend(main, MINER), await extend(main, MINER), await extend(main, MINER)]
    const side = await forkAt(main, 0)
    const b = []
    for (let i = 0; i < 4; i++)
      b.push(await extend(side, OTHER, i === 1 ? [side.transfer(bob, carol.address, 9n)] : []))
    const order = [a1, a2, b[0], a3, b[1], b[2], b[3], a1] as Block[]

    const outcomes = await Promise.all(order.map((block) => chain.addBlock(block)))
    expect(outcomes).toEqual([
      'extended',
      'extended',
      'side-branch',
      'extended',
      'side-branch',
      'side-branch',
      'reorg',
      'duplicate',
    ])
    expect(chain.tip()).toMatchObject({ hash: blockHash(side.tip), height: 4 })
    expectStateOf(side)
    expect(await chain.getHeaders(0, 10)).toEqual(side.blocks.map((block) => block.header))
    await reopen()
    expectStateOf(side)
  })
})
