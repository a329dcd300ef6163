/**
 * The BlockStore contract, run against the memory store and the LevelDB one (in a temp
 * dir under os.tmpdir()), plus what only LevelDB has: the lock another process holds, the
 * format version, a path that cannot be opened.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BlockStore, StoreChange, StoredBlock } from '../../src/chain/store/block-store.ts'
import { isStoreError, StoreErrorCode, type StoreErrorCodeValue } from '../../src/chain/store/errors.ts'
import { LevelBlockStore } from '../../src/chain/store/level-store.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { ChainPosition, Hash } from '../../src/chain/types.ts'

interface Harness {
  store: BlockStore
  /** Closes the store and opens it again: the same instance (memory) or a new one on the same dir. */
  reopen(): Promise<BlockStore>
  cleanup(): Promise<void>
}

async function memoryHarness(): Promise<Harness> {
  const store = new MemoryBlockStore()
  await store.open()
  return {
    store,
    async reopen() {
      await store.close()
      await store.open()
      return store
    },
    cleanup: () => store.close(),
  }
}

async function levelHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'paw-store-'))
  let store = new LevelBlockStore(dir)
  await store.open()
  return {
    get store() {
      return store
    },
    async reopen() {
      await store.close()
      store = new LevelBlockStore(dir)
      await store.open()
      return store
    },
    async cleanup() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function sha256(bytes: Uint8Array): Hash {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

function block(parent: Hash, height: number, totalWork: bigint, size = 100): StoredBlock {
  const encoded = randomBytes(size)
  return { hash: sha256(encoded), encoded: new Uint8Array(encoded), meta: { height, parent, totalWork } }
}

function position(b: StoredBlock): ChainPosition {
  return { hash: b.hash, height: b.meta.height, totalWork: b.meta.totalWork }
}

/** Blocks extending `from` (undefined: from a genesis), one unit of work each unless given. */
function chain(from: StoredBlock | undefined, length: number, work = 1n): StoredBlock[] {
  const blocks: StoredBlock[] = []
  let parent = from
  for (let i = 0; i < length; i++) {
    const next =
      parent === undefined
        ? block(new Uint8Array(32), 0, work)
        : block(parent.hash, parent.meta.height + 1, parent.meta.totalWork + work)
    blocks.push(next)
    parent = next
  }
  return blocks
}

/** The commit that makes `blocks` the best chain's top, after a fork at `removeAbove`. */
function extend(blocks: StoredBlock[], removeAbove?: number): StoreChange {
  const set = blocks.map((b): [number, Hash] => [b.meta.height, b.hash])
  return {
    blocks,
    bestChain: removeAbove === undefined ? { set } : { removeAbove, set },
    tip: position(blocks[blocks.length - 1] as StoredBlock),
  }
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCodeValue): Promise<void> {
  const err = await settle(promise)
  expect(isStoreError(err), `expected a StoreError ${code}, got ${String(err)}`).toBe(true)
  expect((err as { code: unknown }).code).toBe(code)
}

async function bestChain(store: BlockStore): Promise<Hash[]> {
  return store.getHashesFrom(0, 1_000)
}

const enc = new TextEncoder()

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

/** A promise's outcome, with its rejection handled at once (no unhandled-rejection noise). */
function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  )
}

