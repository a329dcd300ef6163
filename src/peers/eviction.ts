/**
 * Which inbound peer to drop when inbound slots are full and a newcomer arrives (issue 7
 * item 4), after Bitcoin Core's SelectNodeToEvict (src/node/eviction.cpp). Whoever opens
 * many connections can fill our inbound slots; eviction makes room again without letting
 * an attacker push out the peers that serve us well. Each protected category rewards a
 * property an attacker finds costly to fake in bulk (diverse networks, low latency, useful
 * blocks and transactions, a long uptime), so to evict them all it would need all of them.
 * Of the unprotected, the victim comes from the netgroup with the most connections (the
 * cheapest for one operator to hold many of), and within it the worst-scored. Pure and
 * browser-safe; the caller passes its inbound peers only (outbound ones we chose ourselves).
 */

export interface EvictionCandidate {
  /** Unique among the candidates. */
  peerId: string
  /** The address range one operator plausibly controls, e.g. 'ipv4:203.0' (a /16). */
  netgroup: string
  /** ms epoch. */
  connectedAt: number
  /** Measured round-trip time, undefined before the first measurement. */
  rttMs: number | undefined
  /** Last time it sent us a block we accepted first. */
  lastBlockAt: number | undefined
  /** Last time it sent us a transaction we accepted first. */
  lastTransactionAt: number | undefined
  /** Reputation, higher is better. */
  score: number
  /** Operator-configured: never evicted. */
  persistent: boolean
}

export interface EvictionProtectionRule {
  /** How many peers the category protects; for longestConnected, the fraction of what remains. */
  amount: number
  /** Why this number. */
  rationale: string
}

/** The protected categories, applied in this order, each to the peers the earlier ones left. */
export const EVICTION_PROTECTION = {
  netgroups: {
    amount: 4,
    rationale:
      'the best-scored peers of 4 distinct netgroups: an attacker would have to hold addresses in all of our best-connected networks, which is costly',
  },
  lowestRtt: {
    amount: 8,
    rationale:
      'the 8 lowest round-trip times: nearby, responsive peers propagate blocks fastest, and an attacker cannot be close to every victim',
  },
  recentBlocks: {
    amount: 4,
    rationale:
      'the 4 peers that most recently sent us a block first: they do the work eviction must not undo, and faking it means mining or relaying real blocks',
  },
  recentTransactions: {
    amount: 4,
    rationale:
      'the 4 peers that most recently sent us a new valid transaction first: useful relays, and faking it costs fees',
  },
  longestConnected: {
    amount: 0.5,
    rationale:
      'half of the rest, longest connected first: an attacker has to stay connected longer than honest peers have, which it cannot do retroactively',
  },
} as const satisfies Record<string, EvictionProtectionRule>

export type EvictionProtectionName = keyof typeof EVICTION_PROTECTION
/** Why a peer is not evicted: a category above, or being persistent. */
export type EvictionProtectionReason = EvictionProtectionName | 'persistent'

export interface EvictionInit {
  /** Overrides of EVICTION_PROTECTION's amounts (counts; a fraction in [0, 1] for longestConnected). */
  protect?: Partial<Record<EvictionProtectionName, number>>
}

/**
 * The peer to evict to make room for a newcomer, or undefined if every candidate is
 * protected (the newcomer is then refused instead).
 * @throws RangeError for an override that is not a non-negative integer (or a fraction in [0, 1])
 */
export function selectEvictionCandidate(
  candidates: readonly EvictionCandidate[],
  init: EvictionInit = {},
): string | undefined {
  const protectedIds = protectedPeers(candidates, init)
  const rest = candidates.filter((candidate) => !protectedIds.has(candidate.peerId))
  if (rest.length === 0) return undefined

  const groups = new Map<string, EvictionCandidate[]>()
  for (const candidate of rest) {
    const group = groups.get(candidate.netgroup)
    if (group === undefined) groups.set(candidate.netgroup, [candidate])
    else group.push(candidate)
  }
  // The largest netgroup; of equal ones, the one holding the youngest connection (Core's tie-break).
  let chosen: EvictionCandidate[] = []
  for (const group of groups.values()) {
    if (
      group.length > chosen.length ||
      (group.length === chosen.length && compareYoungestFirst(youngest(group), youngest(chosen)) < 0)
    ) {
      chosen = group
    }
  }
  // In it, the worst score; of equal ones, the youngest connection.
  const victim = [...chosen].sort((a, b) => scoreOf(a) - scoreOf(b) || compareYoungestFirst(a, b))[0]
  return victim?.peerId
}

