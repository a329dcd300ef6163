/**
 * AbstractLevelBlockStore over memory-level, a real in-memory abstract-level database (no
 * mock): the store logic LevelDB and IndexedDB share, checked without either. A "location"
 * maps to one MemoryLevel kept across a close, which memory-level allows (its data survives
 * close and reopen), so a new store on the same location is a restart, as a reload is for
 * the browser's IndexedDB store. The LevelDB-only checks (the lock, fsync) stay in
 * test/chain/store.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HeaderChain } from '../../../src/chain/header-chain.ts'
import { PAW_DEVNET } from '../../../src/chain/params.ts'
import {
  AbstractLevelBlockStore,
  type AbstractLevelBlockStoreOptions,
  type LevelDatabase,
} from '../../../src/chain/store/abstract-level-store.ts'
import type { BlockStore, StoreChange, StoredBlock } from '../../../src/chain/store/block-store.ts'
import { isStoreError, StoreErrorCode, type StoreErrorCodeValue } from '../../../src/chain/store/errors.ts'
import { heightKey } from '../../../src/chain/store/keys.ts'
import type { ChainPosition, Hash } from '../../../src/chain/types.ts'
import { TestChain } from '../../support/chain-builder.ts'
import { NOW } from '../../support/store-harness.ts'

type Db = MemoryLevel<Uint8Array, Uint8Array>

/** memory-level databases by location: what a disk or IndexedDB keeps between two stores. */
let databases: Map<string, Db>

function database(location: string): Db {
  let db = databases.get(location)
  if (db === undefined) {
    db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    databases.set(location, db)
  }
  return db
}

function memoryLevelStore(
  location = 'headers',
  options?: AbstractLevelBlockStoreOptions,
): AbstractLevelBlockStore {
  return new AbstractLevelBlockStore(location, (at) => database(at), options)
}

/**
 * The store's view of a real database, to change one part of it in a test (memory-level's
 * #private fields rule out a Proxy or Object.create).
 */
function delegate(db: Db): LevelDatabase {
  return {
    supports: db.supports,
    open: () => db.open(),
    close: () => db.close(),
    get: (key) => db.get(key),
    has: (key) => db.has(key),
    put: (key, value, options) => db.put(key, value, options),
    batch: (operations, options) => db.batch(operations, options),
    keys: (options) => db.keys(options),
    iterator: (options) => db.iterator(options),
  }
}