describe.each([
  ['memory', memoryHarness],
  ['level', levelHarness],
])('BlockStore contract: %s', (_name, makeHarness) => {
  let h: Harness
  beforeEach(async () => {
    h = await makeHarness()
  })
  afterEach(async () => {
    await h.cleanup()
  })

  it('starts empty', async () => {
    expect(await h.store.getTip()).toBeUndefined()
    expect(await h.store.getBlock(new Uint8Array(32))).toBeUndefined()
    expect(await h.store.hasBlock(new Uint8Array(32))).toBe(false)
    expect(await h.store.getHashAtHeight(0)).toBeUndefined()
    expect(await bestChain(h.store)).toEqual([])
    expect(await collect(h.store.allState())).toEqual([])
    await h.store.commit({})
  })

  it('round-trips blocks, metadata, the index and the tip', async () => {
    const blocks = chain(undefined, 3)
    blocks[2] = {
      ...(blocks[2] as StoredBlock),
      meta: { ...(blocks[2] as StoredBlock).meta, totalWork: 2n ** 300n },
    }
    await h.store.commit(extend(blocks))
    for (const b of blocks) {
      const bytes = await h.store.getBlock(b.hash)
      expect(bytes).toEqual(b.encoded)
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype)
      expect(await h.store.getMeta(b.hash)).toEqual(b.meta)
      expect(await h.store.hasBlock(b.hash)).toBe(true)
      expect(await h.store.getHashAtHeight(b.meta.height)).toEqual(b.hash)
    }
    expect(await h.store.getTip()).toEqual(position(blocks[2] as StoredBlock))
    expect(await h.store.getHashesFrom(1, 1)).toEqual([blocks[1]?.hash])
    expect(await h.store.getHashesFrom(1, 10)).toEqual([blocks[1]?.hash, blocks[2]?.hash])
    expect(await h.store.getHashesFrom(3, 10)).toEqual([])
    expect(await h.store.getHashesFrom(0, 0)).toEqual([])
  })

  it('serves bytes the caller cannot change by mutating what it committed', async () => {
    const [genesis] = chain(undefined, 1) as [StoredBlock]
    const original = genesis.encoded.slice()
    await h.store.commit(extend([genesis]))
    genesis.encoded.fill(0)
    expect(await h.store.getBlock(genesis.hash)).toEqual(original)
  })

  it('moves the index on a reorg: a longer branch, then a shorter one with more work', async () => {
    const main = chain(undefined, 5)
    await h.store.commit(extend(main))
    const fork = main[2] as StoredBlock
    const longer = chain(fork, 3)
    await h.store.commit(extend(longer, 2))
    expect(await bestChain(h.store)).toEqual([...main.slice(0, 3), ...longer].map((b) => b.hash))
    expect(await h.store.getTip()).toEqual(position(longer[2] as StoredBlock))

    // Fork at 3, one heavy block at 4: height 5 must leave the index.
    const heavy = chain(longer[0], 1, 100n)
    await h.store.commit(extend(heavy, 3))
    expect(await bestChain(h.store)).toEqual([...main.slice(0, 3), longer[0], heavy[0]].map((b) => b?.hash))
    expect(await h.store.getHashAtHeight(5)).toBeUndefined()
    expect(await h.store.getTip()).toEqual(position(heavy[0] as StoredBlock))
    // Blocks are never deleted: the losing branches stay known.
    for (const b of [...main, ...longer]) expect(await h.store.hasBlock(b.hash)).toBe(true)
  })

  it('stores side-branch blocks without moving the tip', async () => {
    const main = chain(undefined, 3)
    await h.store.commit(extend(main))
    const side = chain(main[1], 1)
    await h.store.commit({ blocks: side })
    expect(await h.store.hasBlock((side[0] as StoredBlock).hash)).toBe(true)
    expect(await h.store.getTip()).toEqual(position(main[2] as StoredBlock))
    expect(await bestChain(h.store)).toEqual(main.map((b) => b.hash))
  })

  it('keeps undo records and state, deletes them on null, scans state in key order', async () => {
    const [genesis, next] = chain(undefined, 2) as [StoredBlock, StoredBlock]
    await h.store.commit({
      ...extend([genesis, next]),
      undo: [
        [genesis.hash, enc.encode('undo-0')],
        [next.hash, enc.encode('undo-1')],
      ],
      state: [
        [enc.encode('b'), enc.encode('2')],
        [enc.encode('a'), enc.encode('1')],
        [Uint8Array.of(0xff, 0x00), enc.encode('3')],
        [enc.encode('ab'), enc.encode('4')],
      ],
    })
    expect(await h.store.getUndo(next.hash)).toEqual(enc.encode('undo-1'))
    expect(await h.store.getState(enc.encode('a'))).toEqual(enc.encode('1'))
    const keys = (await collect(h.store.allState())).map(([key]) => [...key])
    expect(keys).toEqual([[0x61], [0x61, 0x62], [0x62], [0xff, 0x00]])

    await h.store.commit({ undo: [[genesis.hash, null]], state: [[enc.encode('a'), null]] })
    expect(await h.store.getUndo(genesis.hash)).toBeUndefined()
    expect(await h.store.getUndo(next.hash)).toEqual(enc.encode('undo-1'))
    expect(await h.store.getState(enc.encode('a'))).toBeUndefined()
    expect(await collect(h.store.allState())).toHaveLength(3)
  })

  it('scans state as of the call, not as later commits leave it', async () => {
    await h.store.commit({ state: [[enc.encode('k'), enc.encode('before')]] })
    const scan = h.store.allState()
    await h.store.commit({
      state: [
        [enc.encode('k'), enc.encode('after')],
        [enc.encode('z'), enc.encode('new')],
      ],
    })
    expect(await collect(scan)).toEqual([[enc.encode('k'), enc.encode('before')]])
  })

  it('writes nothing of a commit with one bad entry', async () => {
    const [genesis, next] = chain(undefined, 2) as [StoredBlock, StoredBlock]
    await h.store.commit(extend([genesis]))
    const bad = [
      { ...extend([next]), state: [[enc.encode('k'), 'not bytes' as unknown as Uint8Array]] },
      { ...extend([next]), undo: [[next.hash.subarray(1), enc.encode('short hash')]] },
      { blocks: [{ ...next, meta: { ...next.meta, height: -1 } }] },
      { blocks: [{ ...next, encoded: [1, 2, 3] as unknown as Uint8Array }] },
    ] as StoreChange[]
    for (const change of bad) await expectStoreError(h.store.commit(change), StoreErrorCode.InvalidChange)
    expect(await h.store.hasBlock(next.hash)).toBe(false)
    expect(await h.store.getHashAtHeight(1)).toBeUndefined()
    expect(await h.store.getTip()).toEqual(position(genesis))
    expect(await collect(h.store.allState())).toEqual([])
  })

  it('refuses a commit that would leave the tip off the index, writing nothing', async () => {
    const main = chain(undefined, 3)
    await h.store.commit(extend(main))
    const [next] = chain(main[2], 1) as [StoredBlock]
    const attempts: StoreChange[] = [
      // The tip moves but the index does not.
      { blocks: [next], tip: position(next) },
      // The index moves but the tip does not.
      { blocks: [next], bestChain: { set: [[3, next.hash]] } },
      // The tip's work disagrees with its metadata.
      { ...extend([next]), tip: { ...position(next), totalWork: 99n } },
      // A tip whose block is nowhere.
      { bestChain: { set: [[3, next.hash]] }, tip: position(next) },
      // The index would keep entries above the tip.
      { ...extend([next]), tip: position(main[1] as StoredBlock) },
    ]
    for (const change of attempts)
      await expectStoreError(h.store.commit(change), StoreErrorCode.InvalidChange)
    expect(await h.store.hasBlock(next.hash)).toBe(false)
    expect(await h.store.getTip()).toEqual(position(main[2] as StoredBlock))
    expect(await bestChain(h.store)).toEqual(main.map((b) => b.hash))
  })

  it('serialises concurrent commits, and a refused one does not stall the queue', async () => {
    const blocks = chain(undefined, 30)
    const commits = blocks.map((b) => h.store.commit(extend([b])))
    const refused = settle(h.store.commit({ state: [[enc.encode('k'), 7 as unknown as Uint8Array]] }))
    const invalidTip = settle(h.store.commit({ tip: position(blocks[0] as StoredBlock) }))
    const after = h.store.commit({ state: [[enc.encode('k'), enc.encode('v')]] })
    await Promise.all(commits)
    expect(await refused).toMatchObject({ code: StoreErrorCode.InvalidChange })
    expect(await invalidTip).toMatchObject({ code: StoreErrorCode.InvalidChange })
    await after
    expect(await bestChain(h.store)).toEqual(blocks.map((b) => b.hash))
    expect(await h.store.getTip()).toEqual(position(blocks[29] as StoredBlock))
    expect(await h.store.getState(enc.encode('k'))).toEqual(enc.encode('v'))
  })

  it('keeps everything across a close and a reopen', async () => {
    const main = chain(undefined, 4)
    const side = chain(main[1], 1)
    await h.store.commit({
      ...extend(main),
      undo: [[(main[3] as StoredBlock).hash, enc.encode('u')]],
      state: [[enc.encode('acct'), enc.encode('balance')]],
    })
    await h.store.commit({ blocks: side })
    const store = await h.reopen()
    expect(await store.getTip()).toEqual(position(main[3] as StoredBlock))
    expect(await bestChain(store)).toEqual(main.map((b) => b.hash))
    for (const b of [...main, ...side]) {
      expect(await store.getBlock(b.hash)).toEqual(b.encoded)
      expect(await store.getMeta(b.hash)).toEqual(b.meta)
    }
    expect(await store.getUndo((main[3] as StoredBlock).hash)).toEqual(enc.encode('u'))
    expect(await collect(store.allState())).toEqual([[enc.encode('acct'), enc.encode('balance')]])
    // The reopened store goes on from where it was, reorgs included.
    const branch = chain(main[1], 3)
    await store.commit(extend(branch, 1))
    expect(await bestChain(store)).toEqual([...main.slice(0, 2), ...branch].map((b) => b.hash))
  })

  it('lets queued commits finish on close, then rejects commits and reads', async () => {
    const [genesis] = chain(undefined, 1) as [StoredBlock]
    const pending = h.store.commit(extend([genesis]))
    const closed = h.store.close()
    await expectStoreError(
      h.store.commit({ state: [[enc.encode('k'), enc.encode('v')]] }),
      StoreErrorCode.Closed,
    )
    await pending
    await closed
    await expectStoreError(h.store.commit({}), StoreErrorCode.Closed)
    await expectStoreError(h.store.getBlock(genesis.hash), StoreErrorCode.Closed)
    await expectStoreError(h.store.getTip(), StoreErrorCode.Closed)
    const store = await h.reopen()
    expect(await store.getTip()).toEqual(position(genesis))
  })
})

