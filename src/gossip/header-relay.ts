/**
 * The headers topic on a full node (protocols/gossip.md "Who subscribes and publishes"):
 * a header is relayed only for a block this node has validated and stored. Browser-safe.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { FullChainPort } from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import type { Forwarding } from './forwarding.ts'
import type { Received, Verdict } from './gossip-types.ts'

/** How long a full node holds a header whose block has not arrived yet (within the 3 s gossip window). */
export const HEADER_WAIT_MS = 2_500

/** Headers held at once (protocols/gossip.md "Resolved in r1"). */
export const MAX_HEADERS_AWAITING_BLOCK = 64

export interface HeaderRelayInit {
  chain: Pick<FullChainPort, 'readHeader' | 'encodedBlock'>
  forwarding: Pick<Forwarding, 'judged' | 'ignoreAndUnsee'>
  /** @default HEADER_WAIT_MS */
  waitMs?: number
}

export class HeaderRelay {
  readonly #init: HeaderRelayInit
  readonly #waitMs: number
  /** Headers received before their block, by block hash (hex): relayed once the block is accepted. */
  readonly #awaitingBlock = new Map<string, { received: Received; timer: ReturnType<typeof setTimeout> }>()

  constructor(init: HeaderRelayInit) {
    this.#init = init
    this.#waitMs = init.waitMs ?? HEADER_WAIT_MS
  }

  /**
   * Accept if the block is stored. A header that overtook its block (the chain's header is
   * small, its block up to maxBlockBytes: 185 bytes against 10 MiB on the reference chain)
   * is held, unanswered (undefined), until the block is accepted or the wait ends: Ignoring
   * it at once would leave its ID in the seen-cache and make our own header publication a
   * duplicate nobody hears.
   */
  async judge(received: Received): Promise<Verdict | undefined> {
    let hash: Uint8Array
    try {
      hash = this.#init.chain.readHeader(received.data).hash
    } catch {
      return TopicValidatorResult.Reject
    }
    if ((await this.#init.chain.encodedBlock(hash)) !== undefined) return TopicValidatorResult.Accept
    const key = toHex(hash)
    if (this.#awaitingBlock.has(key) || this.#awaitingBlock.size >= MAX_HEADERS_AWAITING_BLOCK) {
      return TopicValidatorResult.Ignore
    }
    const timer = setTimeout(() => {
      if (this.#awaitingBlock.get(key)?.received !== received) return
      this.#awaitingBlock.delete(key)
      this.#init.forwarding.ignoreAndUnsee(received)
    }, this.#waitMs)
    this.#awaitingBlock.set(key, { received, timer })
    return undefined
  }

  /**
   * The block `hash` (hex) was accepted: Accepts its held header, which is what publishing
   * it would do. False if none was held (the caller publishes the header itself).
   */
  release(hash: string): boolean {
    const waiting = this.#awaitingBlock.get(hash)
    if (waiting === undefined) return false
    this.#awaitingBlock.delete(hash)
    clearTimeout(waiting.timer)
    this.#init.forwarding.judged(waiting.received, TopicValidatorResult.Accept)
    return true
  }

  /** Forgets every held header without answering (shutdown). */
  clear(): void {
    for (const waiting of this.#awaitingBlock.values()) clearTimeout(waiting.timer)
    this.#awaitingBlock.clear()
  }
}
