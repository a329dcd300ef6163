/**
 * The block store in maps: for tests and the browser. Same contract as the LevelDB store
 * (test/chain/store.test.ts runs one suite against both): a commit is checked whole, then
 * applied synchronously, so it is all-or-nothing; the data outlives close() and a reopen
 * of the same instance sees it. Browser-safe.
 */
import { toHex } from '../../wire/bytes.ts'
import { SerialQueue } from '../serial-queue.ts'
import type { ChainPosition, Hash } from '../types.ts'
import type { BlockMeta, BlockStore, StoreChange } from './block-store.ts'
import { checkTipInvariant, validateChange } from './change.ts'
import { StoreError, StoreErrorCode } from './errors.ts'

type Lifecycle = 'closed' | 'open' | 'closing'

function copy(bytes: Uint8Array): Uint8Array {
  return bytes.slice()
}

export class MemoryBlockStore implements BlockStore {
  readonly #blocks = new Map<string, Uint8Array>()
  readonly #meta = new Map<string, BlockMeta>()
  readonly #bestChain = new Map<number, Hash>()
  readonly #undo = new Map<string, Uint8Array>()
  /** Keyed by hex, which sorts as the key bytes do. */
  readonly #state = new Map<string, [Uint8Array, Uint8Array]>()
  readonly #queue = new SerialQueue()
  #tip: ChainPosition | undefined
  #topHeight = -1
  #lifecycle: Lifecycle = 'closed'
  #closing: Promise<void> = Promise.resolve()

  async open(): Promise<void> {
    if (this.#lifecycle === 'closing') await this.#closing
    this.#lifecycle = 'open'
  }

  close(): Promise<void> {
    if (this.#lifecycle !== 'open') return this.#closing
    this.#lifecycle = 'closing'
    this.#closing = this.#queue.idle().then(() => {
      this.#lifecycle = 'closed'
    })
    return this.#closing
  }

  #readable(): void {
    if (this.#lifecycle === 'closed') {
      throw new StoreError(StoreErrorCode.Closed, 'the memory block store is not open')
    }
  }

  async getBlock(hash: Hash): Promise<Uint8Array | undefined> {
    this.#readable()
    return this.#blocks.get(toHex(hash))
  }

  async getMeta(hash: Hash): Promise<BlockMeta | undefined> {
    this.#readable()
    const meta = this.#meta.get(toHex(hash))
    return meta === undefined ? undefined : { ...meta }
  }

  async hasBlock(hash: Hash): Promise<boolean> {
    this.#readable()
    return this.#blocks.has(toHex(hash))
  }

  async getHashAtHeight(height: number): Promise<Hash | undefined> {
    this.#readable()
    return this.#bestChain.get(height)
  }

  async getHashesFrom(fromHeight: number, count: number): Promise<Hash[]> {
    this.#readable()
    const hashes: Hash[] = []
    for (let height = fromHeight; hashes.length < count; height++) {
      const hash = this.#bestChain.get(height)
      if (hash === undefined) break
      hashes.push(hash)
    }
    return hashes
  }

  async getTip(): Promise<ChainPosition | undefined> {
    this.#readable()
    return this.#tip === undefined ? undefined : { ...this.#tip }
  }

  async getUndo(hash: Hash): Promise<Uint8Array | undefined> {
    this.#readable()
    return this.#undo.get(toHex(hash))
  }

  async getState(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#readable()
    return this.#state.get(toHex(key))?.[1]
  }

  allState(): AsyncIterable<[key: Uint8Array, value: Uint8Array]> {
    this.#readable()
    const snapshot = [...this.#state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return (async function* () {
      for (const [, entry] of snapshot) yield entry
    })()
  }

  commit(change: StoreChange): Promise<void> {
    if (this.#lifecycle !== 'open') {
      return Promise.reject(new StoreError(StoreErrorCode.Closed, 'commit on a closed memory block store'))
    }
    try {
      validateChange(change)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#queue.run(async () => {
      const top = await checkTipInvariant(change, {
        tip: this.#tip,
        topHeight: this.#topHeight,
        getMeta: async (hash) => this.#meta.get(toHex(hash)),
        getHashAtHeight: async (height) => this.#bestChain.get(height),
      })
      this.#apply(change, top)
    })
  }

  /** Synchronous, after every check: nothing can fail half-way. */
  #apply(change: StoreChange, top: number): void {
    for (const { hash, encoded, meta } of change.blocks ?? []) {
      const key = toHex(hash)
      this.#blocks.set(key, copy(encoded))
      this.#meta.set(key, { height: meta.height, parent: copy(meta.parent), totalWork: meta.totalWork })
    }
    const { removeAbove, set = [] } = change.bestChain ?? {}
    if (removeAbove !== undefined) {
      for (let height = removeAbove + 1; height <= this.#topHeight; height++) this.#bestChain.delete(height)
    }
    for (const [height, hash] of set) this.#bestChain.set(height, copy(hash))
    this.#topHeight = top
    if (change.tip !== undefined) this.#tip = { ...change.tip, hash: copy(change.tip.hash) }
    for (const [hash, record] of change.undo ?? []) {
      if (record === null) this.#undo.delete(toHex(hash))
      else this.#undo.set(toHex(hash), copy(record))
    }
    for (const [key, value] of change.state ?? []) {
      if (value === null) this.#state.delete(toHex(key))
      else this.#state.set(toHex(key), [copy(key), copy(value)])
    }
  }
}
