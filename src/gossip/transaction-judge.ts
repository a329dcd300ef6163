/**
 * The transactions topic on a full node (protocols/gossip.md "Validation outcomes"): the
 * pool judges and admits each transaction; one it calls `early` waits in the waiting room
 * for what it depends on. Browser-safe.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Enforcer } from '../peers/enforcer.ts'
import type { FullChainPort } from '../ports/chain.ts'
import { toHex } from '../wire/bytes.ts'
import type { Forwarding } from './forwarding.ts'
import type { AcceptedGossip, Enqueue, Received, Verdict } from './gossip-types.ts'
import { verdictForRefusal } from './refusals.ts'
import { WaitingRoom } from './waiting-room.ts'

export interface TransactionJudgeInit {
  chain: Pick<FullChainPort, 'transactionId' | 'pool'>
  enforcer: Pick<Enforcer, 'charge'>
  forwarding: Pick<Forwarding, 'ignoreAndUnsee'>
  /** Queues a parked transaction to be judged again, in the transaction lane. */
  enqueue: Enqueue
  onAccepted: (accepted: AcceptedGossip) => void
  /** @default PARK_MS (waiting-room.ts) */
  parkMs?: number
}

export class TransactionJudge {
  readonly #init: TransactionJudgeInit
  readonly #waiting: WaitingRoom<Received>

  constructor(init: TransactionJudgeInit) {
    this.#init = init
    this.#waiting = new WaitingRoom<Received>({
      onExpire: (received) => init.forwarding.ignoreAndUnsee(received),
      ...(init.parkMs === undefined ? {} : { parkMs: init.parkMs }),
    })
  }

  /** The verdict on a gossiped transaction; undefined if it is parked (reported later). */
  judge(received: Received): Verdict | undefined {
    const id = this.#init.chain.transactionId(received.data)
    if (id === undefined) return TopicValidatorResult.Reject
    if (this.#init.chain.pool.has(toHex(id))) return TopicValidatorResult.Ignore
    return this.#admit(received, true)
  }

  /** Forgets every parked transaction without answering (shutdown). */
  clear(): void {
    this.#waiting.clear()
  }

  /**
   * Adds a gossiped transaction to the pool. If `parkable`, one the pool calls early is
   * parked instead (undefined: reported later): it probably overtook its predecessor on
   * another path, and would otherwise be lost to gossipsub's seen-cache.
   */
  #admit(received: Received, parkable: boolean): Verdict | undefined {
    const { source, data } = received
    const result = this.#init.chain.pool.admitGossiped(data, source)
    if (result.status === 'early') {
      if (parkable && this.#waiting.park(result.waitsFor, result.group, received, data)) return undefined
      return TopicValidatorResult.Ignore
    }
    if (result.status !== 'accepted') {
      return verdictForRefusal('gossipTransaction', result, source, this.#init.enforcer)
    }
    const { id, decoded, provides } = result.value
    this.#init.onAccepted({ kind: 'transaction', decoded, id: toHex(id), from: source })
    if (provides !== undefined) this.#release(provides)
    return TopicValidatorResult.Accept
  }

  /** Transactions parked for what an admitted one provides: try them now. */
  #release(provided: string): void {
    for (const { tag } of this.#waiting.takeWaitingFor(provided)) {
      this.#init.enqueue('transactions', tag, () => this.#admit(tag, false) ?? TopicValidatorResult.Ignore)
    }
  }
}
