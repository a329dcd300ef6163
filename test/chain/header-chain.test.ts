import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { type ChainErrorCodeValue, isChainError } from '../../src/chain/errors.ts'
import { genesisBlock, genesisHash } from '../../src/chain/genesis.ts'
import { blockHash } from '../../src/chain/hashing.ts'
import { HeaderBatchError, HeaderChain, type HeaderChainEvents } from '../../src/chain/header-chain.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import { bigIntToTarget, meetsTarget, targetToBigInt } from '../../src/chain/pow.ts'
import { ReferenceChain } from '../../src/chain/reference-chain.ts'
import type { BlockStore } from '../../src/chain/store/block-store.ts'
import { isStoreError } from '../../src/chain/store/errors.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { Address, Block, BlockHeader } from '../../src/chain/types.ts'
import { toHex } from '../../src/wire/bytes.ts'
import { alice, bob, coinbase, MINER, TestChain } from '../support/chain-builder.ts'
import { forkAt, type Harness, levelHarness, memoryHarness, NOW, OTHER } from '../support/store-harness.ts'

const FORK_HEIGHT = 3

async function grow(chain: TestChain, count: number, miner: Address): Promise<Block[]> {
  const blocks: Block[] = []
  for (let i = 0; i < count; i++) {
    const height = chain.tip.height + 1
    blocks.push(await chain.extend({ coinbase: coinbase(height, PAW_DEVNET.blockReward, miner) }))
  }
  return blocks
}

async function refusal(promise: Promise<unknown>): Promise<ChainErrorCodeValue> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!isChainError(error)) throw new Error(`expected a ChainError, got ${String(error)}`)
  return error.code
}

function hex(headers: BlockHeader[]): string[] {
  return headers.map((header) => toHex(blockHash(header)))
}

/** Built once: a main chain of 6 blocks (one with a signed transfer) and two branches off height 3. */
let main: TestChain
/** Heights 4..7: more work than main's 4..6 from its 4th header on (the 3rd ties). */
let heavy: Block[]
/** Heights 4..5: less work than main. */
let light: Block[]
/** Valid children of main's tip, each breaking one header rule. */
let broken: Record<string, BlockHeader>

beforeAll(async () => {
  main = new TestChain()
  await grow(main, 2, MINER)
  await main.extend({
    transactions: [main.transfer(alice, bob.address, 5_000n)],
    coinbase: coinbase(3, PAW_DEVNET.blockReward + 1_000n),
  })
  const sideBase = await forkAt(main, FORK_HEIGHT)
  const lightBase = await forkAt(main, FORK_HEIGHT)
  await grow(main, 3, MINER)
  heavy = await grow(sideBase, 4, OTHER)
  light = await grow(lightBase, 2, bob.address)

  const next = (await main.build()).header
  let badPow = { ...next, nonce: next.nonce + 1n }
  while (meetsTarget(blockHash(badPow), badPow.target)) badPow = { ...badPow, nonce: badPow.nonce + 1n }
  const harder = bigIntToTarget(targetToBigInt(next.target) / 2n)
  broken = {
    BAD_HEIGHT: { ...next, height: next.height + 1 },
    UNKNOWN_PARENT: { ...next, previousHash: new Uint8Array(32).fill(0x11) },
    BAD_PROOF_OF_WORK: badPow,
    BAD_TARGET: (await main.build({ header: { target: harder } })).header,
    BAD_TIMESTAMP: (await main.build({ header: { timestamp: main.blocks[2]?.header.timestamp } })).header,
    WRONG_CHAIN: { ...next, chainId: 'paw-testnet' },
  }
})

