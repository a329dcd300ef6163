/**
 * The block store on any abstract-level database: LevelDB in Node (level-store.ts), IndexedDB
 * in a browser (browser-store.ts), an in-memory one in tests. "Abstract" names abstract-level,
 * the interface these databases share, not an abstract class: the store is complete and gets
 * its database from a factory, so this file imports no implementation and stays
 * browser-safe (no classic-level, no node: module, not even abstract-level).
 *
 * Crash safety rests on the database: each commit is one `batch` call, which abstract-level
 * databases apply atomically (a LevelDB log record, an IndexedDB transaction), so a block,
 * its index entry and the tip pointing at it land together or not at all. The tip and the
 * top of the best-chain index are cached, read on open after a consistency check, and
 * replaced only after a commit's batch is written.
 */
import { equalBytes } from '../../wire/bytes.ts'
import { SerialQueue } from '../serial-queue.ts'
import type { ChainPosition, Hash } from '../types.ts'
import type { BlockMeta, BlockStore, StoreChange } from './block-store.ts'
import { checkTipInvariant, validateChange } from './change.ts'
import { StoreError, StoreErrorCode } from './errors.ts'
import {
  blockKey,
  FORMAT_VERSION,
  heightFromKey,
  heightKey,
  metaKey,
  Prefix,
  prefixRange,
  stateKey,
  TIP_KEY,
  undoKey,
  VERSION_KEY,
} from './keys.ts'
import type {
  LevelBatchOperation,
  LevelDatabase,
  LevelDatabaseFactory,
  LevelDatabaseOptions,
  LevelWriteOptions,
} from './level-database.ts'
import { decodeMeta, decodeTip, decodeVersion, encodeMeta, encodeTip, encodeVersion } from './records.ts'

export interface AbstractLevelBlockStoreOptions {
  /**
   * Passed through to every `put` and `batch`, for implementation-specific options such as
   * classic-level's `sync` (fsync): the store itself does not know them.
   */
  writeOptions?: LevelWriteOptions
  /**
   * Appended to the message of a STORE_LOCKED error, to say what likely holds the lock
   * (LevelDB: another paw-node on the same home).
   */
  lockedHint?: string
}

export type {
  LevelBatchOperation,
  LevelDatabase,
  LevelDatabaseFactory,
  LevelDatabaseOptions,
  LevelRangeOptions,
  LevelWriteOptions,
} from './level-database.ts'

type Lifecycle = 'closed' | 'opening' | 'open' | 'closing'

const DATABASE_OPTIONS: LevelDatabaseOptions = { keyEncoding: 'view', valueEncoding: 'view' }

/**
 * Some implementations hand out Buffers (classic-level); callers get plain Uint8Arrays (no
 * Buffer slice() surprise).
 */
