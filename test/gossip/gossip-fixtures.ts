/**
 * What the PawGossip unit tests share: a gossipsub stand-in that records verdicts and
 * publications (the router itself is tested by the e2e gossip tests), and our own
 * reference chain behind its port (src/chain/port/).
 */
import type { TopicValidatorResult } from '@libp2p/gossipsub'
import { sha256 } from '@noble/hashes/sha2.js'
import { openFullChain } from '../../src/chain/full-chain.ts'
import { HeaderChain } from '../../src/chain/header-chain.ts'
import { PAW_DEVNET } from '../../src/chain/params.ts'
import { referenceFullPort } from '../../src/chain/port/full-port.ts'
import { referenceHeaderPort } from '../../src/chain/port/header-port.ts'
import { bigIntToTarget, MAX_TARGET_VALUE } from '../../src/chain/pow.ts'
import { type Account, accountFromPrivateKey, signTransaction } from '../../src/chain/signing.ts'
import { MemoryBlockStore } from '../../src/chain/store/memory-store.ts'
import type { Address, ChainParams, Transaction } from '../../src/chain/types.ts'
import type { PawPubSub } from '../../src/gossip/pubsub.ts'
import type { OffenceName } from '../../src/peers/offences.ts'
import { TestChain } from '../support/chain-builder.ts'

export const accounts: [Account, Account] = [0, 1].map((index) =>
  accountFromPrivateKey(sha256(new TextEncoder().encode(`paw-gossip-test-${index}`))),
) as [Account, Account]

/** A chain for tests: every hash meets the target, no retargeting, `accounts` funded. */
export const params: ChainParams = {
  ...PAW_DEVNET,
  chainId: 'paw-gossip-test',
  genesisTimestamp: Date.now() - 3_600_000,
  allocations: accounts.map((account) => ({ address: account.address, amount: 1_000_000_000_000n })),
  initialTarget: bigIntToTarget(MAX_TARGET_VALUE),
  retargetInterval: 0,
}

/** A transfer from `from` with the given nonce. */
export function transfer(from: Account, to: Address, nonce: bigint): Transaction {
  return signTransaction(
    { from: from.address, to, amount: 1_000n, fee: 1_000n, nonce },
    from.privateKey,
    params.chainId,
  )
}

/** Records what PawGossip tells gossipsub and publishes; `deliver` hands it a message. */
export class FakePubSub extends EventTarget {
  readonly verdicts = new Map<string, TopicValidatorResult>()
  readonly published: Array<{ topic: string; data: Uint8Array }> = []
  readonly subscribed = new Set<string>()
  readonly seenCache = { entries: new Map<string, unknown>() }
  readonly score = { peerStats: new Map<string, unknown>() }
  #next = 0

  get pubsub(): PawPubSub {
    return this as unknown as PawPubSub
  }

  deliver(topic: string, data: Uint8Array, from = 'peer-a'): string {
    const msgId = `m${this.#next++}`
    this.seenCache.entries.set(msgId, true)
    this.dispatchEvent(
      new CustomEvent('gossipsub:message', {
        detail: {
          msgId,
          propagationSource: { toString: () => from },
          msg: { type: 'unsigned', topic, data },
        },
      }),
    )
    return msgId
  }

  heartbeat(): void {
    this.dispatchEvent(new CustomEvent('gossipsub:heartbeat'))
  }

  reportMessageValidationResult(msgId: string, _source: string, verdict: TopicValidatorResult): void {
    if (this.verdicts.has(msgId)) throw new Error(`${msgId} reported twice`)
    this.verdicts.set(msgId, verdict)
  }

  async publish(topic: string, data: Uint8Array): Promise<{ recipients: unknown[] }> {
    this.published.push({ topic, data })
    return { recipients: ['peer-a', 'peer-b'] }
  }

  subscribe(topic: string): void {
    this.subscribed.add(topic)
  }

  unsubscribe(topic: string): void {
    this.subscribed.delete(topic)
  }

  getScore(): number {
    return 0
  }
}

/** A charge made, as the enforcer was told it. */
export interface Charge {
  peer: string
  offence: OffenceName
  why: string
}

export function recordingEnforcer() {
  const charges: Charge[] = []
  const reviewed: string[] = []
  let prunes = 0
  return {
    charges,
    reviewed,
    get prunes() {
      return prunes
    },
    charge(peer: string, offence: OffenceName, why: unknown): number {
      charges.push({ peer, offence, why: String(why) })
      return 0
    },
    review(peer: string): undefined {
      reviewed.push(peer)
      return undefined
    },
    prune(): void {
      prunes++
    },
  }
}

/** Our full node's chain at genesis, behind its port; `blocks` builds valid blocks for it. */
export async function fullChain() {
  const full = await openFullChain({ params, store: new MemoryBlockStore() })
  const port = referenceFullPort({
    chain: full.chain,
    mempool: full.mempool,
    events: { admitted() {}, invalid() {} },
  })
  return { full, port, blocks: new TestChain(params) }
}

/** Our light node's header chain at genesis, behind its port. */
export async function headerChain() {
  const headers = await HeaderChain.open({ params, store: new MemoryBlockStore() })
  return { headers, port: referenceHeaderPort(headers), blocks: new TestChain(params) }
}
