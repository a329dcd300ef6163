/**
 * The chain port (src/ports/chain.ts) of what createPawNode was given: a port as it is
 * (any chain), or the reference chain's objects (`{ chain, mempool }`, `{ headers }`)
 * through their adapter (src/chain/port/). The one place the node's assembly picks the
 * reference chain's adapter. Browser-safe.
 */
import type { NodeChain } from '../api/index.ts'
import { isProvingChain, referenceFullPort } from '../chain/port/full-port.ts'
import { referenceHeaderPort } from '../chain/port/header-port.ts'
import type { ChainPort } from '../ports/chain.ts'

/** Whether `given` is a chain port rather than the reference chain's objects. */
function isChainPort(given: NodeChain | ChainPort): given is ChainPort {
  return 'kind' in given && (given.kind === 'full' || given.kind === 'headers')
}

export function chainPortOf(given: NodeChain | ChainPort): ChainPort {
  if (isChainPort(given)) return given
  if (given.chain !== undefined) {
    const { chain, mempool } = given
    return referenceFullPort({ chain, mempool, ...(isProvingChain(chain) ? { proofs: chain } : {}) })
  }
  return referenceHeaderPort(given.headers)
}
