/**
 * Block stores for chain tests, memory and LevelDB (in a temp dir), with a way to get the
 * store back after the chain closed it, as a restart would.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import type { BlockStore } from '../../src/chain/store/block-store.ts'
import { LevelBlockStore } from '../../src/chain/store/level-store.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { Address } from '../../src/chain/types.ts'
import { TestChain } from './chain-builder.ts'

/** A day after the devnet genesis: every test block's timestamp is in the past. */
export const NOW = PAW_DEVNET.genesisTimestamp + 86_400_000
/** Where competing branches' coinbases pay, so their blocks differ from the main ones. */
export const OTHER: Address = new Uint8Array(32).fill(0x0b)

export interface Harness {
  store: BlockStore
  /** Gives a closed store back: the same instance (memory) or a new one on the same dir (LevelDB). */
  reopen(): Promise<BlockStore>
  cleanup(): Promise<void>
}

export async function memoryHarness(): Promise<Harness> {
  const store = new MemoryBlockStore()
  return { store, reopen: async () => store, cleanup: () => store.close() }
}

export async function levelHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'paw-chain-'))
  let store = new LevelBlockStore(dir)
  return {
    get store() {
      return store
    },
    async reopen() {
      await store.close()
      store = new LevelBlockStore(dir)
      return store
    },
    async cleanup() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A copy of `source` up to `height`, to build a competing branch on. */
export async function forkAt(source: TestChain, height: number): Promise<TestChain> {
  const fork = new TestChain(source.params)
  for (const block of source.blocks.slice(1, height + 1)) await fork.add(block, NOW)
  return fork
}
