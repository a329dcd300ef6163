/**
 * What the block store needs of an abstract-level database (abstract-level-store.ts): the
 * slice of the interface LevelDB (classic-level), IndexedDB (browser-level) and memory-level
 * share, declared here so the store imports none of them. Browser-safe.
 */

/** A key range, as abstract-level iterators take it: `gte`/`lt` bounds, a limit, a direction. */
export interface LevelRangeOptions {
  gte?: Uint8Array
  lt?: Uint8Array
  limit?: number
  reverse?: boolean
}

export type LevelBatchOperation =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array }

/**
 * Implementation-specific write options (classic-level's `sync`): the store does not read
 * them, it passes them to every `put` and `batch`.
 */
export type LevelWriteOptions = Readonly<Record<string, unknown>>

/**
 * The part of an abstract-level database (v3: classic-level, browser-level, memory-level)
 * the store uses, with byte keys and values. Structural rather than abstract-level's own
 * class type, whose first type parameter (the storage format) differs per implementation
 * and makes them not assignable to one another; and so this file needs no import of it.
 */
export interface LevelDatabase {
  /** abstract-level's manifest: whether an iterator reads from a snapshot taken at its creation. */
  readonly supports: { readonly implicitSnapshots: boolean }
  open(): Promise<void>
  close(): Promise<void>
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  has(key: Uint8Array): Promise<boolean>
  put(key: Uint8Array, value: Uint8Array, options: LevelWriteOptions): Promise<void>
  /** Applies every operation or none (the store's crash safety rests on it). */
  batch(operations: LevelBatchOperation[], options: LevelWriteOptions): Promise<void>
  keys(options: LevelRangeOptions): { all(): Promise<Uint8Array[]> }
  iterator(
    options: LevelRangeOptions,
  ): AsyncIterable<[Uint8Array, Uint8Array]> & { all(): Promise<Array<[Uint8Array, Uint8Array]>> }
}

/** The encodings the store needs: bytes in, bytes out, no string or JSON conversion. */
export interface LevelDatabaseOptions {
  keyEncoding: 'view'
  valueEncoding: 'view'
}

/**
 * Makes the (unopened) database at `location`: a directory for LevelDB, a database name for
 * IndexedDB. Called on every open: the store keeps no database object across a close, so a
 * reopen starts as a restart would (and a LevelDB LOCK is taken afresh).
 */
export type LevelDatabaseFactory = (location: string, options: LevelDatabaseOptions) => LevelDatabase