function plain(bytes: Uint8Array): Uint8Array
function plain(bytes: Uint8Array | undefined): Uint8Array | undefined
function plain(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes === undefined ? undefined : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function levelCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function isLevelError(err: unknown): boolean {
  return levelCode(err)?.startsWith('LEVEL_') === true
}

export class AbstractLevelBlockStore implements BlockStore {
  /** Where the database is: a directory for LevelDB, a database name for IndexedDB. */
  readonly path: string
  readonly #createDatabase: LevelDatabaseFactory
  readonly #writeOptions: LevelWriteOptions
  readonly #lockedHint: string | undefined
  readonly #queue = new SerialQueue()
  #db: LevelDatabase | undefined
  #lifecycle: Lifecycle = 'closed'
  #transition: Promise<void> = Promise.resolve()
  /** Cached: read on open, replaced only after a commit's batch is written. */
  #tip: ChainPosition | undefined
  #topHeight = -1

  constructor(
    path: string,
    createDatabase: LevelDatabaseFactory,
    options: AbstractLevelBlockStoreOptions = {},
  ) {
    this.path = path
    this.#createDatabase = createDatabase
    this.#writeOptions = { ...options.writeOptions }
    this.#lockedHint = options.lockedHint
  }

  async open(): Promise<void> {
    if (this.#lifecycle === 'opening' || this.#lifecycle === 'closing') await this.#transition
    if (this.#lifecycle === 'open') return
    this.#lifecycle = 'opening'
    this.#transition = this.#open().then(
      () => {
        this.#lifecycle = 'open'
      },
      (err: unknown) => {
        this.#lifecycle = 'closed'
        throw err
      },
    )
    return this.#transition
  }

  async #open(): Promise<void> {
    let db: LevelDatabase
    try {
      db = this.#createDatabase(this.path, DATABASE_OPTIONS)
      await db.open()
    } catch (err) {
      throw this.#openError(err)
    }
    try {
      await this.#load(db)
    } catch (err) {
      await db.close().catch(() => {})
      throw isLevelError(err) ? this.#openError(err) : err
    }
    this.#db = db
  }

  /**
   * abstract-level reports a failed open as LEVEL_DATABASE_NOT_OPEN with the real cause
   * below; LEVEL_LOCKED and LEVEL_CORRUPTION are its standard codes for those causes.
   */
  #openError(err: unknown): StoreError {
    const path = this.path
    const cause = (err as { cause?: unknown } | null)?.cause ?? err
    const detail = cause instanceof Error ? cause.message : String(cause)
    switch (levelCode(cause)) {
      case 'LEVEL_LOCKED': {
        const hint = this.#lockedHint === undefined ? '' : ` (${this.#lockedHint})`
        return new StoreError(
          StoreErrorCode.Locked,
          `the block store at ${path} is locked by another process${hint}`,
          { path, cause: err },
        )
      }
      case 'LEVEL_CORRUPTION':
        return new StoreError(StoreErrorCode.Corrupt, `the block store at ${path} is corrupt: ${detail}`, {
          path,
          cause: err,
        })
      default:
        return new StoreError(
          StoreErrorCode.OpenFailed,
          `cannot open the block store at ${path}: ${detail}`,
          {
            path,
            cause: err,
          },
        )
    }
  }

  /** Checks the format and that the tip and the index agree (they are written together). */
  async #load(db: LevelDatabase): Promise<void> {
    const stored = await db.get(VERSION_KEY)
    if (stored === undefined) {
      const [anyKey] = await db.keys({ limit: 1 }).all()
      if (anyKey !== undefined) this.#incompatible('it holds data but no format version')
      await db.put(VERSION_KEY, encodeVersion(FORMAT_VERSION), this.#writeOptions)
    } else if (decodeVersion(stored, this.path) !== FORMAT_VERSION) {
      this.#incompatible(`format ${decodeVersion(stored, this.path)}, this node reads ${FORMAT_VERSION}`)
    }
    const tipBytes = await db.get(TIP_KEY)
    const tip = tipBytes === undefined ? undefined : decodeTip(tipBytes, this.path)
    const [topKey] = await db.keys({ ...prefixRange(Prefix.BestChain), reverse: true, limit: 1 }).all()
    const top = topKey === undefined ? -1 : heightFromKey(topKey)
    if (tip !== undefined) {
      const indexed = await db.get(heightKey(tip.height))
      const ok = top === tip.height && indexed !== undefined && equalBytes(indexed, tip.hash)
      if (!ok || !(await db.has(blockKey(tip.hash)))) {
        throw new StoreError(
          StoreErrorCode.Corrupt,
          `the block store at ${this.path}: tip and index disagree`,
          {
            path: this.path,
          },
        )
      }
    } else if (top !== -1) {
      throw new StoreError(StoreErrorCode.Corrupt, `the block store at ${this.path}: an index but no tip`, {
        path: this.path,
      })
    }
    this.#tip = tip
    this.#topHeight = top
  }

  #incompatible(why: string): never {
    throw new StoreError(
      StoreErrorCode.Incompatible,
      `the block store at ${this.path} is incompatible: ${why}`,
      {
        path: this.path,
      },
    )
  }

  async close(): Promise<void> {
    if (this.#lifecycle === 'opening') await this.#transition.catch(() => {})
    if (this.#lifecycle === 'closing') return this.#transition
    if (this.#lifecycle !== 'open') return
    this.#lifecycle = 'closing'
    this.#transition = (async () => {
      await this.#queue.idle()
      const db = this.#db
      this.#db = undefined
      try {
        await db?.close()
      } finally {
        this.#lifecycle = 'closed'
      }
    })()
    return this.#transition
  }

  #closedError(what: string): StoreError {
    return new StoreError(
      StoreErrorCode.Closed,
      `${what} on the block store at ${this.path}, which is not open`,
      {
        path: this.path,
      },
    )
  }

  /** Reads go on while a close waits for queued commits; after it they reject typed. */
  async #read<T>(read: (db: LevelDatabase) => Promise<T>): Promise<T> {
    const db = this.#db
    if (db === undefined) throw this.#closedError('a read')
    try {
      return await read(db)
    } catch (err) {
      if (levelCode(err) === 'LEVEL_DATABASE_NOT_OPEN') throw this.#closedError('a read')
      throw err
    }
  }

  getBlock(hash: Hash): Promise<Uint8Array | undefined> {
    return this.#read(async (db) => plain(await db.get(blockKey(hash))))
  }

  getMeta(hash: Hash): Promise<BlockMeta | undefined> {
    return this.#read((db) => this.#getMeta(db, hash))
  }

  async #getMeta(db: LevelDatabase, hash: Hash): Promise<BlockMeta | undefined> {
    const bytes = await db.get(metaKey(hash))
    return bytes === undefined ? undefined : decodeMeta(bytes, this.path)
  }

  hasBlock(hash: Hash): Promise<boolean> {
    return this.#read((db) => db.has(blockKey(hash)))
  }

  getHashAtHeight(height: number): Promise<Hash | undefined> {
    return this.#read(async (db) => plain(await db.get(heightKey(height))))
  }

  getHashesFrom(fromHeight: number, count: number): Promise<Hash[]> {
    return this.#read(async (db) => {
      if (count <= 0) return []
      const entries = await db
        .iterator({ gte: heightKey(fromHeight), lt: prefixRange(Prefix.BestChain).lt, limit: count })
        .all()
      const hashes: Hash[] = []
      for (const [key, hash] of entries) {
        if (heightFromKey(key) !== fromHeight + hashes.length) break
        hashes.push(plain(hash))
      }
      return hashes
    })
  }

  getTip(): Promise<ChainPosition | undefined> {
    return this.#read(async () => (this.#tip === undefined ? undefined : { ...this.#tip }))
  }

  getUndo(hash: Hash): Promise<Uint8Array | undefined> {
    return this.#read(async (db) => plain(await db.get(undoKey(hash))))
  }

  getState(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#read(async (db) => plain(await db.get(stateKey(key))))
  }

  allState(): AsyncIterable<[key: Uint8Array, value: Uint8Array]> {
    const db = this.#db
    if (db === undefined) throw this.#closedError('a state scan')
    if (db.supports.implicitSnapshots) {
      // Created now: such an iterator (classic-level, memory-level) reads from a snapshot
      // taken at its creation, and streams.
      const entries = db.iterator(prefixRange(Prefix.State))
      return (async function* () {
        for await (const [key, value] of entries) yield [plain(key.subarray(1)), plain(value)]
      })()
    }
    // Without implicit snapshots (browser-level reads IndexedDB in chunks, one transaction
    // each) a commit could land between two chunks. Queued now, the whole read runs before
    // any later commit: the same "as of the call", at the cost of holding the state in memory.
    const entries = this.#queue.run(() => db.iterator(prefixRange(Prefix.State)).all())
    // Handled here too: a scan nobody iterates must not fail as an unhandled rejection.
    entries.catch(() => {})
    return (async function* () {
      for (const [key, value] of await entries) yield [plain(key.subarray(1)), plain(value)]
    })()
  }

  commit(change: StoreChange): Promise<void> {
    const db = this.#db
    if (this.#lifecycle !== 'open' || db === undefined) return Promise.reject(this.#closedError('a commit'))
    try {
      validateChange(change)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#queue.run(async () => {
      const top = await checkTipInvariant(change, {
        tip: this.#tip,
        topHeight: this.#topHeight,
        getMeta: (hash) => this.#getMeta(db, hash),
        getHashAtHeight: async (height) => plain(await db.get(heightKey(height))),
      })
      const ops = this.#batch(change)
      if (ops.length > 0) {
        try {
          await db.batch(ops, this.#writeOptions)
        } catch (err) {
          throw new StoreError(
            StoreErrorCode.WriteFailed,
            `writing to the block store at ${this.path} failed: ${err instanceof Error ? err.message : err}`,
            { path: this.path, cause: err },
          )
        }
      }
      this.#topHeight = top
      if (change.tip !== undefined) this.#tip = { ...change.tip, hash: change.tip.hash.slice() }
    })
  }

  /** The change as one batch, in the order the memory store applies it. */
  #batch(change: StoreChange): LevelBatchOperation[] {
    const ops: LevelBatchOperation[] = []
    for (const { hash, encoded, meta } of change.blocks ?? []) {
      ops.push({ type: 'put', key: blockKey(hash), value: encoded })
      ops.push({ type: 'put', key: metaKey(hash), value: encodeMeta(meta) })
    }
    const { removeAbove, set = [] } = change.bestChain ?? {}
    if (removeAbove !== undefined) {
      for (let height = removeAbove + 1; height <= this.#topHeight; height++) {
        ops.push({ type: 'del', key: heightKey(height) })
      }
    }
    for (const [height, hash] of set) ops.push({ type: 'put', key: heightKey(height), value: hash })
    if (change.tip !== undefined) ops.push({ type: 'put', key: TIP_KEY, value: encodeTip(change.tip) })
    for (const [hash, record] of change.undo ?? []) {
      ops.push(
        record === null
          ? { type: 'del', key: undoKey(hash) }
          : { type: 'put', key: undoKey(hash), value: record },
      )
    }
    for (const [key, value] of change.state ?? []) {
      ops.push(
        value === null ? { type: 'del', key: stateKey(key) } : { type: 'put', key: stateKey(key), value },
      )
    }
    return ops
  }
}
