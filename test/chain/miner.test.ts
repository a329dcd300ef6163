/**
 * The miner on a ReferenceChain (memory store) with a real Mempool: blocks that pass full
 * validation, fee order, the coinbase, the state-overlay filter, stop() during a hard
 * search, a responsive event loop, a peer's block aborting the search, and a refused block.
 * Devnet targets (~4,096 hashes a block) for mining; a 2^228 target (~268M hashes) where
 * the miner must not find anything in the test's time.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TRANSACTION_LENGTH } from '../../src/chain/encoding.ts'
import { ChainError, ChainErrorCode } from '../../src/chain/errors.ts'
import { genesisBlock } from '../../src/chain/genesis.ts'
import { blockHash, txHash, txRoot } from '../../src/chain/hashing.ts'
import { Mempool, type PendingView } from '../../src/chain/mempool/index.ts'
import { coinbaseTransaction, Miner, type MinerChain, type MinerEvents } from '../../src/chain/miner.ts'
import { PAW_DEVNET, validateParams } from '../../src/chain/params.ts'
import { bigIntToTarget, meetsTarget, targetToBigInt } from '../../src/chain/pow.ts'
import { ReferenceChain } from '../../src/chain/reference-chain.ts'
import { newAccount, signTransaction } from '../../src/chain/signing.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { Address, Block, ChainParams, Transaction } from '../../src/chain/types.ts'
import { createLogger } from '../../src/logging.ts'
import { fromHex, toHex } from '../../src/wire/bytes.ts'
import { alice, bob, carol, TestChain } from '../support/chain-builder.ts'

const REWARD_ADDRESS: Address = new Uint8Array(32).fill(0x4d)
const OTHER: Address = new Uint8Array(32).fill(0x0b)

/** ~268M hashes a block: minutes for one core, so the miner finds nothing while a test runs. */
const HARD: ChainParams = {
  ...PAW_DEVNET,
  chainId: 'paw-miner-test',
  initialTarget: bigIntToTarget((1n << 228n) - 1n),
}
validateParams(HARD)

/**
 * A block at height 1 of HARD paying OTHER, mined once offline (about 653M hashes): the
 * "peer's block" that arrives while the miner searches the same height.
 */
function hardPeerBlock(): Block {
  const genesis = genesisBlock(HARD)
  const transactions = [coinbaseTransaction(1, HARD.blockReward, OTHER)]
  return {
    header: {
      version: 2,
      chainId: HARD.chainId,
      height: 1,
      previousHash: blockHash(genesis.header),
      timestamp: HARD.genesisTimestamp + 60_000,
      txRoot: txRoot(transactions),
      // The state after it: genesis plus the reward to OTHER (checked by the test that adds it).
      stateRoot: fromHex('9c5988fa165cf3488c8d12286fb1dc5714af2db23d2a0444ce475355f2f4bcf4'),
      target: HARD.initialTarget,
      nonce: 653_088_315n,
    },
    transactions,
  }
}

interface Harness {
  chain: ReferenceChain
  mempool: Mempool
  miner: Miner
  lines: string[]
}

const running: Harness[] = []

afterEach(async () => {
  for (const harness of running.splice(0)) {
    await harness.miner.stop()
    await harness.chain.close()
  }
})

