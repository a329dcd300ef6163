/**
 * What a peer's failed part of a sync costs it: the chain's verdict (a ChainPortRejection)
 * or the sync's own finding (a SyncError the peer caused) becomes a refusal status, and
 * src/peers/offences.ts, the one table, says what that status costs (STYLE.md §2).
 * Browser-safe.
 */
import type { Enforcer } from '../peers/enforcer.ts'
import { type Arrival, type RefusalStatus, verdictAction } from '../peers/offences.ts'
import { isChainPortRejection } from '../ports/chain.ts'
import { isSyncError, SyncErrorCode } from './errors.ts'

/** What sync needs of the enforcer. */
export type SyncEnforcer = Pick<Enforcer, 'charge'>

/** The refusal a failure amounts to, or undefined if the peer did not cause it (the network, our abort). */
export function refusalOf(
  error: unknown,
): { status: RefusalStatus; code: string; message: string } | undefined {
  if (isChainPortRejection(error)) return { status: error.status, code: error.code, message: error.message }
  if (
    isSyncError(error) &&
    (error.code === SyncErrorCode.BadData || error.code === SyncErrorCode.WrongChain)
  ) {
    return { status: 'invalid', code: error.code, message: error.message }
  }
  return undefined
}

/**
 * Charges `peers` what `status` of something that arrived by `arrival` costs, if anything.
 * Returns whether they were charged.
 */
export function chargeRefusal(
  enforcer: SyncEnforcer,
  peers: readonly string[],
  arrival: Extract<Arrival, 'syncHeaders' | 'servedBlock'>,
  refusal: { status: RefusalStatus; code: string; message: string },
): boolean {
  const { offence } = verdictAction(arrival, refusal.status)
  if (offence === undefined) return false
  for (const peer of peers) enforcer.charge(peer, offence, `${refusal.code}: ${refusal.message}`, 'sync')
  return true
}