/**
 * The candidates selectEvictionCandidate will not evict, each with the category that
 * protects it (the first that does), for logs that explain an eviction or a refusal.
 * @throws RangeError for an invalid override (see selectEvictionCandidate)
 */
export function protectedPeers(
  candidates: readonly EvictionCandidate[],
  init: EvictionInit = {},
): Map<string, EvictionProtectionReason> {
  const amount = amounts(init.protect ?? {})
  const result = new Map<string, EvictionProtectionReason>()
  let remaining: EvictionCandidate[] = []
  for (const candidate of candidates) {
    if (candidate.persistent) result.set(candidate.peerId, 'persistent')
    else remaining.push(candidate)
  }
  const protect = (reason: EvictionProtectionName, chosen: readonly EvictionCandidate[]): void => {
    for (const candidate of chosen) result.set(candidate.peerId, reason)
    const ids = new Set(chosen)
    remaining = remaining.filter((candidate) => !ids.has(candidate))
  }

  const distinct: EvictionCandidate[] = []
  const seen = new Set<string>()
  for (const candidate of [...remaining].sort(
    (a, b) => scoreOf(b) - scoreOf(a) || compareOldestFirst(a, b),
  )) {
    if (distinct.length >= amount.netgroups) break
    if (seen.has(candidate.netgroup)) continue
    seen.add(candidate.netgroup)
    distinct.push(candidate)
  }
  protect('netgroups', distinct)

  // Only peers that have shown the property are protected for it: an unmeasured RTT or
  // a peer that never sent a block proves nothing.
  const measured = remaining.filter((candidate) => Number.isFinite(candidate.rttMs))
  protect(
    'lowestRtt',
    measured
      .sort((a, b) => (a.rttMs as number) - (b.rttMs as number) || compareOldestFirst(a, b))
      .slice(0, amount.lowestRtt),
  )
  protect(
    'recentBlocks',
    mostRecent(remaining, (candidate) => candidate.lastBlockAt, amount.recentBlocks),
  )
  protect(
    'recentTransactions',
    mostRecent(remaining, (candidate) => candidate.lastTransactionAt, amount.recentTransactions),
  )
  protect(
    'longestConnected',
    [...remaining].sort(compareOldestFirst).slice(0, Math.floor(remaining.length * amount.longestConnected)),
  )
  return result
}

function amounts(
  overrides: Partial<Record<EvictionProtectionName, number>>,
): Record<EvictionProtectionName, number> {
  const result = {} as Record<EvictionProtectionName, number>
  for (const name of Object.keys(EVICTION_PROTECTION) as EvictionProtectionName[]) {
    const value = overrides[name] ?? EVICTION_PROTECTION[name].amount
    const valid =
      name === 'longestConnected' ? value >= 0 && value <= 1 : Number.isSafeInteger(value) && value >= 0
    if (!valid)
      throw new RangeError(
        `eviction protection ${name} must be ${name === 'longestConnected' ? 'in [0, 1]' : 'a non-negative integer'}, got ${value}`,
      )
    result[name] = value
  }
  return result
}

function mostRecent(
  candidates: readonly EvictionCandidate[],
  at: (candidate: EvictionCandidate) => number | undefined,
  count: number,
): EvictionCandidate[] {
  return candidates
    .filter((candidate) => Number.isFinite(at(candidate)))
    .sort((a, b) => (at(b) as number) - (at(a) as number) || compareOldestFirst(a, b))
    .slice(0, count)
}

/** A NaN score (a broken input) counts as the worst, so it never earns protection. */
function scoreOf(candidate: EvictionCandidate): number {
  return Number.isNaN(candidate.score) ? Number.NEGATIVE_INFINITY : candidate.score
}

/** Longest connected first; the peer id makes the order independent of the input's. */
function compareOldestFirst(a: EvictionCandidate, b: EvictionCandidate): number {
  return a.connectedAt - b.connectedAt || compareText(a.peerId, b.peerId)
}

function compareYoungestFirst(a: EvictionCandidate | undefined, b: EvictionCandidate | undefined): number {
  if (a === undefined || b === undefined) return a === undefined ? (b === undefined ? 0 : 1) : -1
  return b.connectedAt - a.connectedAt || compareText(a.peerId, b.peerId)
}

function youngest(group: readonly EvictionCandidate[]): EvictionCandidate | undefined {
  return [...group].sort(compareYoungestFirst)[0]
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
