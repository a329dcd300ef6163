/**
 * waitForTransaction's way through the chain (issue 18): pending → included at height h →
 * reorged out when a heavier branch without it wins (the transaction back in the pool) →
 * included again → confirmed; and a transaction no one holds is given up as dropped after
 * `dropAfterBlocks` new tips. On a full node, from its own state (the same verifier a light
 * node uses on peers' proofs); the branch is a second real chain on the same parameters.
 */
import { describe, expect, it } from 'vitest'
import type { TransactionProgress } from '../../src/api/index.ts'
import { txHash } from '../../src/chain/hashing.ts'
import { isStateReadError } from '../../src/state-read-error.ts'
import { toHex } from '../../src/wire/bytes.ts'
import {
  nextBlock,
  openTestFullChain,
  startChainNode,
  testAccounts,
  testChainParams,
  transfer,
} from '../support/chain-nodes.ts'
import { trackedNodes, waitFor } from '../support/nodes.ts'

const nodes = trackedNodes()

describe('waitForTransaction', () => {
  it('reports pending, included, reorged-out, included again, then resolves at its confirmations', async () => {
    const accounts = testAccounts(2)
    const [alice, bob] = accounts as [(typeof accounts)[0], (typeof accounts)[0]]
    const params = testChainParams(accounts)
    const { node, full } = await startChainNode(nodes.node, params)
    if (full === undefined) throw new Error('no full chain')
    const branch = await openTestFullChain(params)

    const tx = transfer(params, alice, bob.address, 0n)
    const id = toHex(txHash(tx))
    await node.submitTransaction(tx)
    const progress: TransactionProgress[] = []
    const confirmed = node.waitForTransaction(id, { confirmations: 2, onProgress: (p) => progress.push(p) })
    await waitFor('pending', () => progress.some((p) => p.status === 'pending'), 5_000)

    const a1 = await nextBlock(full, new Uint8Array(32).fill(1))
    expect(a1.transactions.map((t) => toHex(txHash(t)))).toContain(id)
    await full.chain.addBlock(a1)
    await waitFor(
      'included at 1',
      () => progress.some((p) => p.status === 'included' && p.height === 1),
      5_000,
    )

    // A heavier branch without it: two blocks on genesis, mined on another chain instance.
    for (let i = 0; i < 2; i++) {
      const block = await nextBlock(branch, new Uint8Array(32).fill(2))
      await branch.chain.addBlock(block)
      await full.chain.addBlock(block)
    }
    expect(full.chain.tip().height).toBe(2)
    await waitFor('reorged out', () => progress.some((p) => p.status === 'reorged-out'), 5_000)
    await waitFor('back in the pool', () => full.mempool.has(id), 5_000)

    // Mined again on the new best chain, then one more block on top: 2 confirmations.
    await full.chain.addBlock(await nextBlock(full))
    await full.chain.addBlock(await nextBlock(full))
    const done = await confirmed
    expect(done).toMatchObject({ id, height: 3, confirmations: 2 })
    const statuses = progress.map((p) => p.status)
    expect(statuses[0]).toBe('pending')
    expect(statuses.indexOf('reorged-out')).toBeGreaterThan(statuses.indexOf('included'))
    expect(statuses.lastIndexOf('included')).toBeGreaterThan(statuses.indexOf('reorged-out'))
  }, 60_000)

  it('gives up on a transaction no one holds after dropAfterBlocks tips', async () => {
    const accounts = testAccounts(1)
    const params = testChainParams(accounts)
    const { node, full } = await startChainNode(nodes.node, params)
    if (full === undefined) throw new Error('no full chain')
    const unknown = 'ab'.repeat(32)
    const waiting = node.waitForTransaction(unknown, { dropAfterBlocks: 2 }).then(
      () => 'resolved',
      (error: unknown) => error,
    )
    await full.chain.addBlock(await nextBlock(full))
    await full.chain.addBlock(await nextBlock(full))
    const outcome = await waiting
    expect(isStateReadError(outcome) && outcome.code).toBe('ERR_TRANSACTION_DROPPED')

    // And an aborted wait rejects with the signal's reason.
    const controller = new AbortController()
    const aborted = node
      .waitForTransaction(unknown, { signal: controller.signal })
      .catch((error: unknown) => error)
    controller.abort(new Error('the user closed the page'))
    expect(String(await aborted)).toContain('the user closed the page')
  }, 60_000)
})
