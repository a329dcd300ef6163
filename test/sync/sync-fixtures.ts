/**
 * What the sync unit tests share: peers served from in-memory block lists (a BlockFetcher
 * over /paw/blocks/1's answer bounds, no network), an enforcer that records its charges, and
 * our own reference chain behind its port (src/chain/port/).
 */
import { encodeBlock, encodeHeader } from '../../src/chain/encoding.ts'
import { openFullChain } from '../../src/chain/full-chain.ts'
import { HeaderChain } from '../../src/chain/header-chain.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import { referenceFullPort } from '../../src/chain/port/full-port.ts'
import { referenceHeaderPort } from '../../src/chain/port/header-port.ts'
import { bigIntToTarget, MAX_TARGET_VALUE } from '../../src/chain/pow.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { Block, ChainParams } from '../../src/chain/types.ts'
import type { OffenceName } from '../../src/peers/offences.ts'
import type { BlockFetcher } from '../../src/sync/types.ts'
import { coinbase, TestChain } from '../support/chain-builder.ts'

/** A test chain whose every hash meets the target, without retargeting (test/support/chain-nodes.ts's, no node). */
export const params: ChainParams = {
  ...PAW_DEVNET,
  chainId: 'paw-test',
  genesisTimestamp: Date.now() - 3_600_000,
  initialTarget: bigIntToTarget(MAX_TARGET_VALUE),
  retargetInterval: 0,
}

/** A charge the sync made. */
export interface Charge {
  peer: string
  offence: OffenceName
  why: string
  context: string
}

export function recordingEnforcer() {
  const charges: Charge[] = []
  return {
    charges,
    charge(peer: string, offence: OffenceName, why: unknown, context: string): number {
      charges.push({ peer, offence, why: String(why), context })
      return 0
    },
  }
}

/** Peers and the blocks of their best chains (index = height), served as /paw/blocks/1 would. */
export class FakePeers implements BlockFetcher {
  readonly chains = new Map<string, Block[]>()
  /** Requests made, by kind. */
  readonly requests = { headers: 0, blocks: 0 }
  /** Replaces a peer's answer to get_blocks (a body that is not its header's). */
  tamperBlocks: ((peer: string, fromHeight: number, encoded: Uint8Array[]) => Uint8Array[]) | undefined
  /** Awaited before every answer (to hold a sync mid-way). */
  gate: (() => Promise<void>) | undefined

  serve(peer: string, blocks: readonly Block[]): this {
    this.chains.set(peer, [...blocks])
    return this
  }

  get peers(): string[] {
    return [...this.chains.keys()]
  }

  async getHeaders(peer: string, fromHeight: number, count: number): Promise<Uint8Array[]> {
    this.requests.headers++
    await this.gate?.()
    const blocks = this.#of(peer)
    return blocks.slice(fromHeight, fromHeight + Math.min(count, 512)).map((b) => encodeHeader(b.header))
  }

  async getBlocks(peer: string, fromHeight: number, count: number): Promise<Uint8Array[]> {
    this.requests.blocks++
    await this.gate?.()
    const encoded = this.#of(peer)
      .slice(fromHeight, fromHeight + Math.min(count, 128))
      .map(encodeBlock)
    return this.tamperBlocks?.(peer, fromHeight, encoded) ?? encoded
  }

  #of(peer: string): Block[] {
    const blocks = this.chains.get(peer)
    if (blocks === undefined) throw new Error(`${peer} is not connected`)
    return blocks
  }
}

/** A chain of `count` valid blocks after `base`'s (genesis if none); `tag` makes a fork's blocks its own. */
export async function grow(count: number, tag = 0, base: readonly Block[] = []): Promise<Block[]> {
  const chain = new TestChain(params)
  for (const block of base.slice(1)) await chain.add(block)
  for (let i = 0; i < count; i++) {
    const height = chain.tip.height + 1
    await chain.extend({ coinbase: coinbase(height, params.blockReward, new Uint8Array(32).fill(tag)) })
  }
  return chain.blocks
}

/** Our full node's chain holding `blocks` (after genesis), behind its port. */
export async function ourFullChain(blocks: readonly Block[] = []) {
  const full = await openFullChain({ params, store: new MemoryBlockStore() })
  for (const block of blocks.slice(1)) await full.chain.addBlock(block)
  const port = referenceFullPort({
    chain: full.chain,
    mempool: full.mempool,
    events: { admitted() {}, invalid() {} },
  })
  return { full, port }
}

/** Our light node's header chain holding `blocks`' headers, behind its port. */
export async function ourHeaderChain(blocks: readonly Block[] = []) {
  const headers = await HeaderChain.open({ params, store: new MemoryBlockStore() })
  if (blocks.length > 1) await headers.addHeaders(blocks.slice(1).map((b) => b.header))
  return { headers, port: referenceHeaderPort(headers) }
}
