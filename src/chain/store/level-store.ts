/**
 * The block store on LevelDB (classic-level), in the node's home. Node-only: imported by
 * src/node code, never reachable from src/index.ts. The store logic is shared with the
 * browser's IndexedDB store (abstract-level-store.ts); what is LevelDB's stays here: the
 * database itself and its `sync` write option.
 *
 * Crash safety: each commit is one LevelDB write batch, which LevelDB appends to its log
 * as one checksummed record before applying it, and replays whole or not at all after a
 * crash. So a block, its index entry and the tip pointing at it land together, and a
 * commit that resolved is in the log: with `sync` (the default) on the disk, without it at
 * least in the OS, which a killed process cannot take back. test/chain/store-crash.test.ts
 * kills a writer with SIGKILL and checks both.
 */
import { ClassicLevel } from 'classic-level'
import { AbstractLevelBlockStore } from './abstract-level-store.ts'

export interface LevelBlockStoreOptions {
  /**
   * fsync every commit before it resolves, so an acknowledged block also survives a power
   * cut or a kernel crash. Without it a killed process still loses nothing acknowledged.
   * @default true
   */
  sync?: boolean
}

export class LevelBlockStore extends AbstractLevelBlockStore {
  constructor(path: string, options: LevelBlockStoreOptions = {}) {
    super(path, (location, databaseOptions) => new ClassicLevel(location, databaseOptions), {
      // classic-level's own write option, on every put and batch (the base passes it through).
      writeOptions: { sync: options.sync ?? true },
      lockedHint: 'is another paw-node using this home?',
    })
  }
}