function sha256(bytes: Uint8Array): Hash {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

function block(parent: Hash, height: number, totalWork: bigint): StoredBlock {
  const encoded = new Uint8Array(randomBytes(80))
  return { hash: sha256(encoded), encoded, meta: { height, parent, totalWork } }
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

function extend(blocks: StoredBlock[], removeAbove?: number): StoreChange {
  const set = blocks.map((b): [number, Hash] => [b.meta.height, b.hash])
  return {
    blocks,
    bestChain: removeAbove === undefined ? { set } : { removeAbove, set },
    tip: position(blocks.at(-1) as StoredBlock),
  }
}

function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  )
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCodeValue): Promise<unknown> {
  const err = await settle(promise)
  expect(isStoreError(err), `expected a StoreError ${code}, got ${String(err)}`).toBe(true)
  expect((err as { code: unknown }).code).toBe(code)
  return err
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

const bestChain = (store: BlockStore) => store.getHashesFrom(0, 1_000)
const enc = new TextEncoder()

beforeEach(() => {
  databases = new Map()
})

afterEach(async () => {
  for (const db of databases.values()) await db.close()
})

describe('AbstractLevelBlockStore on memory-level', () => {
  let store: AbstractLevelBlockStore
  beforeEach(async () => {
    store = memoryLevelStore()
    await store.open()
  })
  afterEach(async () => {
    await store.close()
  })

  it('starts empty', async () => {
    expect(await store.getTip()).toBeUndefined()
    expect(await store.hasBlock(new Uint8Array(32))).toBe(false)
    expect(await bestChain(store)).toEqual([])
    expect(await collect(store.allState())).toEqual([])
    await store.commit({})
  })

  it('round-trips blocks, metadata, the index and the tip, as plain Uint8Arrays', async () => {
    const blocks = chain(undefined, 3)
    await store.commit(extend(blocks))
    for (const b of blocks) {
      const bytes = await store.getBlock(b.hash)
      expect(bytes).toEqual(b.encoded)
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype)
      expect(await store.getMeta(b.hash)).toEqual(b.meta)
      expect(await store.hasBlock(b.hash)).toBe(true)
      expect(await store.getHashAtHeight(b.meta.height)).toEqual(b.hash)
    }
    expect(await store.getTip()).toEqual(position(blocks[2] as StoredBlock))
    expect(await store.getHashesFrom(1, 10)).toEqual([blocks[1]?.hash, blocks[2]?.hash])
    expect(await store.getHashesFrom(1, 1)).toEqual([blocks[1]?.hash])
    expect(await store.getHashesFrom(3, 10)).toEqual([])
    expect(await store.getHashesFrom(0, 0)).toEqual([])
  })

  it('moves the index on a reorg and keeps the losing branch', async () => {
    const main = chain(undefined, 5)
    await store.commit(extend(main))
    const heavy = chain(main[2], 1, 100n)
    await store.commit(extend(heavy, 2))
    expect(await bestChain(store)).toEqual([...main.slice(0, 3), ...heavy].map((b) => b.hash))
    expect(await store.getHashAtHeight(4)).toBeUndefined()
    expect(await store.getTip()).toEqual(position(heavy[0] as StoredBlock))
    for (const b of main) expect(await store.hasBlock(b.hash)).toBe(true)
  })

  it('keeps undo records and state, scans state in key order as of the call', async () => {
    const [genesis] = chain(undefined, 1) as [StoredBlock]
    await store.commit({
      ...extend([genesis]),
      undo: [[genesis.hash, enc.encode('undo')]],
      state: [
        [enc.encode('b'), enc.encode('2')],
        [enc.encode('a'), enc.encode('1')],
      ],
    })
    expect(await store.getUndo(genesis.hash)).toEqual(enc.encode('undo'))
    const scan = store.allState()
    await store.commit({ state: [[enc.encode('a'), null]] })
    expect(await collect(scan)).toEqual([
      [enc.encode('a'), enc.encode('1')],
      [enc.encode('b'), enc.encode('2')],
    ])
    expect(await store.getState(enc.encode('a'))).toBeUndefined()
  })

  it('writes nothing of a refused commit', async () => {
    const main = chain(undefined, 2)
    await store.commit(extend(main))
    const [next] = chain(main[1], 1) as [StoredBlock]
    await expectStoreError(
      store.commit({ blocks: [next], tip: position(next) }),
      StoreErrorCode.InvalidChange,
    )
    expect(await store.hasBlock(next.hash)).toBe(false)
    expect(await store.getTip()).toEqual(position(main[1] as StoredBlock))
  })

  it('lets queued commits finish on close, then rejects reads and commits', async () => {
    const [genesis] = chain(undefined, 1) as [StoredBlock]
    const pending = store.commit(extend([genesis]))
    const closed = store.close()
    await pending
    await closed
    await expectStoreError(store.getTip(), StoreErrorCode.Closed)
    await expectStoreError(store.commit({}), StoreErrorCode.Closed)
    await store.open()
    expect(await store.getTip()).toEqual(position(genesis))
  })

  it('resumes in a new store on the same location, reorgs included', async () => {
    const main = chain(undefined, 4)
    await store.commit({ ...extend(main), state: [[enc.encode('k'), enc.encode('v')]] })
    await store.close()
    store = memoryLevelStore()
    await store.open()
    expect(await store.getTip()).toEqual(position(main[3] as StoredBlock))
    expect(await bestChain(store)).toEqual(main.map((b) => b.hash))
    expect(await collect(store.allState())).toEqual([[enc.encode('k'), enc.encode('v')]])
    const branch = chain(main[1], 3)
    await store.commit(extend(branch, 1))
    expect(await bestChain(store)).toEqual([...main.slice(0, 2), ...branch].map((b) => b.hash))
  })
})

