/**
 * Where the peer layer keeps state that must survive a restart (the address book, bans):
 * one JSON document per store. Node homes use an atomically replaced file
 * (src/node/atomic-json-file.ts); browsers and tests use memory. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import type { JsonStore } from '../api/stores.ts'

export type { JsonStore }

/** A store in memory (browsers without persistence, tests). Saves a deep copy. */
export class MemoryJsonStore<T> implements JsonStore<T> {
  #json: string | undefined

  async load(options: AbortOptions = {}): Promise<T | undefined> {
    options.signal?.throwIfAborted()
    return this.#json === undefined ? undefined : (JSON.parse(this.#json) as T)
  }

  async save(document: T, options: AbortOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    this.#json = JSON.stringify(document)
  }
}
