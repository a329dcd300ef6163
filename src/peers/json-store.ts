/**
 * Where the peer layer keeps state that must survive a restart (the address book, bans):
 * one JSON document per store. Node homes use an atomically replaced file
 * (src/node/atomic-json-file.ts); browsers and tests use memory. Browser-safe.
 */

export interface JsonStore<T> {
  /** The saved document, or undefined if nothing was ever saved. @throws if it exists but cannot be read */
  load(): Promise<T | undefined>
  /** Replaces the document; after it resolves, a crash leaves either the old or the new one, whole. */
  save(document: T): Promise<void>
}

/** A store in memory (browsers without persistence, tests). Saves a deep copy. */
export class MemoryJsonStore<T> implements JsonStore<T> {
  #json: string | undefined

  async load(): Promise<T | undefined> {
    return this.#json === undefined ? undefined : (JSON.parse(this.#json) as T)
  }

  async save(document: T): Promise<void> {
    this.#json = JSON.stringify(document)
  }
}