async function setUp(
  options: {
    params?: ChainParams
    validate?: (chain: ReferenceChain) => (tx: Transaction, pending: PendingView) => void
    wrap?: (chain: ReferenceChain) => MinerChain
  } = {},
): Promise<Harness> {
  const params = options.params ?? PAW_DEVNET
  let chain: ReferenceChain | undefined
  const mempool = new Mempool({
    txId: (tx) => toHex(txHash(tx)),
    txSize: () => TRANSACTION_LENGTH,
    validate: (tx, pending) => {
      const opened = chain as ReferenceChain
      const validate = options.validate?.(opened) ?? opened.mempoolValidator()
      validate(tx, pending)
    },
  })
  chain = await ReferenceChain.open({ params, store: new MemoryBlockStore(), mempool })
  const lines: string[] = []
  const miner = new Miner({
    chain: options.wrap?.(chain) ?? chain,
    mempool,
    rewardAddress: REWARD_ADDRESS,
    log: createLogger({ level: 'debug', sink: (line) => lines.push(line) }),
  })
  const harness = { chain, mempool, miner, lines }
  running.push(harness)
  return harness
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function nextEvent<K extends keyof MinerEvents>(
  miner: Miner,
  type: K,
  accept: (detail: MinerEvents[K]['detail']) => boolean = () => true,
): Promise<MinerEvents[K]['detail']> {
  return new Promise((resolve) => {
    const listener = (event: MinerEvents[K]): void => {
      if (!accept(event.detail)) return
      miner.removeEventListener(type, listener)
      resolve(event.detail)
    }
    miner.addEventListener(type, listener)
  })
}

async function bestBlocks(chain: ReferenceChain): Promise<Block[]> {
  const blocks: Block[] = []
  for (let height = 1; height <= chain.tip().height; height++) {
    blocks.push((await chain.getBlockAtHeight(height)) as Block)
  }
  return blocks
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('Miner', () => {
  it('mines valid blocks through a retarget and logs each one', async () => {
    const { chain, miner, lines } = await setUp()
    miner.start()
    await waitFor(() => chain.tip().height >= 42, 10_000)
    await miner.stop()

    const blocks = await bestBlocks(chain)
    // Full validation of every block, independently of the chain that stored them.
    const replay = new TestChain(PAW_DEVNET)
    for (const block of blocks) await replay.add(block, Date.now())
    // The first window spans the time since genesis and stays at the easiest target (docs/chain.md);
    // the second came far faster than 2 s blocks, so the retarget at height 40 made mining 4× harder.
    const target = (height: number): bigint => targetToBigInt((blocks[height - 1] as Block).header.target)
    expect(target(39)).toBe(targetToBigInt(PAW_DEVNET.initialTarget))
    expect(target(40)).toBe(target(39) / 4n)

    const mined = lines.filter((line) => line.includes('INFO  mined block'))
    expect(mined.length).toBe(blocks.length)
    expect(mined[0]).toMatch(/mined block height=1 hash=[0-9a-f]{8}…[0-9a-f]{4} txs=0 fees=0 ms=\d+$/)
  })

  it('includes mempool transactions highest fee first and pays reward + fees to the reward address', async () => {
    const { chain, mempool, miner } = await setUp()
    const transfer = (from: typeof alice, fee: bigint, nonce = 0n): Transaction =>
      signTransaction(
        { from: from.address, to: OTHER, amount: 10_000n, fee, nonce },
        from.privateKey,
        'paw-devnet',
      )
    const aliceFirst = transfer(alice, 3_000n)
    const aliceSecond = transfer(alice, 5_000n, 1n)
    const bobs = transfer(bob, 1_000n)
    const carols = transfer(carol, 2_000n)
    for (const tx of [bobs, aliceFirst, carols, aliceSecond]) mempool.add(tx)

    const mined = nextEvent(miner, 'block')
    miner.start()
    const { block, stats } = await mined
    await miner.stop()

    // Alice's second pays most but cannot precede her first.
    expect(block.transactions.slice(1).map((tx) => toHex(txHash(tx)))).toEqual(
      [aliceFirst, aliceSecond, carols, bobs].map((tx) => toHex(txHash(tx))),
    )
    expect(stats).toMatchObject({ height: 1, transactions: 4, fees: 11_000n, outcome: 'extended' })
    expect(block.transactions[0]).toMatchObject({ amount: PAW_DEVNET.blockReward + 11_000n, nonce: 1n })
    expect(mempool.size).toBe(0)
    expect(chain.accountOf(OTHER).balance).toBe(40_000n)
    expect(chain.accountOf(REWARD_ADDRESS).balance).toBe(
      BigInt(chain.tip().height) * PAW_DEVNET.blockReward + 11_000n,
    )
  })

  it('leaves out transactions that would fail against the tip state', async () => {
    // A pool that admits anything: the miner's own state pass must keep the block valid.
    const { chain, mempool, miner } = await setUp({ validate: () => () => {} })
    const good = signTransaction(
      { from: alice.address, to: OTHER, amount: 1n, fee: 10n, nonce: 0n },
      alice.privateKey,
      'paw-devnet',
    )
    const badNonce = signTransaction(
      { from: bob.address, to: OTHER, amount: 1n, fee: 50n, nonce: 7n },
      bob.privateKey,
      'paw-devnet',
    )
    const pauper = newAccount()
    const unfunded = signTransaction(
      { from: pauper.address, to: OTHER, amount: 1n, fee: 40n, nonce: 0n },
      pauper.privateKey,
      'paw-devnet',
    )
    for (const tx of [good, badNonce, unfunded]) mempool.add(tx)

    const mined = nextEvent(miner, 'block')
    miner.start()
    const { block } = await mined
    await miner.stop()
    expect(block.transactions.slice(1).map((tx) => toHex(txHash(tx)))).toEqual([toHex(txHash(good))])
    await new TestChain(PAW_DEVNET).add(block, Date.now())
    expect(chain.tip().height).toBeGreaterThanOrEqual(1)
  })

  it('stops a hard search within 100 ms, and mines nothing after', async () => {
    const { chain, miner } = await setUp({ params: HARD })
    const searching = nextEvent(miner, 'template')
    miner.start()
    await searching
    await sleep(200)
    const started = performance.now()
    await miner.stop()
    expect(performance.now() - started).toBeLessThan(100)
    expect(miner.running).toBe(false)
    const height = chain.tip().height
    await sleep(150)
    expect(chain.tip().height).toBe(height)
  })

  it('keeps the event loop running while it searches', async () => {
    const { miner } = await setUp({ params: HARD })
    let ticks = 0
    const interval = setInterval(() => ticks++, 10)
    try {
      miner.start()
      await sleep(300)
    } finally {
      clearInterval(interval)
    }
    await miner.stop()
    // 30 at best; a blocked loop would give 0 or 1.
    expect(ticks).toBeGreaterThanOrEqual(10)
  })

  it("aborts the search when a peer's block takes the tip, and mines on it", async () => {
    const { chain, miner, lines } = await setUp({ params: HARD })
    const peerBlock = hardPeerBlock()
    const peerHash = blockHash(peerBlock.header)
    expect(meetsTarget(peerHash, HARD.initialTarget)).toBe(true)

    const onGenesis = nextEvent(miner, 'template', (detail) => detail.height === 1)
    miner.start()
    await onGenesis
    const onPeer = nextEvent(
      miner,
      'template',
      (detail) => detail.height === 2 && toHex(detail.previousHash) === toHex(peerHash),
    )
    const added = performance.now()
    expect(await chain.addBlock(peerBlock)).toBe('extended')
    await onPeer
    expect(performance.now() - added).toBeLessThan(200)
    await miner.stop()
    expect(toHex(chain.tip().hash)).toBe(toHex(peerHash))
    expect(lines.filter((line) => line.includes('mined block'))).toEqual([])
  })

  it('logs a refused block and keeps mining', async () => {
    let refusals = 0
    const { chain, miner, lines } = await setUp({
      wrap: (inner) =>
        new Proxy(inner, {
          get(target, property) {
            if (property === 'addBlock' && refusals === 0) {
              return async () => {
                refusals++
                throw new ChainError(ChainErrorCode.UnknownParent, 'a peer block won the race')
              }
            }
            const value = Reflect.get(target, property, target)
            return typeof value === 'function' ? value.bind(target) : value
          },
        }),
    })
    miner.start()
    await waitFor(() => chain.tip().height >= 2, 5_000)
    await miner.stop()
    expect(refusals).toBe(1)
    expect(lines.some((line) => line.includes('WARN  mined block refused code=UNKNOWN_PARENT'))).toBe(true)
  })
})
