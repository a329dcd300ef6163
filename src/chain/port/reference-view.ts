/**
 * What both of the reference chain's ports (full-port.ts, header-port.ts) offer alike: the
 * readers, the tip, served headers, headers-first checking, and the chain's tip and reorg
 * events re-sent with ids. The ports differ in what they import (blocks or headers) and
 * extend this. Browser-safe.
 */
import type { AbortOptions } from '@libp2p/interface'
import { TypedEventEmitter } from 'main-event'
import type {
  BlockSummary,
  ChainCodec,
  ChainPortEvents,
  ChainShape,
  HeaderChecker,
  HeaderSummary,
  TipSummary,
} from '../../ports/chain.ts'
import { encodeHeader } from '../encoding.ts'
import type { Block, BlockHeader, ChainParams, ChainPosition, Transaction } from '../types.ts'
import { REFERENCE_CODEC } from './codec.ts'
import { referenceHeaderChecker } from './header-checker.ts'
import { readReferenceBlock, readReferenceHeader, referenceTransactionId, tipSummary } from './reader.ts'
import { REFERENCE_SHAPE } from './shape.ts'

/** What a reference chain, whole or headers only, has for the view. */
export interface ReferenceSource {
  readonly params: ChainParams
  tip(): ChainPosition
  getHeaders(fromHeight: number, count: number): Promise<BlockHeader[]>
}

export class ReferenceView extends TypedEventEmitter<ChainPortEvents> {
  readonly chainId: string
  readonly shape: ChainShape = REFERENCE_SHAPE
  readonly blockIntervalMs: number
  readonly codec: ChainCodec<Block, Transaction, BlockHeader> = REFERENCE_CODEC
  readonly #source: ReferenceSource

  constructor(source: ReferenceSource) {
    super()
    this.#source = source
    this.chainId = source.params.chainId
    this.blockIntervalMs = source.params.targetBlockTimeMs
  }

  /** Re-sends the chain's tip event in the port's shape. */
  protected relayTip(tip: ChainPosition): void {
    this.safeDispatchEvent('tip', { detail: { tip: tipSummary(tip) } })
  }

  /** Re-sends the chain's reorg event with the ids of what was rolled back and applied. */
  protected relayReorg(disconnected: Uint8Array[], connected: Uint8Array[]): void {
    this.safeDispatchEvent('reorg', { detail: { disconnected, connected } })
  }

  readHeader(encoded: Uint8Array): HeaderSummary {
    return readReferenceHeader(encoded)
  }

  readBlock(encoded: Uint8Array): BlockSummary | undefined {
    return readReferenceBlock(encoded)
  }

  transactionId(encoded: Uint8Array): Uint8Array | undefined {
    return referenceTransactionId(encoded)
  }

  tip(): TipSummary {
    return tipSummary(this.#source.tip())
  }

  async encodedHeaders(fromHeight: number, count: number, options?: AbortOptions): Promise<Uint8Array[]> {
    options?.signal?.throwIfAborted()
    return (await this.#source.getHeaders(fromHeight, count)).map(encodeHeader)
  }

  headerChecker(ancestorHeight: number): HeaderChecker {
    return referenceHeaderChecker(this.#source, ancestorHeight)
  }
}
