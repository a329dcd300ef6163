/**
 * Child process of test/chain/store-crash.test.ts: opens a LevelBlockStore at argv[2]
 * (without fsync if argv[3] is --no-sync) and commits synthetic blocks as fast as it can until it is killed (SIGKILL, at a random
 * moment). It continues from the stored tip, so successive runs grow one chain.
 *
 * A block is parent hash (32) | height u64 | 1–200 KiB of random bytes; its hash is the
 * SHA-256 of that. Each commit writes the block(s), their best-chain entries, the tip, an
 * undo record per block and the state key TIP_HEIGHT_KEY = tip height, in one commit;
 * every 10th commit is instead a reorg that drops the top 2 blocks and connects a branch
 * of 1–3 blocks with more work from the fork point.
 *
 * Stdout protocol, one line each, written synchronously (fs.writeSync on the pipe), so a
 * line printed before the kill reaches the parent:
 *   intent <tipHeight> <tipHash> <removeAbove|-> <height>:<hash>,...   before a commit
 *   acked <height> <hash>                   per best-chain entry, only after the commit resolved
 *   ready <height> <hash>                   once the store is open and holds a tip
 */
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { writeSync } from 'node:fs'
import type { StoreChange, StoredBlock } from '../../../src/chain/store/block-store.ts'
import { LevelBlockStore } from '../../../src/chain/store/level-store.ts'
import type { ChainPosition, Hash } from '../../../src/chain/types.ts'
import { TIP_HEIGHT_KEY, u64 } from './protocol.ts'

const MAX_BLOCK_BYTES = 200 * 1024
const REORG_EVERY = 10
const REORG_DEPTH = 2

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function out(line: string): void {
  writeSync(1, `${line}\n`)
}

function makeBlock(parent: Hash, height: number, parentWork: bigint, work: bigint): StoredBlock {
  const body = randomBytes(randomInt(1024, MAX_BLOCK_BYTES + 1))
  const encoded = new Uint8Array(32 + 8 + body.length)
  encoded.set(parent, 0)
  encoded.set(u64(height), 32)
  encoded.set(body, 40)
  const hash = new Uint8Array(createHash('sha256').update(encoded).digest())
  return { hash, encoded, meta: { height, parent, totalWork: parentWork + work } }
}

function blockWork(): bigint {
  return BigInt(randomInt(1, 1001))
}

/** Blocks extending `from`, the last one carrying `extraWork` more. */
function branch(from: ChainPosition, length: number, extraWork: bigint): StoredBlock[] {
  const blocks: StoredBlock[] = []
  let parent = from
  for (let i = 0; i < length; i++) {
    const block = makeBlock(
      parent.hash,
      parent.height + 1,
      parent.totalWork,
      blockWork() + (i === length - 1 ? extraWork : 0n),
    )
    blocks.push(block)
    parent = { hash: block.hash, height: block.meta.height, totalWork: block.meta.totalWork }
  }
  return blocks
}

async function commitBlocks(
  store: LevelBlockStore,
  blocks: StoredBlock[],
  removeAbove?: number,
): Promise<ChainPosition> {
  const last = blocks[blocks.length - 1] as StoredBlock
  const tip = { hash: last.hash, height: last.meta.height, totalWork: last.meta.totalWork }
  const set = blocks.map((block): [number, Hash] => [block.meta.height, block.hash])
  const change: StoreChange = {
    blocks,
    bestChain: removeAbove === undefined ? { set } : { removeAbove, set },
    tip,
    undo: blocks.map((block): [Hash, Uint8Array] => [block.hash, randomBytes(randomInt(16, 256))]),
    state: [[TIP_HEIGHT_KEY, u64(tip.height)]],
  }
  const entries = set.map(([height, hash]) => `${height}:${hex(hash)}`).join(',')
  out(`intent ${tip.height} ${hex(tip.hash)} ${removeAbove ?? '-'} ${entries}`)
  await store.commit(change)
  for (const [height, hash] of set) out(`acked ${height} ${hex(hash)}`)
  return tip
}

async function main(): Promise<void> {
  const [path, flag] = process.argv.slice(2)
  if (path === undefined) throw new Error('usage: writer.ts <store dir> [--no-sync]')
  const store = new LevelBlockStore(path, { sync: flag !== '--no-sync' })
  await store.open()
  let tip = await store.getTip()
  if (tip === undefined) {
    const genesis = makeBlock(new Uint8Array(32), 0, 0n, 1n)
    tip = await commitBlocks(store, [genesis])
  }
  out(`ready ${tip.height} ${hex(tip.hash)}`)
  for (let n = 1; ; n++) {
    if (n % REORG_EVERY === 0 && tip.height >= REORG_DEPTH) {
      const forkHeight = tip.height - REORG_DEPTH
      const forkHash = (await store.getHashAtHeight(forkHeight)) as Hash
      const forkMeta = await store.getMeta(forkHash)
      if (forkMeta === undefined) throw new Error(`no meta for the fork block at ${forkHeight}`)
      const fork = { hash: forkHash, height: forkHeight, totalWork: forkMeta.totalWork }
      const disconnectedWork = tip.totalWork - fork.totalWork
      tip = await commitBlocks(store, branch(fork, randomInt(1, 4), disconnectedWork), forkHeight)
    } else {
      tip = await commitBlocks(store, branch(tip, 1, 0n))
    }
  }
}

await main()