describe('AbstractLevelBlockStore open-time checks and the database it is given', () => {
  it('refuses a database with data but no format version, and another format version', async () => {
    await database('foreign').put(enc.encode('x'), enc.encode('y'))
    await expectStoreError(memoryLevelStore('foreign').open(), StoreErrorCode.Incompatible)
    await database('newer').put(Uint8Array.of(0x00), Uint8Array.of(0, 0, 0, 2))
    const err = await expectStoreError(memoryLevelStore('newer').open(), StoreErrorCode.Incompatible)
    expect(err).toMatchObject({ path: 'newer' })
  })

  it('refuses a tip the index disagrees with', async () => {
    const store = memoryLevelStore('broken')
    await store.open()
    await store.commit(extend(chain(undefined, 3)))
    await store.close()
    const db = database('broken')
    await db.open()
    await db.del(heightKey(2))
    await expectStoreError(memoryLevelStore('broken').open(), StoreErrorCode.Corrupt)
  })

  it('maps a failed open: the LEVEL_LOCKED code with the hint, anything else as OpenFailed', async () => {
    class LockedLevel extends MemoryLevel<Uint8Array, Uint8Array> {
      // abstract-level's private open, failing as classic-level does on a held LOCK file.
      async _open(): Promise<void> {
        throw Object.assign(new Error('held elsewhere'), { code: 'LEVEL_LOCKED' })
      }
    }
    const locked = new AbstractLevelBlockStore('held', () => new LockedLevel({ keyEncoding: 'view' }), {
      lockedHint: 'is another tab using it?',
    })
    const err = await expectStoreError(locked.open(), StoreErrorCode.Locked)
    expect((err as Error).message).toContain('held')
    expect((err as Error).message).toContain('is another tab using it?')
    await expectStoreError(locked.commit({}), StoreErrorCode.Closed)

    const failing = new AbstractLevelBlockStore('nowhere', () => {
      throw new Error('no database here')
    })
    const failed = await expectStoreError(failing.open(), StoreErrorCode.OpenFailed)
    expect((failed as Error).message).toContain('no database here')
  })

  it('passes its write options through to every batch and put', async () => {
    const seen: unknown[] = []
    const db = database('recorded')
    const recording: LevelDatabase = {
      ...delegate(db),
      put(key, value, options) {
        seen.push(options)
        return db.put(key, value, options)
      },
      batch(operations, options) {
        seen.push(options)
        return db.batch(operations, options)
      },
    }
    const store = new AbstractLevelBlockStore('recorded', () => recording, { writeOptions: { sync: false } })
    await store.open()
    await store.commit(extend(chain(undefined, 1)))
    await store.close()
    expect(seen).toHaveLength(2)
    for (const options of seen) expect(options).toMatchObject({ sync: false })
  })

  it('scans state through the commit queue on a database without implicit snapshots', async () => {
    // browser-level's case: its manifest says so. memory-level with the flag cleared runs the
    // same code path on a real database.
    const db = database('no-snapshots')
    const lying: LevelDatabase = { ...delegate(db), supports: { implicitSnapshots: false } }
    const store = new AbstractLevelBlockStore('no-snapshots', () => lying)
    await store.open()
    await store.commit({ state: [[enc.encode('k'), enc.encode('before')]] })
    const scan = store.allState()
    const later = store.commit({ state: [[enc.encode('z'), enc.encode('new')]] })
    expect(await collect(scan)).toEqual([[enc.encode('k'), enc.encode('before')]])
    await later
    expect(await collect(store.allState())).toHaveLength(2)
    await store.close()
  })
})

describe('HeaderChain on an abstract-level store', () => {
  it('keeps the headers it added and resumes at the same tip when reopened', async () => {
    const source = new TestChain()
    for (let i = 0; i < 4; i++) await source.extend()
    const open = (store: BlockStore) => HeaderChain.open({ params: PAW_DEVNET, store, now: () => NOW })

    let headers = await open(memoryLevelStore('paw-devnet-headers'))
    await headers.addHeaders(source.blocks.slice(1).map((b) => b.header))
    const tip = headers.tip()
    expect(tip.height).toBe(4)
    await headers.close()

    headers = await open(memoryLevelStore('paw-devnet-headers'))
    expect(headers.tip()).toEqual(tip)
    expect(await headers.getHeaderAtHeight(2)).toEqual(source.blocks[2]?.header)
    await headers.close()
  })
})