describe('LevelBlockStore', () => {
  let dir: string
  const children: ChildProcess[] = []
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paw-store-'))
  })
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a database another process holds, naming the path, and opens once it is free', async () => {
    const holder = spawn(process.execPath, [join(import.meta.dirname, 'crash/holder.ts'), dir], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    children.push(holder)
    const [line] = (await once(holder.stdout as NodeJS.ReadableStream, 'data')) as [Buffer]
    expect(line.toString()).toBe('ready\n')

    const store = new LevelBlockStore(dir)
    const err = await settle(store.open())
    expect(isStoreError(err)).toBe(true)
    expect(err).toMatchObject({ code: StoreErrorCode.Locked, path: dir })
    expect((err as Error).message).toContain(dir)
    await expectStoreError(store.commit({}), StoreErrorCode.Closed)

    holder.stdin?.end()
    await once(holder, 'exit')
    await store.open()
    expect(await store.getTip()).toBeUndefined()
    await store.close()
  })

  it('refuses a second store on the same directory in the same process', async () => {
    const first = new LevelBlockStore(dir)
    await first.open()
    await expectStoreError(new LevelBlockStore(dir).open(), StoreErrorCode.Locked)
    await first.close()
  })

  it('refuses a database of another format version', async () => {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.put(Uint8Array.of(0x00), Uint8Array.of(0, 0, 0, 2))
    await db.close()
    await expectStoreError(new LevelBlockStore(dir).open(), StoreErrorCode.Incompatible)
  })

  it('refuses a path that is a file, naming it', async () => {
    const file = join(dir, 'not-a-dir')
    await writeFile(file, 'x')
    const err = await settle(new LevelBlockStore(file).open())
    expect(err).toMatchObject({ code: StoreErrorCode.OpenFailed, path: file })
    expect((err as Error).message).toContain(file)
  })

  it('commits without fsync when asked', async () => {
    const store = new LevelBlockStore(dir, { sync: false })
    await store.open()
    const [genesis] = chain(undefined, 1) as [StoredBlock]
    await store.commit(extend([genesis]))
    await store.close()
    const again = new LevelBlockStore(dir)
    await again.open()
    expect(await again.getTip()).toEqual(position(genesis))
    await again.close()
  })
})