describe.each([
  ['memory', memoryHarness],
  ['LevelDB', levelHarness],
])('HeaderChain on the %s store', (_, makeHarness) => {
  let harness: Harness
  let chain: HeaderChain

  function open(store: BlockStore): Promise<HeaderChain> {
    return HeaderChain.open({ params: PAW_DEVNET, store, now: () => NOW })
  }

  async function reopen(): Promise<void> {
    await chain.close()
    chain = await open(await harness.reopen())
  }

  async function addMain(): Promise<void> {
    await chain.addHeaders(main.blocks.slice(1).map((block) => block.header))
  }

  beforeEach(async () => {
    harness = await makeHarness()
    chain = await open(harness.store)
  })

  afterEach(async () => {
    await chain.close()
    await harness.cleanup()
  })

  it('writes the genesis header once and reopens to the same tip', async () => {
    const genesis = genesisBlock(PAW_DEVNET).header
    expect(chain.tip()).toMatchObject({ hash: genesisHash(PAW_DEVNET), height: 0 })
    expect(await chain.getHeaderAtHeight(0)).toEqual(genesis)
    const tip = chain.tip()

    await chain.close()
    const store = await harness.reopen()
    const commit = vi.spyOn(store, 'commit')
    chain = await open(store)
    expect(commit).not.toHaveBeenCalled()
    expect(chain.tip()).toEqual(tip)
    expect(await chain.getHeader(tip.hash)).toEqual(genesis)
  })

  it('extends with mined headers, announces each tip and serves them', async () => {
    const tips: Array<HeaderChainEvents['tip']['detail']> = []
    chain.addEventListener('tip', (event) => tips.push(event.detail))
    const headers = main.blocks.slice(1).map((block) => block.header)
    // Queued together: serialised, so each sees its parent stored.
    const outcomes = await Promise.all(headers.map((header) => chain.addHeader(header)))

    expect(outcomes).toEqual(headers.map(() => 'extended'))
    expect(chain.tip()).toMatchObject({ hash: blockHash(main.tip), height: main.tip.height })
    expect(hex(tips.map((t) => t.header))).toEqual(hex(headers))
    expect(await chain.getHeaders(0, 100)).toEqual(main.blocks.map((block) => block.header))
    expect(await chain.getHeaders(2, 2)).toEqual(headers.slice(1, 3))
    expect(await chain.getHeaderAtHeight(3)).toEqual(headers[2])
    expect(await chain.getHeader(blockHash(main.tip))).toEqual(main.tip)
    expect(await chain.getHeader(new Uint8Array(32))).toBeUndefined()
    expect(await chain.addHeader(main.tip)).toBe('duplicate')
    expect(tips).toHaveLength(headers.length)
  })

  it.each([
    'BAD_HEIGHT',
    'UNKNOWN_PARENT',
    'BAD_PROOF_OF_WORK',
    'BAD_TARGET',
    'BAD_TIMESTAMP',
    'WRONG_CHAIN',
  ])('refuses a header breaking a rule with %s and stores nothing', async (code) => {
    await addMain()
    const tip = chain.tip()
    const header = broken[code] as BlockHeader
    expect(await refusal(chain.addHeader(header))).toBe(code)
    expect(chain.tip()).toEqual(tip)
    expect(await chain.hasHeader(blockHash(header))).toBe(false)
    // The queue keeps going after a refusal.
    expect(await chain.addHeader(main.tip)).toBe('duplicate')
  })

  it('refuses a header too far in the future with BAD_TIMESTAMP', async () => {
    await addMain()
    const early = await HeaderChain.open({ params: PAW_DEVNET, store: harness.store, now: () => 0 })
    const next = (await main.build()).header
    expect(await refusal(early.addHeader(next))).toBe('BAD_TIMESTAMP')
  })

  it('stops a batch at the first refused header, keeping those before it', async () => {
    const headers = main.blocks.slice(1).map((block) => block.header)
    const batch = [...headers.slice(0, 3), { ...(headers[3] as BlockHeader), height: 9 }, ...headers.slice(4)]
    const error = await chain.addHeaders(batch).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(HeaderBatchError)
    expect(error).toMatchObject({ code: 'BAD_HEIGHT', index: 3 })
    expect(chain.tip()).toMatchObject({ hash: blockHash(headers[2] as BlockHeader), height: 3 })
    expect(await chain.addHeaders(headers)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'extended',
      'extended',
      'extended',
    ])
  })

  it('keeps the tip for a lighter side branch, validated against its own branch', async () => {
    await addMain()
    const tip = chain.tip()
    const reorgs: unknown[] = []
    chain.addEventListener('reorg', (event) => reorgs.push(event.detail))

    expect(await chain.addHeaders(light.map((block) => block.header))).toEqual(['side-branch', 'side-branch'])
    expect(chain.tip()).toEqual(tip)
    expect(reorgs).toEqual([])
    expect(await chain.getHeader(blockHash((light[1] as Block).header))).toEqual((light[1] as Block).header)
    expect(await chain.getHeaders(0, 100)).toEqual(main.blocks.map((block) => block.header))
    // A side-branch header breaking a rule is refused as on the best chain.
    const bad = { ...(light[1] as Block).header, height: 7 }
    expect(await refusal(chain.addHeader(bad))).toBe('BAD_HEIGHT')
  })

  it('reorgs to a heavier branch in one commit; the index and a reopen agree', async () => {
    await addMain()
    const reorgs: Array<HeaderChainEvents['reorg']['detail']> = []
    chain.addEventListener('reorg', (event) => reorgs.push(event.detail))
    const headers = heavy.map((block) => block.header)

    expect(await chain.addHeaders(headers.slice(0, 3))).toEqual(['side-branch', 'side-branch', 'side-branch'])
    expect(chain.tip().hash).toEqual(blockHash(main.tip)) // a tie keeps the tip
    const commit = vi.spyOn(harness.store, 'commit')
    expect(await chain.addHeader(headers[3] as BlockHeader)).toBe('reorg')
    expect(commit).toHaveBeenCalledTimes(1)

    const expected = [...main.blocks.slice(0, FORK_HEIGHT + 1).map((block) => block.header), ...headers]
    expect(chain.tip()).toMatchObject({ hash: blockHash(headers[3] as BlockHeader), height: 7 })
    expect(reorgs).toHaveLength(1)
    expect(hex(reorgs[0]?.disconnected ?? [])).toEqual(
      hex(main.blocks.slice(FORK_HEIGHT + 1).map((b) => b.header)),
    )
    expect(hex(reorgs[0]?.connected ?? [])).toEqual(hex(headers))
    expect(hex(await chain.getHeaders(0, 100))).toEqual(hex(expected))
    const tip = chain.tip()

    await reopen()
    expect(chain.tip()).toEqual(tip)
    expect(hex(await chain.getHeaders(0, 100))).toEqual(hex(expected))
    expect(await chain.getHeaderAtHeight(5)).toEqual(headers[1])
    // The old best chain stays known, as a side branch.
    expect(await chain.getHeader(blockHash(main.tip))).toEqual(main.tip)
    expect(await chain.addHeader(main.tip)).toBe('duplicate')
  })

  it('verifies a fetched body against a stored header', async () => {
    await addMain()
    const withTransfer = main.blocks[3] as Block
    await chain.verifyBody(withTransfer)
    await chain.verifyBody(main.blocks[1] as Block)
    await chain.verifyBody(genesisBlock(PAW_DEVNET))

    const [cb, tx] = withTransfer.transactions
    const changed = { ...withTransfer, transactions: [cb, { ...tx, amount: 4_000n }] } as Block
    expect(await refusal(chain.verifyBody(changed))).toBe('BAD_TX_ROOT')
    const dropped = { ...withTransfer, transactions: withTransfer.transactions.slice(0, 1) }
    expect(await refusal(chain.verifyBody(dropped))).toBe('BAD_TX_ROOT')
    const unknown = (await main.build()) as Block
    expect(await refusal(chain.verifyBody(unknown))).toBe('UNKNOWN_PARENT')
    const notGenesis = { ...genesisBlock(PAW_DEVNET), transactions: [] }
    expect(await refusal(chain.verifyBody(notGenesis))).toBe('BAD_TX_ROOT')
  })

  it('refuses to open a full node store', async () => {
    const fullStore = new MemoryBlockStore()
    await (await ReferenceChain.open({ params: PAW_DEVNET, store: fullStore })).close()
    const error = await HeaderChain.open({ params: PAW_DEVNET, store: fullStore }).catch(
      (err: unknown) => err,
    )
    expect(isStoreError(error) && error.code).toBe('STORE_INCOMPATIBLE')
  })
})
