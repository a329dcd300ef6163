/**
 * A full node's chain: the reference chain and its mempool, bound together (the mempool
 * validates against the chain's tip state; the chain tells the mempool about new tips).
 * Used by the Node runtime (LevelDB) and by anything that runs a full node on another
 * store, in a browser or a test. Browser-safe.
 */

import { toHex } from '../wire/bytes.ts'
import { encodeTransaction } from './encoding.ts'
import { txHash } from './hashing.ts'
import { Mempool } from './mempool/index.ts'
import type { MempoolInit } from './mempool/options.ts'
import { ReferenceChain } from './reference-chain.ts'
import type { BlockStore } from './store/block-store.ts'
import type { ChainParams } from './types.ts'

export interface FullChain {
  chain: ReferenceChain
  mempool: Mempool
}

export async function openFullChain(init: {
  params: ChainParams
  store: BlockStore
  /** Mempool bounds (count, bytes); the rest is bound here. */
  mempool?: Pick<MempoolInit, 'maxCount' | 'maxBytes'>
}): Promise<FullChain> {
  // The mempool validates against the chain, which is opened with the mempool: bind late.
  let chain: ReferenceChain | undefined
  const mempool = new Mempool({
    ...init.mempool,
    txId: (tx) => toHex(txHash(tx)),
    txSize: (tx) => encodeTransaction(tx).length,
    validate: (tx, pending) => {
      if (chain === undefined) throw new TypeError('chain not open yet')
      chain.mempoolValidator()(tx, pending)
    },
  })
  chain = await ReferenceChain.open({ params: init.params, store: init.store, mempool })
  return { chain, mempool }
}
