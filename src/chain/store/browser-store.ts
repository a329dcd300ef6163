/**
 * The block store in a browser, on IndexedDB (browser-level), so a light node's headers
 * survive a reload: reopened under the same name, the store resumes at the tip it had.
 * Browser-safe: no classic-level, no node: module (test/chain/store/browser-store.test.ts
 * checks the imports).
 *
 * Each commit is one browser-level batch, that is one IndexedDB readwrite transaction,
 * which the browser applies whole or not at all, so a closed tab or a crash never leaves a
 * header, its index entry and the tip apart.
 *
 * One store per database at a time: IndexedDB has no lock like LevelDB's, and two tabs
 * writing the same database would each trust a cached tip the other moved.
 */
import { BrowserLevel } from 'browser-level'
import { AbstractLevelBlockStore } from './abstract-level-store.ts'

export class IndexedDbBlockStore extends AbstractLevelBlockStore {
  /**
   * @param name The IndexedDB database's name, exactly (no prefix added), e.g.
   *   `paw-<chainId>-headers`: one database per chain, so chains never mix.
   */
  constructor(name: string) {
    // prefix '': browser-level's default 'level-js-' would rename the database the caller chose.
    super(name, (location, databaseOptions) => new BrowserLevel(location, { ...databaseOptions, prefix: '' }))
  }
}
