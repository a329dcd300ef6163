/**
 * Opening a chain's store, shared by the full chain and the header chain: an empty store
 * gets the genesis in one commit; a used one must hold this chain's genesis.
 */
import { equalBytes } from '../../wire/bytes.ts'
import { HASH_LENGTH, HEADER_VERSION } from '../encoding.ts'
import { genesisBlock } from '../genesis.ts'
import { blockHash } from '../hashing.ts'
import { workForTarget } from '../pow.ts'
import type { BlockStore, StoreChange } from '../store/block-store.ts'
import { StoreError, StoreErrorCode } from '../store/errors.ts'
import type { Block, ChainParams, ChainPosition } from '../types.ts'

/**
 * STORE_INCOMPATIBLE, saying what to do, if the stored genesis is of another header
 * version: data written before the header committed to the state (version 1) cannot be
 * upgraded in place, because every block hash changes with the header (docs/chain.md
 * "Header"). The chain is synced again from peers into an empty data directory.
 */
async function refuseOlderVersion(store: BlockStore, genesisHash: Uint8Array): Promise<void> {
  const version = (await store.getBlock(genesisHash))?.[0]
  if (version === undefined || version === HEADER_VERSION) return
  // A LevelDB store knows its directory (abstract-level-store.ts); the memory store has none.
  const path = (store as { path?: unknown }).path
  const where = typeof path === 'string' ? ` (${path})` : ''
  throw new StoreError(
    StoreErrorCode.Incompatible,
    `the block store${where} holds blocks of header version ${version}; this paw-node reads version ${HEADER_VERSION} only (it commits to the state; docs/chain.md "Header"). Move the chain data away (or delete it) and start again: the node syncs the chain anew`,
    typeof path === 'string' ? { path } : {},
  )
}

export interface OpenedStore {
  tip: ChainPosition
  genesisHash: Uint8Array
  /** True when this call wrote the genesis into an empty store. */
  created: boolean
}

/**
 * Opens `store` for `params`. For an empty store, `encodeGenesis` gives the bytes stored for
 * the genesis (a block or only its header) and `extra` any other entries of the same commit.
 * @throws StoreError STORE_INCOMPATIBLE if the store holds another chain's genesis
 */
export async function openChainStore(
  store: BlockStore,
  params: ChainParams,
  encodeGenesis: (genesis: Block) => Uint8Array,
  extra: Pick<StoreChange, 'state'> = {},
): Promise<OpenedStore> {
  await store.open()
  const genesis = genesisBlock(params)
  const genesisHash = blockHash(genesis.header)
  const stored = await store.getTip()
  if (stored !== undefined) {
    const atZero = await store.getHashAtHeight(0)
    if (atZero !== undefined && !equalBytes(atZero, genesisHash)) await refuseOlderVersion(store, atZero)
    if (atZero === undefined || !equalBytes(atZero, genesisHash)) {
      throw new StoreError(
        StoreErrorCode.Incompatible,
        `the block store holds another chain than ${params.chainId}`,
      )
    }
    return { tip: stored, genesisHash, created: false }
  }
  const tip = { hash: genesisHash, height: 0, totalWork: workForTarget(genesis.header.target) }
  await store.commit({
    blocks: [
      {
        hash: genesisHash,
        encoded: encodeGenesis(genesis),
        meta: { height: 0, parent: new Uint8Array(HASH_LENGTH), totalWork: tip.totalWork },
      },
    ],
    bestChain: { set: [[0, genesisHash]] },
    tip,
    ...extra,
  })
  return { tip, genesisHash, created: true }
}
